// The object as a live tree: each field's name beside its value and its state (pending,
// streaming, complete, valid, invalid with its errors). Only the rows in view are in the page
// (TanStack Virtual), so a 5,000-record answer costs what the visible rows cost.
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { atFrameStart } from "./model/scheduler";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { RunModel } from "./model/run";
import { visibleRows, type Row, type RowCache } from "./model/rows";
import { fmtInt } from "../../components/format";

const ROW = 24;
const MAX_TEXT = 400;
const FOLLOW_WINDOW = 512;

function valueText(row: Extract<Row, { type: "node" }>): string {
  const n = row.node;
  switch (n.kind) {
    case "object":
      return `{${n.children!.length ? ` ${fmtInt(n.children!.length)} field${n.children!.length === 1 ? "" : "s"} ` : ""}}`;
    case "array":
      return `[ ${fmtInt(n.children!.length)} item${n.children!.length === 1 ? "" : "s"} ]`;
    case "string": {
      const s = n.value as string;
      return JSON.stringify(s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);
    }
    default:
      return String(n.value);
  }
}

function StateWord({ state }: { state: string | undefined }) {
  if (!state) return null;
  return <span className={`state state-${state}`}>{state}</span>;
}

export function ResultTree({ model, version, live }: { model: RunModel; version: number; live: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [follow, setFollow] = useState(true);
  const followKey = useId();
  const tree = model.tree;
  const structure = tree.structure;
  // Unchanged subtrees' rows are kept between frames (one cache per tree and fold state).
  const cache = useMemo<RowCache>(() => new WeakMap(), [tree, collapsed]); // eslint-disable-line react-hooks/exhaustive-deps
  // Rows change when nodes are added (or folded); values are read from the nodes at render.
  const rows = useMemo(() => visibleRows(tree, collapsed, cache), [tree, structure, collapsed, cache, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 12,
    // A scroll (ours, following the stream, or the user's) renders with the next batch instead
    // of synchronously inside the scroll event, which cost a whole extra render per frame.
    useFlushSync: false,
  });

  // While streaming, keep the field that changed last in view (until the user scrolls). Rows
  // have one height, so its offset is known; the virtualizer's own scrollToIndex reads the
  // element's scroll height, a forced layout of the whole list on every frame, and the write
  // waits for the start of the next frame (atFrameStart) so it forces none either. A stream adds
  // to the end, so the last change is looked for among the last rows only (a verdict on a
  // large container, far above, is not worth a search of every row each frame).
  useEffect(() => {
    const el = scroller.current;
    if (!live || !follow || !tree.lastPath || !el) return;
    const stop = Math.max(0, rows.length - FOLLOW_WINDOW);
    let i = rows.length - 1;
    while (i >= stop && !(rows[i]!.type === "node" && (rows[i] as Extract<Row, { type: "node" }>).node.path === tree.lastPath)) i--;
    if (i < stop) return;
    const top = virtualizer.scrollOffset ?? 0;
    const height = virtualizer.scrollRect?.height ?? 0;
    const target = i * ROW < top ? i * ROW : (i + 1) * ROW > top + height ? (i + 1) * ROW - height : null;
    if (target !== null) atFrameStart(followKey, () => (el.scrollTop = target));
  }, [version, live, follow, rows, tree, virtualizer, followKey]);

  const toggle = (path: string) =>
    setCollapsed((c) => {
      const n = new Set(c);
      if (n.has(path)) n.delete(path);
      else n.add(path);
      return n;
    });

  const counts = tree.counts;
  return (
    <div className="result-tree-wrap">
      <div className="tree-summary" aria-live="off">
        <span className="state state-valid">{fmtInt(counts.valid)} valid</span>
        <span className="state state-invalid">{fmtInt(counts.invalid)} invalid</span>
        <span className="state state-streaming">{fmtInt(counts.streaming)} streaming</span>
        <span className="state state-complete">{fmtInt(counts.complete)} complete</span>
        <span className="state state-pending">{fmtInt(counts.pending)} pending</span>
        {model.treeAttempt > 0 ? <span className="dim">attempt {model.treeAttempt}</span> : null}
        {live ? (
          <label className="inline follow">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow the stream
          </label>
        ) : null}
      </div>
      <div
        ref={scroller}
        className="result-tree"
        role="tree"
        aria-label="Result fields"
        tabIndex={0}
        onWheel={() => live && follow && setFollow(false)}
      >
        {rows.length === 0 ? <p className="dim empty">Nothing has arrived yet.</p> : null}
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((vi) => {
            const row = rows[vi.index]!;
            const style = { transform: `translateY(${vi.start}px)`, height: ROW, paddingLeft: 8 + row.depth * 16 };
            if (row.type === "issue") {
              return (
                <div key={vi.key} className="tree-row issue-row" style={style} role="none">
                  <span className="issue-text">
                    {row.issue.path && row.issue.path !== row.path ? <span className="mono">{row.issue.path}: </span> : null}
                    {row.issue.message}
                  </span>
                </div>
              );
            }
            if (row.type === "pending") {
              return (
                <div key={vi.key} className="tree-row pending-row" style={style} role="treeitem" aria-level={row.depth + 1} aria-selected={false} aria-expanded={row.hasChildren ? row.open : undefined} data-path={row.path} data-state="pending">
                  {row.hasChildren ? (
                    <button type="button" className="twisty" onClick={() => toggle(row.path)} aria-label={`${row.open ? "Fold" : "Unfold"} ${row.key}`}>
                      {row.open ? "▾" : "▸"}
                    </button>
                  ) : (
                    <span className="twisty" />
                  )}
                  <span className="key">{row.key}</span>
                  <span className="value dim">—</span>
                  <StateWord state="pending" />
                </div>
              );
            }
            const n = row.node;
            const composite = n.kind === "object" || n.kind === "array";
            const label = n.path === "" ? "(root)" : n.key;
            return (
              <div
                key={vi.key}
                className={`tree-row state-row-${row.state ?? "none"}`}
                style={style}
                role="treeitem"
                aria-level={row.depth + 1}
                aria-selected={false}
                aria-expanded={composite ? row.open : undefined}
                data-path={n.path}
                data-state={row.state ?? ""}
              >
                {composite ? (
                  <button type="button" className="twisty" onClick={() => toggle(n.path)} aria-label={`${row.open ? "Fold" : "Unfold"} ${label}`}>
                    {row.open ? "▾" : "▸"}
                  </button>
                ) : (
                  <span className="twisty" />
                )}
                <span className={`key${n.inArray ? " index" : ""}`}>{label}</span>
                <span className={`value v-${n.kind}`}>{valueText(row)}</span>
                <StateWord state={row.state} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

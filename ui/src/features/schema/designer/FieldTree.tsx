// The designer's tree (WAI-ARIA tree, single selection that follows focus): one row per schema,
// only the rows in view in the page (TanStack Virtual) and each row drawn again only when what it
// shows changed (its sig), so an edit in a 500-field schema redraws a handful of rows. The
// selected row is always in the page, so the keyboard can always come back to it.
//
// Keys: ↑/↓ Home/End PageUp/PageDown move; → unfolds or enters, ← folds or goes to the parent;
// Enter edits the selected row; Alt+↑/↓ moves it among its siblings; Delete deletes it.
import { forwardRef, memo, useEffect, useImperativeHandle, useMemo, useRef, type KeyboardEvent, type MouseEvent } from "react";
import { defaultRangeExtractor, useVirtualizer } from "@tanstack/react-virtual";
import type { Row } from "./rows";

const ROW_HEIGHT = 28;

export type TreeCommand = { op: "edit" } | { op: "move"; by: -1 | 1 } | { op: "delete" };

export interface FieldTreeHandle {
  /** Brings the selected row into view and focuses it. */
  focusSelected: () => void;
}

interface Props {
  rows: Row[];
  selectedKey: string;
  onSelect: (key: string) => void;
  onToggle: (key: string) => void;
  onCommand: (row: Row, command: TreeCommand) => void;
  readOnly: boolean;
  /** The id of the text saying which keys the tree takes. */
  describedBy?: string;
}

/** Read between the parts of a row (its name is its text), not shown. */
const Sep = () => <span className="visually-hidden">, </span>;

const TreeRow = memo(
  function TreeRow({ row, selected, top }: { row: Row; selected: boolean; top: number }) {
    return (
      <div
        role="treeitem"
        className={`designer-row${selected ? " selected" : ""}${row.problems.length ? " has-problem" : ""}${row.role === "definitions" ? " section" : ""}`}
        style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT, paddingLeft: 6 + row.depth * 18 }}
        aria-level={row.depth + 1}
        aria-selected={selected}
        aria-expanded={row.hasChildren ? row.expanded : undefined}
        aria-posinset={row.position}
        aria-setsize={row.siblings}
        tabIndex={selected ? 0 : -1}
        data-key={row.key}
      >
        <span className="twisty" aria-hidden="true">
          {row.hasChildren ? (row.expanded ? "▾" : "▸") : ""}
        </span>
        <span className={`row-name${row.role === "member" || row.role === "items" || row.role === "root" ? " dim-name" : ""}`}>{row.label}</span>
        <Sep />
        <span className="row-type">{row.type}</span>
        {row.required ? (
          <>
            <Sep />
            <span className="row-chip required">required</span>
          </>
        ) : null}
        {row.nullable ? (
          <>
            <Sep />
            <span className="row-chip">nullable</span>
          </>
        ) : null}
        {row.legacy ? (
          <>
            <Sep />
            <span className="row-chip">in definitions</span>
          </>
        ) : null}
        {row.problems.length ? (
          <>
            <Sep />
            <span className="row-problem" title={row.problems.join("\n")}>
              ⚠ {row.problems.length} problem{row.problems.length === 1 ? "" : "s"}
            </span>
          </>
        ) : null}
        {row.also.length ? (
          <>
            <Sep />
            <span className="row-also">also: {row.also.join(", ")}</span>
          </>
        ) : null}
      </div>
    );
  },
  (a, b) => a.row.sig === b.row.sig && a.row.key === b.row.key && a.selected === b.selected && a.top === b.top,
);

export const FieldTree = forwardRef<FieldTreeHandle, Props>(function FieldTree({ rows, selectedKey, onSelect, onToggle, onCommand, readOnly, describedBy }, ref) {
  const scroller = useRef<HTMLDivElement>(null);
  const index = useMemo(() => new Map(rows.map((r, i) => [r.key, i])), [rows]);
  const selectedIndex = index.get(selectedKey) ?? 0;
  // Set when the keyboard moved the selection: the new row takes the focus once it is drawn.
  const follow = useRef(false);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
    getItemKey: (i) => rows[i]?.key ?? i,
    rangeExtractor: (range) => {
      const shown = defaultRangeExtractor(range);
      return shown.includes(selectedIndex) || selectedIndex >= rows.length ? shown : [...shown, selectedIndex].sort((a, b) => a - b);
    },
  });

  const focusSelected = () => {
    virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
    const el = scroller.current?.querySelector<HTMLElement>(`[data-key="${CSS.escape(rows[selectedIndex]?.key ?? "")}"]`);
    el?.focus({ preventScroll: true });
  };
  useImperativeHandle(ref, () => ({ focusSelected }));

  useEffect(() => {
    if (!follow.current) return;
    follow.current = false;
    focusSelected();
  });

  const go = (i: number) => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, i))];
    if (!row) return;
    follow.current = true;
    onSelect(row.key);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const row = rows[selectedIndex];
    if (!row || !(e.target as HTMLElement).matches('[role="treeitem"]')) return;
    const i = selectedIndex;
    let handled = true;
    if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
      if (!readOnly) {
        follow.current = true;
        onCommand(row, { op: "move", by: e.key === "ArrowUp" ? -1 : 1 });
      }
    } else if (e.ctrlKey || e.metaKey || e.altKey) handled = false;
    else if (e.key === "ArrowDown") go(i + 1);
    else if (e.key === "ArrowUp") go(i - 1);
    else if (e.key === "Home") go(0);
    else if (e.key === "End") go(rows.length - 1);
    else if (e.key === "PageDown") go(i + 10);
    else if (e.key === "PageUp") go(i - 10);
    else if (e.key === "ArrowRight") {
      if (row.hasChildren && !row.expanded) onToggle(row.key);
      else if (row.hasChildren) go(i + 1);
    } else if (e.key === "ArrowLeft") {
      if (row.hasChildren && row.expanded) onToggle(row.key);
      else if (row.parentKey !== null) go(index.get(row.parentKey) ?? i);
    } else if (e.key === "Enter" || e.key === "F2") onCommand(row, { op: "edit" });
    else if (e.key === "Delete" && !readOnly) {
      follow.current = true;
      onCommand(row, { op: "delete" });
    } else handled = false;
    if (handled) e.preventDefault();
  };

  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const el = (e.target as HTMLElement).closest<HTMLElement>("[data-key]");
    const key = el?.dataset.key;
    if (key === undefined) return;
    onSelect(key);
    if ((e.target as HTMLElement).closest(".twisty")) onToggle(key);
  };

  return (
    // Focusable only from code and clicks; the focus is handed on to the selected row.
    <div
      ref={scroller}
      className="designer-tree"
      role="tree"
      aria-label="Schema fields"
      aria-describedby={describedBy}
      style={{ height: rows.length * ROW_HEIGHT + 2 }}
      tabIndex={-1}
      onFocus={(e) => e.target === e.currentTarget && focusSelected()}
      onKeyDown={onKeyDown}
      onClick={onClick}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((vi) => {
          const row = rows[vi.index];
          return row ? <TreeRow key={row.key} row={row} selected={vi.index === selectedIndex} top={vi.start} /> : null;
        })}
      </div>
    </div>
  );
});

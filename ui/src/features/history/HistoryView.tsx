// The run history: full-text search with filters (schema, provider, model, status, dates),
// open a run (its events replayed into the run view), rerun, diff two runs field by field,
// export the selected runs, import an archive, delete.
import { useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { RunStatus, RunSummary, SearchQuery } from "../../api/types";
import { useDeleteRuns, useExportRun, useImportRun, useOpenRun, useProviders, useRerun, useRunDiff, useSchemas, useSearchRuns } from "../../api/queries";
import { ErrorNote } from "../../components/ErrorNote";
import { DiffTable } from "../../components/DiffTable";
import { Dialog } from "../../components/Dialog";
import { downloadText } from "../../components/download";
import { fmtCost, fmtDate, fmtInt, fmtMs } from "../../components/format";
import { ExportControls } from "../run/FinalJson";
import { useNav } from "../../state/nav";

const STATUSES: RunStatus[] = ["succeeded", "failed", "cancelled", "interrupted", "running"];
const PAGE = 50;

export function HistoryView() {
  const [text, setText] = useState("");
  const [schema, setSchema] = useState("");
  const [provider, setProvider] = useState("");
  const [model, setModel] = useState("");
  const [status, setStatus] = useState<RunStatus | "">("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [limit, setLimit] = useState(PAGE);
  const [selected, setSelected] = useState<ReadonlySet<number>>(() => new Set());
  const [diffOpen, setDiffOpen] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const query: SearchQuery = useMemo(
    () => ({
      ...(text.trim() ? { text: text.trim() } : {}),
      ...(schema ? { schema } : {}),
      ...(provider ? { provider } : {}),
      ...(model.trim() ? { model: model.trim() } : {}),
      ...(status ? { status } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      limit,
    }),
    [text, schema, provider, model, status, since, until, limit],
  );
  const runs = useSearchRuns(query);
  const providers = useProviders();
  const schemas = useSchemas();
  const open = useOpenRun();
  const rerun = useRerun();
  const del = useDeleteRuns();
  const imp = useImportRun();
  const expRun = useExportRun();
  const go = useNav((s) => s.go);
  const list = runs.data ?? [];
  const ids = [...selected];
  const fileRef = useRef<HTMLInputElement>(null);

  const toggle = (id: number) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const openRun = (id: number) => open.mutate(id, { onSuccess: () => go("workbench") });
  const rerunRun = (id: number) => rerun.mutate(id, { onSuccess: () => go("workbench") });
  const error = runs.error ?? open.error ?? rerun.error ?? del.error ?? imp.error ?? (expRun.error as never) ?? null;

  return (
    <section className="history" aria-labelledby="history-heading">
      <header className="section-head">
        <h1 id="history-heading">History</h1>
      </header>
      <form className="filters-grid" role="search" aria-label="Search the history" onSubmit={(e) => e.preventDefault()}>
        <label>
          <span>Search</span>
          <input type="search" value={text} onChange={(e) => { setText(e.target.value); setLimit(PAGE); }} placeholder="words in the prompt, variables, result or error" />
        </label>
        <label>
          <span>Schema</span>
          <select aria-label="Schema" value={schema} onChange={(e) => setSchema(e.target.value)}>
            <option value="">any</option>
            {(schemas.data ?? []).map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
            {schema && !schemas.data?.some((s) => s.name === schema) ? <option value={schema}>{schema}</option> : null}
          </select>
        </label>
        <label>
          <span>Provider</span>
          <select aria-label="Provider" value={provider} onChange={(e) => setProvider(e.target.value)}>
            <option value="">any</option>
            {(providers.data ?? []).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Model</span>
          <input value={model} onChange={(e) => setModel(e.target.value)} placeholder="any" spellCheck={false} />
        </label>
        <label>
          <span>Status</span>
          <select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value as RunStatus | "")}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>From</span>
          <input type="date" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <label>
          <span>Until</span>
          <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
        </label>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      <div className="row gap wrap history-actions" role="toolbar" aria-label="Selected runs">
        <span className="dim">{ids.length ? `${ids.length} selected` : "Select runs to compare, export or delete"}</span>
        <button type="button" disabled={ids.length !== 2} onClick={() => setDiffOpen(true)}>
          Diff
        </button>
        <ExportControls ids={ids} fileBase={`quarry-runs-${ids.join("-") || "none"}`} />
        <button
          type="button"
          disabled={ids.length !== 1 || expRun.isPending}
          onClick={() => expRun.mutate(ids[0]!, { onSuccess: (a) => downloadText(`quarry-run-${ids[0]}.run.json`, JSON.stringify(a, null, 2), "application/json") })}
        >
          Export run
        </button>
        <button type="button" onClick={() => fileRef.current?.click()}>
          Import run…
        </button>
        <input
          ref={fileRef}
          type="file"
          accept=".json,application/json"
          className="visually-hidden"
          aria-label="Run archive to import"
          tabIndex={-1}
          onChange={async (e) => {
            const f = e.target.files?.[0];
            e.target.value = "";
            if (!f) return;
            imp.mutate(await f.text(), { onSuccess: (r) => setNote(`Imported as run #${r.run_id}.`) });
          }}
        />
        <button type="button" className="danger-outline" disabled={ids.length === 0} onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
        {note ? (
          <span className="note ok" role="status">
            {note}
          </span>
        ) : null}
      </div>
      <RunTable runs={list} selected={selected} toggle={toggle} onOpen={openRun} onRerun={rerunRun} loading={runs.isLoading} />
      {list.length >= limit ? (
        <button type="button" className="ghost" onClick={() => setLimit(limit + PAGE)}>
          Show more
        </button>
      ) : null}
      <Dialog open={diffOpen} onClose={() => setDiffOpen(false)} title={ids.length === 2 ? `Run #${ids[0]} against run #${ids[1]}` : "Diff"} wide>
        {diffOpen && ids.length === 2 ? <RunDiffView a={Math.min(ids[0]!, ids[1]!)} b={Math.max(ids[0]!, ids[1]!)} /> : null}
      </Dialog>
      <Dialog open={confirmDelete} onClose={() => setConfirmDelete(false)} title="Delete runs">
        <p>
          Delete {ids.length} run{ids.length === 1 ? "" : "s"} ({ids.map((i) => `#${i}`).join(", ")}) from the history? This cannot be undone.
        </p>
        <div className="row gap">
          <button
            type="button"
            className="danger"
            onClick={() =>
              del.mutate(ids, {
                onSuccess: (r) => {
                  setNote(`Deleted ${r.deleted} run${r.deleted === 1 ? "" : "s"}. Settings → Compact the history gives the space they used back.`);
                  setSelected(new Set());
                  setConfirmDelete(false);
                },
              })
            }
          >
            Delete {ids.length} run{ids.length === 1 ? "" : "s"}
          </button>
          <button type="button" onClick={() => setConfirmDelete(false)}>
            Keep them
          </button>
        </div>
      </Dialog>
    </section>
  );
}

function RunTable({ runs, selected, toggle, onOpen, onRerun, loading }: { runs: RunSummary[]; selected: ReadonlySet<number>; toggle: (id: number) => void; onOpen: (id: number) => void; onRerun: (id: number) => void; loading: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: runs.length, getScrollElement: () => scroller.current, estimateSize: () => 36, overscan: 8 });
  if (!loading && runs.length === 0) return <p className="dim empty">No run matches. Runs appear here as you make them.</p>;
  return (
    <div className="run-table" role="table" aria-label="Runs" aria-rowcount={runs.length + 1}>
      <div role="rowgroup">
        <div role="row" className="run-row head">
          <span role="columnheader">
            <span className="visually-hidden">Select</span>
          </span>
          <span role="columnheader">Run</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Schema</span>
          <span role="columnheader">Provider / model</span>
          <span role="columnheader">Created</span>
          <span role="columnheader">Attempts</span>
          <span role="columnheader">Tokens</span>
          <span role="columnheader">Latency</span>
          <span role="columnheader">Cost</span>
          <span role="columnheader">
            <span className="visually-hidden">Actions</span>
          </span>
        </div>
      </div>
      <div ref={scroller} className="run-rows" role="rowgroup">
        <div style={{ height: v.getTotalSize(), position: "relative" }}>
          {v.getVirtualItems().map((vi) => {
            const r = runs[vi.index]!;
            return (
              <div key={r.id} role="row" aria-rowindex={vi.index + 2} className={`run-row${selected.has(r.id) ? " selected" : ""}`} style={{ transform: `translateY(${vi.start}px)` }} data-run={r.id}>
                <span role="cell">
                  <input type="checkbox" checked={selected.has(r.id)} onChange={() => toggle(r.id)} aria-label={`Select run #${r.id}`} />
                </span>
                <span role="cell">#{r.id}</span>
                <span role="cell">
                  <span className={`status status-${r.status}`}>{r.status}</span>
                </span>
                <span role="cell" className="mono">
                  {r.schema}
                </span>
                <span role="cell" className="ellipsis" title={`${r.provider}/${r.model}${r.profile ? ` (profile ${r.profile})` : ""}`}>
                  {r.provider}/{r.model}
                </span>
                <span role="cell">{fmtDate(r.created_at)}</span>
                <span role="cell">{r.attempts}</span>
                <span role="cell">{fmtInt(r.usage.total_tokens)}</span>
                <span role="cell">{fmtMs(r.latency_ms)}</span>
                <span role="cell">{fmtCost(r.cost_usd)}</span>
                <span role="cell" className="row gap">
                  <button type="button" className="small" onClick={() => onOpen(r.id)} aria-label={`Open run #${r.id}`}>
                    Open
                  </button>
                  <button type="button" className="small" onClick={() => onRerun(r.id)} aria-label={`Rerun run #${r.id}`}>
                    Rerun
                  </button>
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function RunDiffView({ a, b }: { a: number; b: number }) {
  const diff = useRunDiff(a, b);
  if (diff.error) return <ErrorNote error={diff.error} />;
  if (!diff.data) return <p className="dim">Comparing…</p>;
  return (
    <div className="run-diff">
      <section aria-labelledby="diff-result">
        <h3 id="diff-result">Result</h3>
        <DiffTable diffs={diff.data.result} empty="The results are the same." label="Result differences" />
      </section>
      <section aria-labelledby="diff-request">
        <h3 id="diff-request">Request</h3>
        <DiffTable diffs={diff.data.spec} empty="The requests are the same." label="Request differences" />
      </section>
    </div>
  );
}

// Every event of the run in order, its type shown as the engine names it (`completion:kwargs`,
// `parse:error`…), filterable by type and attempt; each payload expands. Virtualized: a long
// stream's tens of thousands of events cost only the rows in view. Partial events that reached
// the window within one frame show as one row naming how many they were (a reopened run has a
// row for each).
import { useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { RunModel, EventType } from "./model/run";
import { eventAttempt } from "./model/run";
import { filterEvents, summarize } from "./model/hookLog";
import { fmtInt, pretty } from "../../components/format";

export function HookLog({ model, version }: { model: RunModel; version: number }) {
  const [type, setType] = useState<EventType | "">("");
  const [attempt, setAttempt] = useState<number | null>(null);
  const [open, setOpen] = useState<ReadonlySet<number>>(() => new Set());
  const scroller = useRef<HTMLDivElement>(null);
  const indexes = useMemo(
    () => filterEvents(model.events, { types: new Set(type ? [type] : []), attempt }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [model, version, type, attempt],
  );
  const virtualizer = useVirtualizer({
    count: indexes.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 28,
    overscan: 10,
    getItemKey: (i) => indexes[i]!,
  });
  const types = [...model.typeCounts.entries()];
  const attempts = model.attemptNumbers();
  const toggle = (i: number) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(i)) n.delete(i);
      else n.add(i);
      return n;
    });

  return (
    <div className="hook-log">
      <div className="row gap wrap filters">
        <label className="inline">
          <span>Event type</span>
          <select aria-label="Event type" value={type} onChange={(e) => setType(e.target.value as EventType | "")}>
            <option value="">all types ({fmtInt(model.events.length)})</option>
            {types.map(([t, n]) => (
              <option key={t} value={t}>
                {t} ({fmtInt(n)})
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          <span>Attempt</span>
          <select aria-label="Attempt" value={attempt ?? ""} onChange={(e) => setAttempt(e.target.value ? Number(e.target.value) : null)}>
            <option value="">all attempts</option>
            {attempts.map((n) => (
              <option key={n} value={n}>
                attempt {n}
              </option>
            ))}
          </select>
        </label>
        <span className="dim" role="status">
          {fmtInt(indexes.length)} event{indexes.length === 1 ? "" : "s"}
        </span>
      </div>
      <div ref={scroller} className="log-scroll" role="list" aria-label="Events">
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((vi) => {
            const i = indexes[vi.index]!;
            const e = model.events[i]!;
            const a = eventAttempt(e);
            const isOpen = open.has(i);
            const merged = model.merged.get(i);
            return (
              <div key={vi.key} data-index={vi.index} ref={virtualizer.measureElement} className="log-row" style={{ transform: `translateY(${vi.start}px)` }} role="listitem">
                <button type="button" className="log-line" aria-expanded={isOpen} onClick={() => toggle(i)}>
                  <span className="seq">{merged ? `#${e.seq - merged + 1}–${e.seq}` : `#${e.seq}`}</span>
                  <span className="t">{e.t_ms.toFixed(1)} ms</span>
                  <span className={`etype etype-${e.type.replace(/[^a-z]/g, "-")}`}>{e.type}</span>
                  {a !== null ? <span className="dim">attempt {a}</span> : <span className="dim" />}
                  <span className="summary">
                    {merged ? <span className="merged">{fmtInt(merged)} events, arrived within one frame · </span> : null}
                    {summarize(e)}
                  </span>
                </button>
                {isOpen ? <pre className="pre payload">{pretty(e, 100_000)}</pre> : null}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

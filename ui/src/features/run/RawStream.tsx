// The stream as it arrived: each partial update's changes, in order (one line each), following
// the end while the run goes on.
import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { RunModel } from "./model/run";
import { fmtInt } from "../../components/format";

export function RawStream({ model, version, live }: { model: RunModel; version: number; live: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  const list = model.partialIndexes;
  const virtualizer = useVirtualizer({ count: list.length, getScrollElement: () => scroller.current, estimateSize: () => 20, overscan: 20 });
  useEffect(() => {
    if (live && list.length) virtualizer.scrollToIndex(list.length - 1, { align: "end" });
  }, [version, live, list.length, virtualizer]);
  if (list.length === 0) {
    return <p className="dim empty">No streamed updates: this run {model.events.length ? "was not streamed" : "has not started"}. Each attempt's whole answer is under Attempts.</p>;
  }
  return (
    <div className="raw-stream">
      <p className="dim">{fmtInt(list.length)} updates</p>
      <div ref={scroller} className="raw-scroll" role="log" aria-label="Raw stream" tabIndex={0}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((vi) => {
            const e = model.events[list[vi.index]!]!;
            if (e.type !== "partial") return null;
            const line = JSON.stringify(e.changes);
            return (
              <div key={vi.key} className="raw-line" style={{ transform: `translateY(${vi.start}px)` }}>
                <span className="seq">#{e.seq}</span> <span className="dim">a{e.attempt}</span> {line.length > 300 ? `${line.slice(0, 300)}…` : line}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

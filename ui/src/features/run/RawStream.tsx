// The stream as it arrived: each partial update's changes, in order (one line each), following
// the end while the run goes on.
import { useEffect, useId, useRef } from "react";
import { atFrameStart } from "./model/scheduler";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { RunModel } from "./model/run";
import { fmtInt } from "../../components/format";

const LINE = 20;

export function RawStream({ model, version, live }: { model: RunModel; version: number; live: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  const list = model.partialIndexes;
  const virtualizer = useVirtualizer({ count: list.length, getScrollElement: () => scroller.current, estimateSize: () => LINE, overscan: 20, useFlushSync: false });
  // Follows the end while the run goes on: lines have one height, so the end's offset is known
  // without asking the element (scrollToIndex would force a layout on every frame); the write
  // waits for the next frame's start (atFrameStart).
  const followKey = useId();
  useEffect(() => {
    const el = scroller.current;
    const end = list.length * LINE;
    if (live && el && list.length) atFrameStart(followKey, () => (el.scrollTop = end));
  }, [version, live, list.length, followKey]);
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

// The run: how it stands (status in words, attempts, tokens, latency, cost), then the Result
// (the live tree and the final JSON), the Raw stream, the Attempts timeline and the Hook log;
// and the Request the next run sends, there before the first run too.
import { useState } from "react";
import { Tabs, type TabDef } from "../../components/Tabs";
import { ErrorNote } from "../../components/ErrorNote";
import { fmtCost, fmtInt, fmtMs, fmtTokens } from "../../components/format";
import { currentSlot, useRuns, type RunSlot } from "../../state/runs";
import { useRunDetail } from "../../api/queries";
import { infoAsError } from "../../state/problem";
import { ResultTree } from "./ResultTree";
import { FinalJson } from "./FinalJson";
import { Attempts } from "./Attempts";
import { HookLog } from "./HookLog";
import { RawStream } from "./RawStream";
import { NextRequest } from "./NextRequest";
import { describeInput } from "./model/inputs";

function statusWord(slot: RunSlot): string {
  if (slot.startError) return "not started";
  if (slot.phase === "starting") return "starting";
  if (slot.phase === "running") return "running";
  return slot.status ?? slot.model.outcome?.status ?? "ended";
}

function Summary({ slot, cost }: { slot: RunSlot; cost: number | null | undefined }) {
  const m = slot.model;
  const word = statusWord(slot);
  const usage = m.usage();
  return (
    <div className="run-summary" role="status" aria-live="polite" aria-atomic="true">
      <span className={`status status-${word.replace(/\s/g, "-")}`}>{word}</span>
      {slot.runId !== null ? <span>run #{slot.runId}</span> : null}
      {m.started ? (
        <span className="dim">
          {m.started.provider}/{m.started.model} · {m.started.mode}
        </span>
      ) : null}
      <span>
        {m.attempts.length} attempt{m.attempts.length === 1 ? "" : "s"}
        {m.started ? ` of at most ${m.started.max_attempts}` : ""}
      </span>
      <span>{fmtTokens(usage)}</span>
      <span>{fmtMs(m.outcome?.latencyMs ?? null)}</span>
      <span>cost {slot.phase === "ended" ? fmtCost(cost) : "…"}</span>
      {slot.source === "replay" ? <span className="dim">(replayed from the history)</span> : null}
    </div>
  );
}

const requestTab: TabDef = { id: "request", label: "Request", render: () => <NextRequest /> };

export function RunView() {
  const slot = useRuns(currentSlot);
  const [tab, setTab] = useState("result");
  // A run just started (or opened from the history) is what the user wants to watch: from the
  // Request tab, which is about the next run, the view moves to its Result.
  const [shownKey, setShownKey] = useState(slot?.key ?? null);
  if ((slot?.key ?? null) !== shownKey) {
    setShownKey(slot?.key ?? null);
    if (slot && tab === "request") setTab("result");
  }
  const ended = slot?.phase === "ended";
  const detail = useRunDetail(slot?.runId ?? null, !!ended && !slot?.startError);

  if (!slot) {
    return (
      <section className="run-view empty-run" aria-label="Run">
        <h2 className="visually-hidden">Run</h2>
        <Tabs
          label="Run views"
          selected={tab}
          onSelect={setTab}
          className="run-tabs"
          tabs={[
            {
              id: "result",
              label: "Result",
              render: () => (
                <div className="welcome">
                  <h2>Nothing run yet</h2>
                  <ol>
                    <li>Choose an example schema (or write one) on the left.</li>
                    <li>Write the prompt; fill in its variables.</li>
                    <li>
                      Press <strong>Run</strong> (<kbd>Ctrl</kbd>+<kbd>Enter</kbd>) and watch the fields arrive here.
                    </li>
                  </ol>
                  <p>
                    The <strong>Request</strong> tab shows what Run will send, as you type.
                  </p>
                </div>
              ),
            },
            requestTab,
          ]}
        />
      </section>
    );
  }
  const m = slot.model;
  const live = slot.source === "live" && slot.phase !== "ended";
  const failure = m.outcome?.error ?? null;
  const value = m.outcome?.value;
  return (
    <section className="run-view" aria-label="Run">
      <Summary slot={slot} cost={detail.data?.cost_usd} />
      {m.inputs.length ? (
        <ul className="run-inputs" aria-label="What Quarry did with the attached files">
          {m.inputs.map((e) => (
            <li key={e.seq} className="note info">
              {describeInput(e)}
            </li>
          ))}
        </ul>
      ) : null}
      {slot.startError ? <ErrorNote error={slot.startError} title="The run did not start" /> : null}
      {failure ? <ErrorNote error={infoAsError(failure)} title={slot.status === "cancelled" ? "Cancelled" : "The run failed"} /> : null}
      {slot.end?.not_recorded ? <ErrorNote error={slot.end.not_recorded} title="Not in the history" /> : null}
      {slot.unreadable ? <p className="note warn">{fmtInt(slot.unreadable)} recorded event(s) were written by another version of Quarry and are not shown.</p> : null}
      {slot.status === "interrupted" ? (
        <p className="note warn">This run was interrupted (Quarry stopped while it ran): what had arrived is shown.</p>
      ) : null}
      <Tabs
        label="Run views"
        selected={tab}
        onSelect={setTab}
        className="run-tabs"
        tabs={[
          {
            id: "result",
            label: "Result",
            render: () => (
              <div className="result-tab">
                <ResultTree model={m} version={slot.version} live={live} />
                {value !== undefined ? <FinalJson value={value} runId={slot.runId} /> : null}
              </div>
            ),
          },
          { id: "raw", label: "Raw stream", badge: m.partialIndexes.length ? fmtInt(m.partialIndexes.length) : null, render: () => <RawStream model={m} version={slot.version} live={live} /> },
          { id: "attempts", label: "Attempts", badge: m.attempts.length || null, render: () => <Attempts model={m} version={slot.version} costs={detail.data?.attempt_details} /> },
          { id: "log", label: "Hook log", badge: fmtInt(m.events.length), render: () => <HookLog model={m} version={slot.version} /> },
          requestTab,
        ]}
      />
    </section>
  );
}

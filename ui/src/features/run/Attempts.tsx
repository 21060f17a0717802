// Every attempt, headed "Attempt N": its request as sent (secrets already redacted by the
// engine), the raw answer, what did not validate, the re-ask messages appended, tokens,
// latency, cost, and what changed from the attempt before.
import { useMemo } from "react";
import type { AttemptRow, Message } from "../../api/types";
import type { AttemptInfo, RunModel } from "./model/run";
import { answerValue } from "./model/run";
import { diffAnswers } from "./attemptDiff";
import { DiffTable } from "../../components/DiffTable";
import { fmtCost, fmtMs, fmtTokens, pretty } from "../../components/format";
import { partLabel } from "../prompt/attachments";

function messageText(m: Message): string {
  const text = m.content.map((p, i) => partLabel(p, i)).join("\n");
  const calls = (m.tool_calls ?? []).map((c) => `→ ${c.name}(${c.arguments})`).join("\n");
  return [text, calls].filter(Boolean).join("\n");
}

function AttemptCard({ a, prev, cost, last }: { a: AttemptInfo; prev: AttemptInfo | null; cost: AttemptRow | undefined; last: boolean }) {
  const diff = useMemo(() => (prev ? diffAnswers(answerValue(prev), answerValue(a)) : null), [a, prev]);
  const verdict = a.parseError ? "invalid" : a.errors.length && a.status === null ? "error" : a.status !== null ? (last ? "answered" : "answered") : "waiting";
  return (
    <article className={`attempt attempt-${verdict}`} aria-labelledby={`attempt-${a.number}`}>
      <header className="attempt-head">
        <h3 id={`attempt-${a.number}`}>Attempt {a.number}</h3>
        <dl className="facts">
          <div>
            <dt>HTTP</dt>
            <dd>{a.status ?? "—"}</dd>
          </div>
          <div>
            <dt>Latency</dt>
            <dd>{fmtMs(a.latencyMs)}</dd>
          </div>
          <div>
            <dt>Tokens</dt>
            <dd>{fmtTokens(a.usage)}</dd>
          </div>
          <div>
            <dt>Cost</dt>
            <dd>{cost ? fmtCost(cost.cost_usd) : "when recorded"}</dd>
          </div>
          {a.stream?.first_byte_ms !== undefined && a.stream?.first_byte_ms !== null ? (
            <div>
              <dt>First byte</dt>
              <dd>{fmtMs(a.stream.first_byte_ms)}</dd>
            </div>
          ) : null}
        </dl>
      </header>
      {a.parseError ? (
        <section className="attempt-part" aria-label={`Validation errors of attempt ${a.number}`}>
          <h4>Validation errors</h4>
          <p>{a.parseError.error}</p>
          <ul className="issues">
            {a.parseError.issues.map((i, k) => (
              <li key={k}>
                <span className="mono">{i.path || "/"}</span>: {i.message}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {a.errors.length ? (
        <section className="attempt-part" aria-label={`Errors of attempt ${a.number}`}>
          <h4>Provider and transport errors</h4>
          <ul className="issues">
            {a.errors.map((e, k) => (
              <li key={k}>
                <span className="mono">{e.error.code}</span>: {e.error.message}
                {e.retryInMs !== null ? <span className="dim"> — retried after {fmtMs(e.retryInMs)}</span> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {a.reask ? (
        <section className="attempt-part" aria-label={`Re-ask after attempt ${a.number}`}>
          <h4>Re-ask messages</h4>
          {a.reask.map((m, k) => (
            <div key={k} className="reask-message">
              <span className="role">{m.role}</span>
              <pre className="pre">{messageText(m)}</pre>
            </div>
          ))}
        </section>
      ) : null}
      <details className="attempt-part">
        <summary>Raw answer</summary>
        <pre className="pre">{a.raw ?? (a.body !== null ? pretty(a.body) : "No answer arrived.")}</pre>
      </details>
      <details className="attempt-part">
        <summary>Request as sent</summary>
        {a.request ? (
          <>
            <p className="mono">
              {a.request.method} {a.request.url}
            </p>
            <ul className="headers">
              {a.request.headers.map(([k, v], i) => (
                <li key={i} className="mono">
                  {k}: {v}
                </li>
              ))}
            </ul>
            <pre className="pre">{pretty(a.request.body)}</pre>
          </>
        ) : (
          <p className="dim">Not sent yet.</p>
        )}
      </details>
      {diff ? (
        <details className="attempt-part" open={diff.length > 0 && diff.length <= 20}>
          <summary>
            Changes from attempt {a.number - 1} ({diff.length})
          </summary>
          <DiffTable diffs={diff as never} empty={`The answer is the same as attempt ${a.number - 1}'s.`} label={`Changes from attempt ${a.number - 1} to attempt ${a.number}`} />
        </details>
      ) : null}
    </article>
  );
}

export function Attempts({ model, costs }: { model: RunModel; version: number; costs: AttemptRow[] | undefined }) {
  if (model.attempts.length === 0) return <p className="dim empty">No attempt yet.</p>;
  return (
    <div className="attempts">
      {model.attempts.map((a, i) => (
        <AttemptCard key={a.number} a={a} prev={i > 0 ? model.attempts[i - 1]! : null} cost={costs?.find((c) => c.number === a.number)} last={i === model.attempts.length - 1} />
      ))}
    </div>
  );
}

// The hook log's filters: by event type and by attempt.
import type { EventRecord } from "../../../api/types";
import { eventAttempt, type EventType } from "./run";
import { describeInput } from "./inputs";

export interface LogFilter {
  /** Only these types (empty: all). */
  types: ReadonlySet<EventType>;
  /** Only this attempt (null: all). Events of no attempt (run_started, run_succeeded…) always show. */
  attempt: number | null;
}

export const ALL: LogFilter = { types: new Set(), attempt: null };

export function matches(e: EventRecord, f: LogFilter): boolean {
  if (f.types.size > 0 && !f.types.has(e.type)) return false;
  if (f.attempt !== null) {
    const a = eventAttempt(e);
    if (a !== null && a !== f.attempt) return false;
  }
  return true;
}

/** Indexes of the events the filter lets through, in order. */
export function filterEvents(events: readonly EventRecord[], f: LogFilter, from = 0, into: number[] = []): number[] {
  const all = f.types.size === 0 && f.attempt === null;
  for (let i = from; i < events.length; i++) {
    if (all || matches(events[i]!, f)) into.push(i);
  }
  return into;
}

/** One line saying what an event carries, for the log's collapsed row. */
export function summarize(e: EventRecord): string {
  switch (e.type) {
    case "run_started":
      return `${e.provider}/${e.model}, mode ${e.mode}, schema ${e.schema}, at most ${e.max_attempts} attempt(s)`;
    case "input:fetched":
    case "input:pdf_text":
      return describeInput(e);
    case "completion:kwargs":
      return `${e.request.method} ${e.request.url}`;
    case "completion:response":
      return `HTTP ${e.status} in ${e.latency_ms} ms, ${e.usage.total_tokens} tokens`;
    case "partial":
      return e.changes.map((c) => `${c.op} ${c.path || "/"}`).join(", ");
    case "item":
      return `item ${e.index}`;
    case "item_invalid":
      return `item ${e.index} invalid: ${e.issues.map((i) => i.message).join("; ")}`;
    case "completion:error":
      return `${e.error.code}: ${e.error.message}${e.retry_in_ms !== null ? ` (retry in ${e.retry_in_ms} ms)` : ""}`;
    case "parse:error":
      return e.error;
    case "reask":
      return `${e.messages.length} message(s) appended`;
    case "completion:last_attempt":
      return e.error;
    case "hook_failed":
      return `${e.hook}: ${e.message}`;
    case "run_succeeded":
      return `after ${e.attempts} attempt(s), ${e.usage.total_tokens} tokens, ${e.latency_ms} ms`;
    case "run_failed":
      return `${e.error.code}: ${e.error.message}`;
  }
}

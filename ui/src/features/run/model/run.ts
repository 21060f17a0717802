// One run as its events arrive (live, or replayed from the history): the partial object of the
// current attempt, every attempt's request, answer, errors and re-ask, the hook log, and how
// the run ended. Pure logic; the run view reads it after each batch (see scheduler.ts).
import type {
  ErrorInfo,
  EventRecord,
  Issue,
  JsonValue,
  Message,
  RecordedRequest,
  StreamStats,
  Usage,
} from "../../../api/types";
import { Tree } from "./tree";
import type { InputEvent } from "./inputs";

export type EventType = EventRecord["type"];

export interface AttemptInfo {
  number: number;
  request: RecordedRequest | null;
  status: number | null;
  latencyMs: number | null;
  usage: Usage | null;
  body: JsonValue | null;
  stream: StreamStats | null;
  /** The model's answer as text (tool-call arguments or message content), when known. */
  raw: string | null;
  /** What the answer did not pass (`parse:error`). */
  parseError: { error: string; issues: Issue[] } | null;
  /** Transport or provider errors of this attempt's tries. */
  errors: Array<{ error: ErrorInfo; retryInMs: number | null }>;
  /** Messages appended to ask again after this attempt (`reask`). */
  reask: Message[] | null;
  /** The partial object as it stood when the attempt ended (streamed runs). */
  partial: JsonValue | null;
  /** Items of an iterable stream: index → value or issues. */
  items: Array<{ index: number; value?: JsonValue; issues?: Issue[] }>;
}

export interface RunOutcome {
  status: "succeeded" | "failed";
  attempts: number;
  usage: Usage;
  latencyMs: number;
  value?: JsonValue;
  error?: ErrorInfo;
}

function newAttempt(n: number): AttemptInfo {
  return {
    number: n,
    request: null,
    status: null,
    latencyMs: null,
    usage: null,
    body: null,
    stream: null,
    raw: null,
    parseError: null,
    errors: [],
    reask: null,
    partial: null,
    items: [],
  };
}

/** The answer's text inside a completion body: streamed (`{text, tool_calls}`), Chat Completions or Responses API. */
export function answerText(body: JsonValue | null): string | null {
  if (!body || typeof body !== "object" || Array.isArray(body)) return null;
  const b = body as Record<string, JsonValue>;
  const fromCalls = (calls: JsonValue | undefined, fn: boolean): string | null => {
    if (!Array.isArray(calls) || calls.length === 0) return null;
    const c = calls[0] as Record<string, JsonValue> | null;
    if (!c || typeof c !== "object") return null;
    const holder = fn ? (c.function as Record<string, JsonValue> | undefined) : c;
    const args = holder?.arguments;
    return typeof args === "string" ? args : null;
  };
  const streamed = fromCalls(b.tool_calls, false);
  if (streamed !== null) return streamed;
  if (typeof b.text === "string") return b.text;
  if (Array.isArray(b.choices) && b.choices.length > 0) {
    const msg = (b.choices[0] as Record<string, JsonValue>)?.message as Record<string, JsonValue> | undefined;
    if (msg) {
      const call = fromCalls(msg.tool_calls, true);
      if (call !== null) return call;
      const fc = msg.function_call as Record<string, JsonValue> | undefined;
      if (fc && typeof fc.arguments === "string") return fc.arguments;
      if (typeof msg.content === "string") return msg.content;
    }
  }
  if (Array.isArray(b.output)) {
    for (const item of b.output) {
      const o = item as Record<string, JsonValue>;
      if (o?.type === "function_call" && typeof o.arguments === "string") return o.arguments;
      if (o?.type === "message" && Array.isArray(o.content)) {
        const t = (o.content as Array<Record<string, JsonValue>>).find((p) => typeof p?.text === "string");
        if (t) return t.text as string;
      }
    }
  }
  return null;
}

/** A parsed answer, or the text itself when it is not JSON. */
export function answerValue(a: AttemptInfo): JsonValue | null {
  if (a.raw !== null) {
    try {
      return JSON.parse(a.raw) as JsonValue;
    } catch {
      return a.raw;
    }
  }
  return a.partial;
}

export function sumUsage(list: Array<Usage | null>): Usage {
  const out: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  for (const u of list) {
    if (!u) continue;
    out.prompt_tokens += u.prompt_tokens;
    out.completion_tokens += u.completion_tokens;
    out.total_tokens += u.total_tokens;
  }
  return out;
}

export class RunModel {
  readonly events: EventRecord[] = [];
  readonly attempts: AttemptInfo[] = [];
  /** How many events of each type. */
  readonly typeCounts = new Map<EventType, number>();
  /**
   * Events that stand for several recorded ones (by index in `events`): partial events that
   * reached the window within one frame arrive merged; a reopened run has each.
   */
  readonly merged = new Map<number, number>();
  /** Indexes (into `events`) of the partial events, for the raw stream view. */
  readonly partialIndexes: number[] = [];
  tree: Tree;
  /** Which attempt the tree shows. */
  treeAttempt = 0;
  started: Extract<EventRecord, { type: "run_started" }> | null = null;
  outcome: RunOutcome | null = null;
  hookFailures: string[] = [];
  /** What was done with the attached files before the first request (downloaded, sent as text). */
  readonly inputs: InputEvent[] = [];
  /** Goes up with every event applied. */
  version = 0;

  constructor(private readonly expectedPointers: readonly string[] = []) {
    this.tree = new Tree(expectedPointers);
  }

  attempt(n: number): AttemptInfo {
    while (this.attempts.length < n) this.attempts.push(newAttempt(this.attempts.length + 1));
    return this.attempts[n - 1]!;
  }

  /** A new attempt starts a new answer: the tree of the one before is kept as its partial. */
  private treeFor(n: number): Tree {
    if (n !== this.treeAttempt) {
      if (this.treeAttempt > 0 && this.tree.root) this.attempt(this.treeAttempt).partial = this.tree.value();
      this.tree = new Tree(this.expectedPointers);
      this.treeAttempt = n;
    }
    return this.tree;
  }

  /** Takes the next event; `merged`: how many recorded events it stands for, when several. */
  apply(e: EventRecord, merged?: number): void {
    this.version++;
    this.events.push(e);
    if (merged !== undefined && merged > 1) this.merged.set(this.events.length - 1, merged);
    this.typeCounts.set(e.type, (this.typeCounts.get(e.type) ?? 0) + (merged ?? 1));
    switch (e.type) {
      case "run_started":
        this.started = e;
        break;
      case "input:fetched":
      case "input:pdf_text":
        this.inputs.push(e);
        break;
      case "completion:kwargs":
        this.attempt(e.attempt).request = e.request;
        break;
      case "completion:response": {
        const a = this.attempt(e.attempt);
        a.status = e.status;
        a.latencyMs = e.latency_ms;
        a.usage = e.usage;
        a.body = e.body;
        a.stream = e.stream ?? null;
        a.raw = a.raw ?? answerText(e.body);
        break;
      }
      case "partial": {
        this.attempt(e.attempt);
        this.partialIndexes.push(this.events.length - 1);
        const tree = this.treeFor(e.attempt);
        for (const c of e.changes) tree.apply(c);
        break;
      }
      case "item":
        this.attempt(e.attempt).items.push({ index: e.index, value: e.value });
        break;
      case "item_invalid":
        this.attempt(e.attempt).items.push({ index: e.index, issues: e.issues });
        break;
      case "completion:error":
        this.attempt(e.attempt).errors.push({ error: e.error, retryInMs: e.retry_in_ms });
        break;
      case "parse:error": {
        const a = this.attempt(e.attempt);
        a.parseError = { error: e.error, issues: e.issues };
        if (e.raw !== null) a.raw = e.raw;
        break;
      }
      case "reask":
        this.attempt(e.attempt).reask = e.messages;
        break;
      case "completion:last_attempt":
        this.attempt(e.attempt);
        break;
      case "hook_failed":
        this.hookFailures.push(`${e.hook}: ${e.message}`);
        break;
      case "run_succeeded":
        this.outcome = { status: "succeeded", attempts: e.attempts, usage: e.usage, latencyMs: e.latency_ms, value: e.value };
        break;
      case "run_failed":
        this.outcome = { status: "failed", attempts: e.attempts, usage: e.usage, latencyMs: e.latency_ms, error: e.error };
        break;
    }
  }

  /** Tokens over every attempt: the run's own total when it ended, else the attempts' sum. */
  usage(): Usage {
    return this.outcome?.usage ?? sumUsage(this.attempts.map((a) => a.usage));
  }

  /** The attempt numbers seen, for the hook log's filter. */
  attemptNumbers(): number[] {
    return this.attempts.map((a) => a.number);
  }
}

/** The attempt an event belongs to, when it belongs to one. */
export function eventAttempt(e: EventRecord): number | null {
  return "attempt" in e && typeof e.attempt === "number" ? e.attempt : null;
}

// The runs this window shows: live runs (events arriving over the window's link) and runs
// replayed from the history, each a RunModel. Messages are applied in batches, one per
// animation frame (FrameBatcher), and the store's version of a run goes up once per batch, so
// React renders once a frame however fast the stream is.
import { create } from "zustand";
import type { CommandError, EventRecord, RunEnd, RunMessage, RunStatus } from "../api/types";
import { RunModel } from "../features/run/model/run";
import { FrameBatcher } from "../features/run/model/scheduler";

export type Phase = "starting" | "running" | "ended";

export interface RunSlot {
  /** The stream id (live) or `replay:<run id>:<n>`. */
  key: string;
  source: "live" | "replay";
  runId: number | null;
  phase: Phase;
  /** The run's status in words once known. */
  status: RunStatus | null;
  end: RunEnd | null;
  /** Why the run did not start (bad input, missing key…). */
  startError: CommandError | null;
  /** Events of a recorded run this version could not read. */
  unreadable: number;
  model: RunModel;
  /** Goes up after each batch of events applied to `model`. */
  version: number;
}

interface RunsState {
  slots: Record<string, RunSlot>;
  current: string | null;
}

export const useRuns = create<RunsState>(() => ({ slots: {}, current: null }));

/** This window's prefix for stream ids: the link carries every window's runs. */
export const windowId = `w${Math.random().toString(36).slice(2, 10)}`;
let counter = 0;
export function nextStreamId(): string {
  counter += 1;
  return `${windowId}:${counter}`;
}

const touched = new Set<string>();
const endListeners = new Set<(slot: RunSlot) => void>();

/** Called for each run of this window that ends (to refresh the history, for one). */
export function onRunEnded(listener: (slot: RunSlot) => void): () => void {
  endListeners.add(listener);
  return () => endListeners.delete(listener);
}

function applyMessage(m: RunMessage): void {
  const slot = useRuns.getState().slots[m.stream_id];
  if (!slot) return;
  if ("event" in m) {
    slot.model.apply(m.event, m.merged);
  } else {
    slot.end = m.end;
    slot.phase = "ended";
    slot.status = (m.end.status as RunStatus) ?? slot.status;
    if (m.end.run_id !== null) slot.runId = m.end.run_id;
    const ended = slot;
    queueMicrotask(() => endListeners.forEach((l) => l(ended)));
  }
  touched.add(m.stream_id);
}

function commit(): void {
  if (touched.size === 0) return;
  const keys = [...touched];
  touched.clear();
  useRuns.setState((s) => {
    const slots = { ...s.slots };
    for (const k of keys) {
      const slot = slots[k];
      if (slot) slots[k] = { ...slot, version: slot.version + 1 };
    }
    return { slots };
  });
}

const batcher = new FrameBatcher<RunMessage>(applyMessage, commit);

/** Takes a message from the link: this window's runs only. */
export function receive(m: RunMessage): void {
  if (!m.stream_id.startsWith(`${windowId}:`)) return;
  batcher.push(m);
}

function put(slot: RunSlot, makeCurrent: boolean): void {
  useRuns.setState((s) => ({ slots: { ...s.slots, [slot.key]: slot }, current: makeCurrent ? slot.key : s.current }));
}

function update(key: string, patch: Partial<RunSlot>): void {
  useRuns.setState((s) => {
    const slot = s.slots[key];
    if (!slot) return s;
    return { slots: { ...s.slots, [key]: { ...slot, ...patch, version: slot.version + 1 } } };
  });
}

/** A live run about to start under `key`: its slot exists before the first event can arrive. */
export function beginLive(key: string, expected: readonly string[]): void {
  put(
    { key, source: "live", runId: null, phase: "starting", status: null, end: null, startError: null, unreadable: 0, model: new RunModel(expected), version: 0 },
    true,
  );
}

export function started(key: string, runId: number): void {
  const slot = useRuns.getState().slots[key];
  if (!slot) return;
  // The end may have arrived before the answer to start_run did.
  update(key, { runId: slot.runId ?? runId, phase: slot.phase === "ended" ? "ended" : "running", status: slot.status ?? "running" });
}

export function failedToStart(key: string, error: CommandError): void {
  update(key, { phase: "ended", startError: error });
}

let replays = 0;

/** A recorded run, its events applied at once. */
export function showReplay(runId: number, status: RunStatus, events: EventRecord[], unreadable: number): string {
  replays += 1;
  const key = `replay:${runId}:${replays}`;
  const model = new RunModel();
  for (const e of events) model.apply(e);
  put({ key, source: "replay", runId, phase: "ended", status, end: null, startError: null, unreadable, model, version: 1 }, true);
  return key;
}

export function showRun(key: string | null): void {
  useRuns.setState({ current: key });
}

export function currentSlot(s: RunsState): RunSlot | null {
  return s.current ? (s.slots[s.current] ?? null) : null;
}

/** The live run of this window still going, if any. */
export function runningSlot(s: RunsState): RunSlot | null {
  const c = currentSlot(s);
  return c && c.source === "live" && c.phase !== "ended" ? c : null;
}

/** For tests and measurements: apply everything queued now. */
export function flushRuns(): void {
  batcher.drain();
}

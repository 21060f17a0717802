// A backend answer that follows the draft as it changes (the request preview, the code export,
// the schema check): the draft is read on every change, made into the command's input, and
// asked about through `Latest` (one call in flight, always the newest input). The call goes out
// from the draft's own change, before React renders anything, so no frame is lost waiting.
import { useEffect, useState } from "react";
import { useDraft, type Draft } from "../state/draft";
import { sameJson } from "../lib/sameJson";
import { Latest } from "./latest";
import type { CommandError } from "./types";

/** What the draft makes: the command's input, nothing to ask (null), or why it cannot be sent. */
export type Made<I> = { ok: true; input: I } | { ok: false; error: CommandError } | null;

export interface Following<I, O> {
  /** The last answer, kept while the next is on its way. */
  value: O | null;
  /** What `value` answers. */
  input: I | null;
  /** The last failure (or why the draft cannot be sent), kept likewise. */
  error: CommandError | null;
  /** A call is out whose answer will be shown. */
  busy: boolean;
}

const IDLE: Following<never, never> = { value: null, input: null, error: null, busy: false };

/**
 * Follows `make(draft)` through `call`. `delayMs` waits for a pause in the changes first (for
 * answers that mean little while a word is half typed). `make` and `call` should keep their
 * identity between renders (module functions, or useCallback): a new one starts over.
 */
export function useFollowDraft<I, O>(make: (d: Draft) => Made<I>, call: (input: I) => Promise<O>, delayMs = 0): Following<I, O> {
  const [state, setState] = useState<Following<I, O>>(IDLE);
  useEffect(() => {
    const latest = new Latest<I, O>(
      call,
      (o, more) => setState(o.ok ? { value: o.value, input: o.input, error: null, busy: more } : { value: null, input: o.input, error: o.error, busy: more }),
      sameJson,
    );
    const follow = (d: Draft) => {
      const made = make(d);
      if (made === null || !made.ok) {
        latest.clear();
        setState({ ...IDLE, error: made?.error ?? null });
      } else if (latest.push(made.input)) {
        setState((s) => (s.busy ? s : { ...s, busy: true }));
      }
    };
    follow(useDraft.getState());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = useDraft.subscribe((d) => {
      if (delayMs <= 0) return follow(d);
      clearTimeout(timer);
      timer = setTimeout(() => follow(useDraft.getState()), delayMs);
    });
    return () => {
      stop();
      clearTimeout(timer);
      latest.stop();
    };
  }, [make, call, delayMs]);
  return state;
}

// Asks the backend about an input that keeps changing (the draft, as the user types) with never
// more than one call in flight: a change that comes while a call is out waits, and only the
// newest such change is asked about once the call is back. So what is shown follows typing as
// closely as the round trip allows (no fixed pause), stale answers never come after fresher
// ones, and fast typing costs one call per round trip, not one per keystroke.
import type { CommandError } from "./types";
import { toCommandError } from "./client";

export type Outcome<I, O> = { input: I; ok: true; value: O } | { input: I; ok: false; error: CommandError };

export class Latest<I, O> {
  private inFlight = false;
  /** The newest input not yet asked about. */
  private waiting: { input: I } | null = null;
  /** The input last pushed (asked about or waiting), to skip asking again about the same. */
  private last: { input: I } | null = null;
  /** Bumped by clear() and stop(): the answer to a call made before is not delivered. */
  private era = 0;
  private stopped = false;

  constructor(
    private readonly call: (input: I) => Promise<O>,
    /** Each answer, in order; `more` when a newer input is being asked about already. */
    private readonly deliver: (outcome: Outcome<I, O>, more: boolean) => void,
    private readonly same: (a: I, b: I) => boolean,
  ) {}

  /**
   * The input changed: ask about it now, or as soon as the call in flight is back. False when
   * it is the input last pushed (nothing to ask).
   */
  push(input: I): boolean {
    if (this.stopped || (this.last && this.same(this.last.input, input))) return false;
    this.last = { input };
    if (this.inFlight) this.waiting = { input };
    else this.send(input);
    return true;
  }

  /** There is nothing to ask about (the draft cannot be sent): what is in flight is not delivered. */
  clear(): void {
    this.era++;
    this.waiting = null;
    this.last = null;
  }

  /** No more calls or deliveries, ever. */
  stop(): void {
    this.clear();
    this.stopped = true;
  }

  private send(input: I): void {
    this.inFlight = true;
    const era = this.era;
    const settle = (outcome: Outcome<I, O>) => {
      this.inFlight = false;
      // A call made before clear() is over: whatever came since is asked about now.
      const next = this.waiting;
      this.waiting = null;
      if (era === this.era) this.deliver(outcome, next !== null);
      if (next) this.send(next.input);
    };
    this.call(input).then(
      (value) => settle({ input, ok: true, value }),
      (e: unknown) => settle({ input, ok: false, error: toCommandError(e) }),
    );
  }
}

// Coalesces a fast stream of items into one update per animation frame: items are queued as
// they arrive, applied in a batch at the next frame within a time budget (what does not fit
// waits for the frame after, so no frame grows long however fast the stream), then `commit`
// runs once for the whole batch (one React render per frame, not one per event).

export type Schedule = (run: () => void) => void;

/** The next animation frame; a short timer while the page is hidden (frames stop then). */
export const nextFrame: Schedule = (run) => {
  if (typeof document !== "undefined" && document.visibilityState === "hidden") {
    setTimeout(run, 16);
  } else if (typeof requestAnimationFrame === "function") {
    requestAnimationFrame(() => run());
  } else {
    setTimeout(run, 16);
  }
};

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

/**
 * DOM writes that read layout (a scroll position) wait for the start of the next frame, before
 * that frame's batch is applied: the page was just drawn, so the write costs no layout of its
 * own. Made right after a render, it would force one (the render left the layout dirty), and
 * the browser would lay the page out twice a frame. The latest write per key wins.
 */
const beforeFrame = new Map<string, () => void>();
let beforeScheduled = false;
let batchersWaiting = 0;

function runBeforeFrame(): void {
  beforeScheduled = false;
  const writes = [...beforeFrame.values()];
  beforeFrame.clear();
  for (const w of writes) w();
}

export function atFrameStart(key: string, write: () => void): void {
  beforeFrame.set(key, write);
  // A batcher with a frame coming runs them first; otherwise they get a frame of their own.
  if (batchersWaiting === 0 && !beforeScheduled) {
    beforeScheduled = true;
    nextFrame(runBeforeFrame);
  }
}

export class FrameBatcher<T> {
  private queue: T[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly apply: (item: T) => void,
    private readonly commit: () => void,
    private readonly budgetMs = 6,
    private readonly schedule: Schedule = nextFrame,
  ) {}

  get pending(): number {
    return this.queue.length - this.head;
  }

  push(item: T): void {
    this.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      batchersWaiting++;
      this.schedule(() => this.frame());
    }
  }

  /** Applies everything queued now (for replays and tests). */
  drain(): void {
    if (this.pending === 0) return;
    this.run(Infinity);
    this.commit();
  }

  private frame(): void {
    this.scheduled = false;
    batchersWaiting--;
    if (beforeFrame.size > 0) runBeforeFrame();
    this.run(this.budgetMs);
    this.commit();
    if (this.pending > 0) {
      this.scheduled = true;
      batchersWaiting++;
      this.schedule(() => this.frame());
    }
  }

  private run(budget: number): void {
    const start = now();
    let n = 0;
    while (this.head < this.queue.length) {
      this.apply(this.queue[this.head++]!);
      // Look at the clock every few items: it costs more than applying one.
      if (++n % 32 === 0 && now() - start >= budget) break;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 65536) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

import type { Command, CommandError, RunMessage } from "../bindings";

/** How the window's connection to run events stands. */
export type LinkState = "connecting" | "open" | "closed";

/** What the UI needs from the place it runs in: the desktop app or `quarry serve`. */
export interface Platform {
  readonly kind: "tauri" | "web";
  /** Sends one command; resolves to its result, rejects with a {@link CommandError}. */
  call(command: Command): Promise<unknown>;
  /**
   * Starts hearing run messages (once per window). Resolves when the window is subscribed,
   * so a run started afterwards loses none of its events.
   */
  listen(onMessage: (message: RunMessage) => void, onLink: (state: LinkState) => void): Promise<void>;
  /** Resolves once the event link is open again (the web socket reconnects after a drop). */
  ready(): Promise<void>;
  /**
   * The page's first frame was painted (times in ms of the page's clock): the desktop app
   * reports its cold start from this; the browser has its own performance tools.
   */
  painted(scriptMs: number, paintedMs: number): void;
  /** Where the user's data lives, when the platform knows better than the backend (unused on the web). */
  readonly describe: string;
}

export function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as CommandError).code === "string" &&
    typeof (value as CommandError).message === "string"
  );
}

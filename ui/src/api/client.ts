// The one typed way to the backend: rpc(command) resolves to that command's result type, and
// subscribe(listener) hears every run message of this window's connection.
import type { Command, CommandError, CommandResults, RunMessage, Setting } from "../bindings";
import { isCommandError, platform, type LinkState } from "../platform";

export type CommandName = Command["cmd"];

export async function rpc<C extends Command>(command: C): Promise<CommandResults[C["cmd"]]> {
  const p = await platform();
  try {
    return (await p.call(command)) as CommandResults[C["cmd"]];
  } catch (e) {
    throw toCommandError(e);
  }
}

/** Any thrown value as a CommandError (the platforms reject with one; anything else is wrapped). */
export function toCommandError(e: unknown): CommandError {
  if (isCommandError(e)) return e;
  return {
    code: "internal",
    message: e instanceof Error ? e.message : String(e),
    details: { hint: "try again; if it persists, restart Quarry" },
  };
}

/** The error's hint, when it has one. */
export function hintOf(e: CommandError): string | null {
  const d = e.details;
  if (d && typeof d === "object" && !Array.isArray(d) && typeof d.hint === "string" && d.hint) return d.hint;
  return null;
}

/** The setting that fixes the error (the field to highlight), when it names one. */
export function settingOf(e: CommandError): Setting | null {
  const d = e.details;
  if (d && typeof d === "object" && !Array.isArray(d) && typeof d.setting === "string") return d.setting as Setting;
  return null;
}

/** A number from the error's details (`line`, `column`, `message` index…), when present. */
export function detailNumber(e: CommandError, key: string): number | null {
  const d = e.details;
  if (d && typeof d === "object" && !Array.isArray(d) && typeof d[key] === "number") return d[key];
  return null;
}

type Listener = (message: RunMessage) => void;
const listeners = new Set<Listener>();
const linkListeners = new Set<(s: LinkState) => void>();
let linkState: LinkState = "connecting";
let started: Promise<void> | null = null;

/** Opens the window's event link (once) and resolves when it is subscribed. */
export function connect(): Promise<void> {
  if (!started) {
    started = platform().then((p) =>
      p.listen(
        (m) => listeners.forEach((l) => l(m)),
        (s) => {
          linkState = s;
          linkListeners.forEach((l) => l(s));
        },
      ),
    );
  }
  return started.then(() => platform()).then((p) => p.ready());
}

/** Hears every run message; returns the function that stops it. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  void connect();
  return () => listeners.delete(listener);
}

export function onLinkState(listener: (s: LinkState) => void): () => void {
  linkListeners.add(listener);
  listener(linkState);
  return () => linkListeners.delete(listener);
}

// `quarry serve`: commands over POST /api/rpc with the token as a bearer, run events over one
// WebSocket per window. The token arrives once in the address's fragment (#token=…); it is kept
// in this tab's sessionStorage and taken out of the visible address.
import type { Command, CommandError, RunMessage } from "../bindings";
import { isCommandError, type LinkState, type Platform } from "./types";

const TOKEN_KEY = "quarry.token";

/** Reads `#token=` from the address (then removes it from the address bar), or the stored one. */
export function takeToken(loc: Location = window.location, storage: Storage = window.sessionStorage): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(loc.hash);
  if (match?.[1]) {
    const token = decodeURIComponent(match[1]);
    try {
      storage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage can be refused (private modes); the token still works for this page.
    }
    const rest = loc.hash.replace(/(^#|&)token=[^&]+/, "").replace(/^#&?/, "");
    window.history.replaceState(null, "", loc.pathname + loc.search + (rest ? `#${rest}` : ""));
    return token;
  }
  try {
    return storage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** A failed HTTP call, as a CommandError even when the server said no JSON. */
async function httpError(res: Response): Promise<CommandError> {
  const text = await res.text().catch(() => "");
  try {
    const body: unknown = JSON.parse(text);
    if (isCommandError(body)) return body;
  } catch {
    // not JSON: described below
  }
  if (res.status === 413) {
    return {
      code: "too_large",
      message: "the request is larger than Quarry accepts (64 MiB)",
      details: { hint: "attach smaller files or images, or fewer of them", status: 413 },
    };
  }
  return {
    code: `http_${res.status}`,
    message: `Quarry answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 300)}` : ""}`,
    details: { hint: "try again; if it persists, restart quarry serve", status: res.status },
  };
}

export function createWebPlatform(): Platform {
  const token = takeToken();
  let socket: WebSocket | null = null;
  let openWaiters: Array<() => void> = [];
  let open = false;
  let retry = 0;

  const call = async (command: Command): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch("/api/rpc", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(command),
      });
    } catch (e) {
      const err: CommandError = {
        code: "unreachable",
        message: `Quarry is not answering (${e instanceof Error ? e.message : String(e)})`,
        details: { hint: "check that quarry serve is still running, then reload this page" },
      };
      throw err;
    }
    if (!res.ok) throw await httpError(res);
    return res.json();
  };

  const connect = (onMessage: (m: RunMessage) => void, onLink: (s: LinkState) => void) => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${window.location.host}/api/events?token=${encodeURIComponent(token ?? "")}`;
    onLink("connecting");
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      open = true;
      retry = 0;
      onLink("open");
      const waiters = openWaiters;
      openWaiters = [];
      waiters.forEach((w) => w());
    };
    // A frame holds the messages that queued up while the last one was sent (see
    // crates/serve: `forward`), in order.
    ws.onmessage = (e: MessageEvent<string>) => {
      let frame: unknown;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return; // a frame this version cannot read is skipped
      }
      if (Array.isArray(frame)) for (const m of frame as RunMessage[]) onMessage(m);
    };
    ws.onclose = () => {
      open = false;
      socket = null;
      onLink("closed");
      // Reconnect with a growing pause (0.25 s … 5 s).
      const wait = Math.min(5000, 250 * 2 ** retry++);
      window.setTimeout(() => connect(onMessage, onLink), wait);
    };
  };

  return {
    kind: "web",
    describe: window.location.host,
    call,
    listen(onMessage, onLink) {
      if (!socket) connect(onMessage, onLink);
      return this.ready();
    },
    ready() {
      if (open) return Promise.resolve();
      return new Promise<void>((resolve) => openWaiters.push(resolve));
    },
    // The browser's own performance tools measure a page (ui/e2e/perf.mjs uses them).
    painted() {},
  };
}

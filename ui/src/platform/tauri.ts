// The desktop app: the one place that imports @tauri-apps/*. Commands go through the `rpc`
// command; run messages arrive on one Channel per window, registered with `listen`.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Command, RunMessage } from "../bindings";
import type { LinkState, Platform } from "./types";

export function createTauriPlatform(): Platform {
  let listening: Promise<void> | null = null;
  return {
    kind: "tauri",
    describe: "desktop",
    call: (command: Command) => invoke("rpc", { command }),
    listen(onMessage: (m: RunMessage) => void, onLink: (s: LinkState) => void) {
      if (!listening) {
        // Each message is the batch that queued up while the last one was sent (src-tauri: Outbox).
        const channel = new Channel<RunMessage[]>();
        channel.onmessage = (batch) => batch.forEach(onMessage);
        onLink("connecting");
        listening = invoke("listen", { channel }).then(() => onLink("open"));
      }
      return listening;
    },
    ready() {
      return listening ?? Promise.resolve();
    },
    painted(scriptMs: number, paintedMs: number) {
      void invoke("painted", { scriptMs, paintedMs });
    },
  };
}

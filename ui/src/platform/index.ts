// Picks the platform the UI runs on: the desktop app when Tauri's bridge is present, the
// browser against `quarry serve` otherwise.
import type { Platform } from "./types";
import { createWebPlatform } from "./web";

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

let current: Promise<Platform> | null = null;

export function platform(): Promise<Platform> {
  if (!current) {
    current =
      typeof window !== "undefined" && window.__TAURI_INTERNALS__
        ? import("./tauri").then((m) => m.createTauriPlatform())
        : Promise.resolve(createWebPlatform());
  }
  return current;
}

/** For tests: use this platform instead. */
export function setPlatform(p: Platform): void {
  current = Promise.resolve(p);
}

export type { Platform, LinkState } from "./types";
export { isCommandError } from "./types";

// The theme on the page: light, dark, or the system's, applied as data-theme on <html>.
import type { Theme } from "../api/types";

const KEY = "quarry.theme";
let media: MediaQueryList | null = null;
let current: Theme = "system";

function resolve(t: Theme): "light" | "dark" {
  if (t !== "system") return t;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function paint(): void {
  const r = resolve(current);
  document.documentElement.dataset.theme = r;
  document.documentElement.style.colorScheme = r;
}

export function applyTheme(t: Theme): void {
  current = t;
  try {
    localStorage.setItem(KEY, t);
  } catch {
    // not kept: the database has it anyway
  }
  if (!media && window.matchMedia) {
    media = window.matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener("change", () => current === "system" && paint());
  }
  paint();
}

/** Before the first render: the theme last used, so the page does not flash. */
export function applyStoredTheme(): void {
  let t: Theme = "system";
  try {
    const s = localStorage.getItem(KEY);
    if (s === "light" || s === "dark" || s === "system") t = s;
  } catch {
    // default
  }
  applyTheme(t);
}

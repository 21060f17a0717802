import { useSyncExternalStore } from "react";

const QUERY = "(max-width: 900px)";

// One query for the page: React asks for the snapshot on every render.
let query: MediaQueryList | null = null;
const media = () => (query ??= window.matchMedia(QUERY));

function subscribe(cb: () => void): () => void {
  const m = media();
  m.addEventListener("change", cb);
  return () => m.removeEventListener("change", cb);
}

/** True on narrow windows, where panes stack. */
export function useNarrow(): boolean {
  return useSyncExternalStore(subscribe, () => media().matches, () => false);
}

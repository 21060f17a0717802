// Which screen shows: the workbench, the history or the settings (kept across reloads).
import { create } from "zustand";

export type Screen = "workbench" | "history" | "settings";

function initial(): Screen {
  const s = typeof localStorage !== "undefined" ? localStorage.getItem("quarry.screen") : null;
  return s === "history" || s === "settings" ? s : "workbench";
}

export const useNav = create<{ screen: Screen; go: (s: Screen) => void }>((set) => ({
  screen: initial(),
  go: (screen) => {
    try {
      localStorage.setItem("quarry.screen", screen);
    } catch {
      // storage refused: the screen is still shown
    }
    set({ screen });
  },
}));

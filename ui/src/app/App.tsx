// The app: sidebar and screen side by side (resizable, remembered), the status bar, the
// theme, the window's event link, and the keyboard: Ctrl/Cmd+Enter runs, Esc cancels.
import { useEffect } from "react";
import { Group, Panel, Separator, useDefaultLayout } from "react-resizable-panels";
import { Sidebar } from "../features/sidebar/Sidebar";
import { HistoryView } from "../features/history/HistoryView";
import { SettingsView } from "../features/settings/SettingsView";
import { ErrorNote } from "../components/ErrorNote";
import { useSettings } from "../api/queries";
import { subscribe } from "../api/client";
import { receive } from "../state/runs";
import { useNav } from "../state/nav";
import { useRunActions } from "../features/run/useRunActions";
import { applyTheme } from "./theme";
import { StatusBar } from "./StatusBar";
import { Workbench } from "./Workbench";
import { useNarrow } from "./useNarrow";

function useKeyboard() {
  const { run, cancel, running } = useRunActions();
  const screen = useNav((s) => s.screen);
  const go = useNav((s) => s.go);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // A dialog (import, generate, the key) is what the user is working in: Ctrl+Enter
      // there must not start a run behind it.
      const inDialog = document.querySelector("dialog[open]") !== null;
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && !inDialog) {
        e.preventDefault();
        e.stopPropagation();
        if (screen !== "workbench") go("workbench");
        run();
      } else if (e.key === "Escape" && running && !inDialog) {
        e.preventDefault();
        cancel();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, [run, cancel, running, screen, go]);
}

export function App() {
  const settings = useSettings();
  const screen = useNav((s) => s.screen);
  const narrow = useNarrow();
  const layout = useDefaultLayout({ id: narrow ? "quarry-shell-stacked" : "quarry-shell", storage: localStorage });
  useKeyboard();
  useEffect(() => subscribe(receive), []);
  useEffect(() => {
    if (settings.data) applyTheme(settings.data.theme);
  }, [settings.data]);
  const blocking = settings.error && ["unauthorized", "forbidden_host", "forbidden_origin", "unreachable"].includes(settings.error.code) ? settings.error : null;

  return (
    <div className="app">
      {blocking ? (
        <div className="app-banner">
          <ErrorNote error={blocking} title="Quarry cannot be reached from this page" />
        </div>
      ) : null}
      <Group key={narrow ? "v" : "h"} orientation={narrow ? "vertical" : "horizontal"} className="shell-group" defaultLayout={layout.defaultLayout} onLayoutChanged={layout.onLayoutChanged}>
        <Panel id="sidebar" defaultSize={narrow ? "18%" : "16%"} minSize={narrow ? "8%" : "10%"} maxSize="40%" className="scroll-panel sidebar-panel">
          <Sidebar />
        </Panel>
        <Separator className={`separator ${narrow ? "horizontal-sep" : "vertical-sep"}`} aria-label="Resize the sidebar" />
        <Panel id="screen" minSize="40%" className="screen-panel">
          <main className="screen">{screen === "history" ? <HistoryView /> : screen === "settings" ? <SettingsView /> : <Workbench />}</main>
        </Panel>
      </Group>
      <StatusBar />
    </div>
  );
}

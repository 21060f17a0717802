import { useRunActions } from "./useRunActions";

const mac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

/** Run (Ctrl/Cmd+Enter); while a run is going, Cancel (Esc) in its place. */
export function RunButton() {
  const { run, cancel, running, cancelling } = useRunActions();
  if (running) {
    return (
      <button type="button" className="danger run-button" onClick={cancel} disabled={cancelling} aria-keyshortcuts="Escape" title="Cancel the run (Esc)">
        Cancel
      </button>
    );
  }
  return (
    <button type="button" className="primary run-button" onClick={run} aria-keyshortcuts={mac ? "Meta+Enter" : "Control+Enter"} title={`Run (${mac ? "⌘" : "Ctrl"}+Enter)`}>
      Run <kbd>{mac ? "⌘" : "Ctrl"}+Enter</kbd>
    </button>
  );
}

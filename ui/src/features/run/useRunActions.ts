// Run and Cancel, for the button and the keyboard (Ctrl/Cmd+Enter, Esc).
import { useCallback } from "react";
import { useCancelRun, useStartRun } from "../../api/queries";
import { expectedFieldsOfText } from "./model/fields";
import { useDraft } from "../../state/draft";
import { clearProblem, infoAsError, report } from "../../state/problem";
import { onRunEnded, runningSlot, useRuns } from "../../state/runs";
import { buildRequest } from "./buildRequest";

// A run refused over its files (a kind the provider does not take, a PDF with no text…) fails
// before its first request; like an error at start, it is shown by the files it is about.
onRunEnded((slot) => {
  const e = slot.source === "live" ? slot.model.outcome?.error : undefined;
  if (e?.setting === "files" && useRuns.getState().current === slot.key) {
    report(infoAsError(e), useDraft.getState().messages.map((m) => m.id));
  }
});

export function useRunActions() {
  const start = useStartRun();
  const cancelRun = useCancelRun();
  // The key only: the slot itself is new after every batch of events, and the App (which
  // holds the keyboard shortcuts) would render again on every frame of a stream.
  const running = useRuns((s) => runningSlot(s)?.key ?? null);

  const run = useCallback(() => {
    if (running || start.isPending) return;
    const d = useDraft.getState();
    const built = buildRequest(d);
    const ids = d.messages.map((m) => m.id);
    if (!built.ok) {
      report(built.error, ids);
      return;
    }
    clearProblem();
    start.mutate(
      { command: built.command, expected: expectedFieldsOfText(d.schemaText) },
      { onError: (e) => report(e, ids) },
    );
  }, [running, start]);

  const cancel = useCallback(() => {
    if (running) cancelRun.mutate(running);
  }, [running, cancelRun]);

  return { run, cancel, running: !!running || start.isPending, cancelling: cancelRun.isPending };
}

// Where Quarry keeps its data, and moving it (another disk, a synced folder): the history is
// copied there, or a new one started, or the one already there opened.
import { useId, useState } from "react";
import { useCompactHistory, useSetDataFolder } from "../../api/queries";
import { fmtBytes, fmtInt } from "../../components/format";
import type { Moved, Settings } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";

const OUTCOME: Record<Moved, string> = {
  unchanged: "That folder is the one in use already.",
  copied: "The history was copied there; Quarry now uses the copy. The old folder was left as it was.",
  opened_existing: "That folder already held a Quarry history; Quarry now uses it.",
  started_empty: "Quarry started an empty history there. The old folder was left as it was.",
};

export function DataFolderSection({ settings }: { settings: Settings | undefined }) {
  const move = useSetDataFolder();
  const compact = useCompactHistory();
  const [folder, setFolder] = useState("");
  const [copy, setCopy] = useState(true);
  const inputId = useId();
  const pinnedBy = settings?.data_folder_pinned_by ?? null;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    move.mutate({ folder, copy });
  };
  return (
    <section aria-labelledby="data-heading">
      <h2 id="data-heading">Data folder</h2>
      <dl className="facts vertical">
        <div>
          <dt>Folder</dt>
          <dd className="mono">{settings?.data_folder || "—"}</dd>
        </div>
        <div>
          <dt>Run history</dt>
          <dd className="mono">{settings?.database || "—"}</dd>
        </div>
      </dl>
      <p className="dim">
        Runs, saved schemas, prompts and profiles live in this database, and your prices beside it. Keys never do: they stay in the OS keychain or the environment. The
        command line and the app use the same folder.
      </p>
      <div className="button-row">
        <button type="button" onClick={() => compact.mutate()} disabled={compact.isPending} aria-describedby="compact-help">
          {compact.isPending ? "Compacting…" : "Compact the history"}
        </button>
        <span id="compact-help" className="dim">
          Large values (answers, images, long prompts) are stored once and shared between runs, so deleting a run leaves them; this removes those no run uses any more
          and shrinks the file.
        </span>
      </div>
      {compact.error ? <ErrorNote error={compact.error} /> : null}
      {compact.data ? (
        <p className="note ok" role="status">
          Removed {fmtInt(compact.data.payloads_removed)} stored value{compact.data.payloads_removed === 1 ? "" : "s"} no run used; the history went from{" "}
          {fmtBytes(compact.data.bytes_before)} to {fmtBytes(compact.data.bytes_after)}.
        </p>
      ) : null}
      {settings?.data_folder_missing ? (
        <p className="note warn" role="status">
          The data folder chosen earlier, <span className="mono">{settings.data_folder_missing}</span>, is not there (an unplugged disk?). Quarry is using the folder
          above meanwhile. Plug the disk in and restart Quarry, or choose a folder below.
        </p>
      ) : null}
      {pinnedBy ? (
        <p className="note">
          This history was named by {pinnedBy} when Quarry started, so it stays where it is. Start Quarry without {pinnedBy} to choose the data folder here.
        </p>
      ) : (
        <form className="move-folder" onSubmit={submit} aria-label="Move the data folder">
          <label htmlFor={inputId}>New data folder</label>
          <input
            id={inputId}
            className="mono"
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
            placeholder="/home/me/Documents/quarry"
            spellCheck={false}
            aria-describedby={`${inputId}-help`}
            aria-invalid={move.error ? true : undefined}
          />
          <p id={`${inputId}-help`} className="dim">
            The folder&apos;s full path; Quarry creates it if it is not there. A folder that already holds a Quarry history is opened as it is.
          </p>
          <fieldset>
            <legend>If the folder has no history yet</legend>
            <label className="radio">
              <input type="radio" name="copy-history" checked={copy} onChange={() => setCopy(true)} />
              Copy the current history there
            </label>
            <label className="radio">
              <input type="radio" name="copy-history" checked={!copy} onChange={() => setCopy(false)} />
              Start an empty history there
            </label>
          </fieldset>
          <div>
            <button type="submit" disabled={!folder.trim() || move.isPending}>
              {move.isPending ? "Moving…" : "Move data folder"}
            </button>
          </div>
          {move.error ? <ErrorNote error={move.error} /> : null}
          {move.data?.moved && !move.error ? (
            <p className="note ok" role="status">
              {OUTCOME[move.data.moved]}
            </p>
          ) : null}
        </form>
      )}
    </section>
  );
}

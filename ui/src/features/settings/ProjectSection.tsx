// The library as plain files in a folder a team keeps in git: export writes it, import reads
// it back (a new version only where the text differs). The folder is typed, not picked: the
// browser build has no folder picker, and a path works in both.
import { useId, useState } from "react";
import { useExportProject, useImportProject } from "../../api/queries";
import { ErrorNote } from "../../components/ErrorNote";
import { describeReport, type ProjectAction } from "./projectReport";

export function ProjectSection() {
  const exporter = useExportProject();
  const importer = useImportProject();
  const [folder, setFolder] = useState("");
  // Only the last action's outcome is shown, under the buttons.
  const [last, setLast] = useState<ProjectAction | null>(null);
  const inputId = useId();
  const current = last === "export" ? exporter : last === "import" ? importer : null;
  const busy = exporter.isPending || importer.isPending;
  const run = (action: ProjectAction) => {
    setLast(action);
    (action === "export" ? exporter : importer).mutate(folder.trim());
  };
  return (
    <section aria-labelledby="project-heading">
      <h2 id="project-heading">Project files</h2>
      <p className="dim" id={`${inputId}-help`}>
        The folder holds the latest version of every saved schema (as .json), prompt (.jinja templates with a prompt.toml) and profile (TOML), and never a key, so a
        team can keep it in git and review changes.
      </p>
      <div className="move-folder">
        <label htmlFor={inputId}>Project folder</label>
        <input
          id={inputId}
          className="mono"
          value={folder}
          onChange={(e) => setFolder(e.target.value)}
          placeholder="/home/me/projects/invoices/quarry"
          spellCheck={false}
          aria-describedby={`${inputId}-help`}
          aria-invalid={current?.error ? true : undefined}
        />
        <div className="button-row">
          <button type="button" onClick={() => run("export")} disabled={!folder.trim() || busy}>
            {exporter.isPending ? "Exporting…" : "Export to folder"}
          </button>
          <button type="button" onClick={() => run("import")} disabled={!folder.trim() || busy}>
            {importer.isPending ? "Importing…" : "Import from folder"}
          </button>
        </div>
        {current?.error ? <ErrorNote error={current.error} title={last === "export" ? "Export failed" : "Import failed"} /> : null}
        {current?.data && last ? (
          <div role="status">
            <p className="note ok">{describeReport(last, current.data)}</p>
            {current.data.notes.length ? (
              <ul className="project-notes" aria-label="Notes">
                {current.data.notes.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </div>
    </section>
  );
}

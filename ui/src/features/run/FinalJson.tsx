// The validated result as JSON, with Copy and Export (JSON, JSONL or CSV, as the history
// exports it).
import { useMemo, useState } from "react";
import type { JsonValue } from "../../api/types";
import { CodeEditor } from "../../components/CodeEditor";
import { CopyButton } from "../../components/CopyButton";
import { ErrorNote } from "../../components/ErrorNote";
import { downloadText } from "../../components/download";
import { useExportResults } from "../../api/queries";
import { fmtBytes } from "../../components/format";

export type ExportFormat = "json" | "jsonl" | "csv";
const TYPES: Record<ExportFormat, string> = { json: "application/json", jsonl: "application/x-ndjson", csv: "text/csv" };

export function ExportControls({ ids, label = "Export", fileBase }: { ids: number[]; label?: string; fileBase: string }) {
  const [format, setFormat] = useState<ExportFormat>("json");
  const exp = useExportResults();
  const [note, setNote] = useState<string | null>(null);
  return (
    <div className="row gap wrap export-controls">
      <label className="inline">
        <span>Format</span>
        <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
          <option value="json">JSON</option>
          <option value="jsonl">JSONL</option>
          <option value="csv">CSV</option>
        </select>
      </label>
      <button
        type="button"
        disabled={ids.length === 0 || exp.isPending}
        onClick={() =>
          exp.mutate(
            { ids, format },
            {
              onSuccess: (r) => {
                downloadText(`${fileBase}.${format}`, r.text, TYPES[format]);
                setNote(`Exported ${r.rows} row${r.rows === 1 ? "" : "s"}.`);
              },
            },
          )
        }
      >
        {label}
      </button>
      {note ? (
        <span className="note ok" role="status">
          {note}
        </span>
      ) : null}
      {exp.error ? <ErrorNote error={exp.error} /> : null}
    </div>
  );
}

/**
 * Results this long (characters of pretty JSON) open folded: building an editor for them took
 * the page 50–100 ms (a 1,000-record result is ~120 kB), which would land in the frame the run
 * ends in; the tree above shows the same value, and Copy and Export need no editor.
 */
const FOLD_OVER = 100_000;

export function FinalJson({ value, runId }: { value: JsonValue; runId: number | null }) {
  const text = useMemo(() => JSON.stringify(value, null, 2), [value]);
  const [unfolded, setUnfolded] = useState(false);
  const shown = unfolded || text.length <= FOLD_OVER;
  return (
    <section className="final-json" aria-labelledby="final-heading">
      <div className="row gap wrap section-head">
        <h3 id="final-heading">Final JSON</h3>
        <CopyButton text={text} label="Copy" />
        {runId !== null ? <ExportControls ids={[runId]} fileBase={`quarry-run-${runId}`} /> : null}
      </div>
      {shown ? (
        <CodeEditor value={text} label="Final JSON" language="json" readOnly className="final-editor" />
      ) : (
        <p className="dim">
          The result is {fmtBytes(text.length)} of JSON; the tree above shows it.{" "}
          <button type="button" className="link" onClick={() => setUnfolded(true)}>
            Show the final JSON
          </button>
        </p>
      )}
    </section>
  );
}

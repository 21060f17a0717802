// "Infer from samples…": the user pastes sample documents, the backend's `infer_schema` works out
// a schema that fits them all, and "Use this schema" puts it in the editor (one undo step).
import { useId, useState } from "react";
import { Dialog } from "../../components/Dialog";
import { CodeEditor } from "../../components/CodeEditor";
import { ErrorNote } from "../../components/ErrorNote";
import { useInferSchema } from "../../api/queries";
import { replaceSchemaText } from "./schemaHistory";

let sampleIds = 0;
const newSample = () => ({ id: sampleIds++, text: "" });

export function InferDialog({ open, onClose, onUsed }: { open: boolean; onClose: () => void; onUsed: (documents: number) => void }) {
  const base = useId();
  const [samples, setSamples] = useState(() => [newSample()]);
  const infer = useInferSchema();
  const result = infer.data ? JSON.stringify(infer.data.schema, null, 2) : null;
  const filled = samples.filter((s) => s.text.trim() !== "");

  const setSample = (id: number, text: string) => {
    setSamples((ss) => ss.map((s) => (s.id === id ? { ...s, text } : s)));
    infer.reset();
  };
  const use = () => {
    if (!result || !infer.data) return;
    replaceSchemaText(result);
    onUsed(infer.data.documents);
    onClose();
  };

  return (
    <Dialog open={open} onClose={onClose} title="Infer a schema from samples" wide>
      <p className="dim small-text" id={`${base}-how`}>
        Paste sample documents: each box holds one JSON document, or JSON Lines (one document per line). The schema fits them all: a field present in every document is required, and
        strings that all look like dates, emails or URIs get that format.
      </p>
      <div className="infer-samples">
        {samples.map((s, i) => (
          <div key={s.id} className="infer-sample">
            <div className="label-row">
              <label htmlFor={`${base}-s${s.id}`}>Sample {i + 1}</label>
              {samples.length > 1 ? (
                <button type="button" className="ghost small" onClick={() => setSamples((ss) => ss.filter((x) => x.id !== s.id))} aria-label={`Remove sample ${i + 1}`}>
                  Remove
                </button>
              ) : null}
            </div>
            <textarea id={`${base}-s${s.id}`} rows={5} value={s.text} onChange={(e) => setSample(s.id, e.target.value)} spellCheck={false} aria-describedby={`${base}-how`} placeholder='{"name": "Ada", "born": "1815-12-10"}' />
          </div>
        ))}
      </div>
      <div className="row gap wrap">
        <button type="button" onClick={() => setSamples((ss) => [...ss, newSample()])}>
          Add a sample
        </button>
        <button type="button" className="primary" disabled={filled.length === 0 || infer.isPending} onClick={() => infer.mutate(filled.map((s) => s.text))}>
          {infer.isPending ? "Inferring…" : "Infer schema"}
        </button>
      </div>
      {infer.error ? <ErrorNote error={infer.error} title="Could not infer a schema" /> : null}
      {result && infer.data ? (
        <div className="infer-result">
          <p className="note ok" role="status">
            Inferred from {infer.data.documents} document{infer.data.documents === 1 ? "" : "s"}.
          </p>
          <CodeEditor value={result} label="Inferred schema" language="json" readOnly className="infer-editor" />
          <div className="row gap">
            <button type="button" className="primary" onClick={use}>
              Use this schema
            </button>
            <span className="dim small-text">Replaces the schema in the editor; Undo in the designer brings the old one back.</span>
          </div>
        </div>
      ) : null}
    </Dialog>
  );
}

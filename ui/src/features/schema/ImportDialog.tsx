// "Import schema…": a schema from elsewhere, pasted or read from a file (JSON or YAML): a JSON
// Schema of an older draft, Pydantic's output, or one schema of an OpenAPI document. The
// backend's `import_schema` makes it JSON Schema 2020-12 and says what it changed; when an
// OpenAPI document has several schemas, the dialog offers them and imports the one chosen.
// "Use this schema" puts it in the editor (one undo step).
import { useId, useState, type ChangeEvent } from "react";
import { Dialog } from "../../components/Dialog";
import { CodeEditor } from "../../components/CodeEditor";
import { ErrorNote } from "../../components/ErrorNote";
import { Prose } from "../../components/Prose";
import { readFileText } from "../../components/download";
import { toCommandError } from "../../api/client";
import { useImportSchema } from "../../api/queries";
import type { CommandError } from "../../api/types";
import { replaceSchemaText } from "./schemaHistory";
import { componentChoices } from "./importChoices";

export function ImportDialog({ open, onClose, onUsed }: { open: boolean; onClose: () => void; onUsed: (source: string) => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Import a schema" wide>
      <ImportForm
        onUse={(source) => {
          onUsed(source);
          onClose();
        }}
      />
    </Dialog>
  );
}

function ImportForm({ onUse }: { onUse: (source: string) => void }) {
  const base = useId();
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const [readError, setReadError] = useState<CommandError | null>(null);
  // The schemas of an OpenAPI document with several, once the backend has said which they are.
  const [choices, setChoices] = useState<string[] | null>(null);
  const [component, setComponent] = useState("");
  const imp = useImportSchema();
  const result = imp.data ? JSON.stringify(imp.data.schema, null, 2) : null;

  const changeText = (t: string) => {
    setText(t);
    setChoices(null);
    imp.reset();
  };
  const readFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    setReadError(null);
    try {
      changeText(await readFileText(file));
      setFileName(file.name);
    } catch (err) {
      setReadError(toCommandError(err));
    }
  };
  const run = (which?: string) =>
    imp.mutate(which ? { text, component: which } : { text }, {
      onError: (err) => {
        const names = componentChoices(err);
        if (!names) return;
        setChoices(names);
        setComponent((c) => (names.includes(c) ? c : names[0]!));
      },
    });
  const use = (schema: string, source: string) => {
    replaceSchemaText(schema);
    onUse(source);
  };
  // Asked which schema to import: the choice below is the answer, not an error.
  const asked = imp.error?.code === "import_which_component" && choices !== null;

  return (
    <>
      <p className="dim small-text" id={`${base}-how`}>
        A JSON Schema of any draft (04, 06, 07, 2019-09, 2020-12), Pydantic's <code>model_json_schema()</code> output, or an OpenAPI document (3.1, 3.0, Swagger 2.0) with the schema
        to take from it; JSON or YAML. It becomes JSON Schema 2020-12, and each change made is listed.
      </p>
      <div className="row gap wrap import-file">
        <label htmlFor={`${base}-file`}>Read a file</label>
        <input id={`${base}-file`} type="file" accept=".json,.yaml,.yml,application/json,application/yaml,text/yaml" onChange={(e) => void readFile(e)} />
        {fileName ? <span className="dim small-text">Read {fileName} into the box below.</span> : null}
      </div>
      {readError ? <ErrorNote error={readError} title="The file could not be read" /> : null}
      <div className="label-row">
        <label htmlFor={`${base}-text`}>Schema or OpenAPI document</label>
      </div>
      <textarea id={`${base}-text`} rows={10} value={text} onChange={(e) => changeText(e.target.value)} spellCheck={false} aria-describedby={`${base}-how`} placeholder={'{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", …}\n\nor\n\nopenapi: 3.0.3\ncomponents:\n  schemas:\n    Pet: …'} />
      <div className="row gap wrap">
        <button type="button" className="primary" disabled={text.trim() === "" || imp.isPending} onClick={() => run()}>
          {imp.isPending ? "Importing…" : "Import"}
        </button>
      </div>
      {choices ? (
        <div className="import-choice row gap wrap">
          <p className="note info" id={`${base}-which`}>
            This OpenAPI document has {choices.length} schemas: choose the one to import (the schemas it refers to come with it).
          </p>
          <label className="inline">
            <span>Schema</span>
            <select value={component} onChange={(e) => setComponent(e.target.value)} aria-describedby={`${base}-which`}>
              {choices.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button type="button" className="primary" disabled={!component || imp.isPending} onClick={() => run(component)}>
            Import {component}
          </button>
        </div>
      ) : null}
      {imp.error && !asked ? <ErrorNote error={imp.error} title="Could not import it" /> : null}
      {result && imp.data ? (
        <div className="infer-result">
          <p className="note ok" role="status">
            Read as <Prose text={imp.data.source} />.
          </p>
          {imp.data.notes.length ? (
            <ul className="import-notes" aria-label="What was changed">
              {imp.data.notes.map((n, i) => (
                <li key={i}>
                  <Prose text={n} />
                </li>
              ))}
            </ul>
          ) : (
            <p className="dim small-text">Nothing needed changing.</p>
          )}
          <CodeEditor value={result} label="Imported schema" language="json" readOnly className="infer-editor" />
          <div className="row gap">
            <button type="button" className="primary" onClick={() => use(result, imp.data!.source)}>
              Use this schema
            </button>
            <span className="dim small-text">Replaces the schema in the editor; Undo brings the old one back.</span>
          </div>
        </div>
      ) : null}
    </>
  );
}

// One field per variable the templates read, named by the variable: text, a file's text, or a
// JSON value (a list to loop over).
import { useMemo } from "react";
import { CodeEditor } from "../../components/CodeEditor";
import { useDraft, type VarKind } from "../../state/draft";
import { useProblem } from "../../state/problem";
import { templateVariables } from "./templateVars";
import { fmtInt } from "../../components/format";

const EDITABLE_LIMIT = 1024 * 1024;

function Variable({ name }: { name: string }) {
  const v = useDraft((s) => s.variables[name]);
  const setVariable = useDraft((s) => s.setVariable);
  const problem = useProblem((s) => (s.field === `var:${name}` ? s.error : null));
  const kind: VarKind = v?.kind ?? "text";
  const id = `var-${name}`;
  const errId = `${id}-err`;
  // A file's text becomes editable text when it is small enough to edit; a larger one (a whole
  // document) would make the text area unusable, so it is dropped.
  const changeKind = (next: VarKind) =>
    setVariable(name, kind === "file" && (v?.text.length ?? 0) > EDITABLE_LIMIT ? { kind: next, text: "", fileName: undefined } : { kind: next });
  return (
    <div className={`variable${problem ? " has-problem" : ""}`} data-variable={name}>
      <div className="variable-head">
        {kind === "json" ? <span className="var-name mono">{name}</span> : <label htmlFor={id} className="var-name mono">{name}</label>}
        <select aria-label={`Type of ${name}`} value={kind} onChange={(e) => changeKind(e.target.value as VarKind)} className="small">
          <option value="text">text</option>
          <option value="file">file</option>
          <option value="json">JSON</option>
        </select>
      </div>
      {kind === "text" ? (
        <textarea
          id={id}
          rows={3}
          value={v?.text ?? ""}
          onChange={(e) => setVariable(name, { text: e.target.value })}
          aria-invalid={!!problem || undefined}
          aria-describedby={problem ? errId : undefined}
          placeholder={`the value of ${name}`}
        />
      ) : kind === "file" ? (
        <div className="row gap">
          <input
            id={id}
            type="file"
            aria-invalid={!!problem || undefined}
            aria-describedby={problem ? errId : undefined}
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (!f) return;
              setVariable(name, { text: await f.text(), fileName: f.name });
            }}
          />
          {v?.fileName ? <span className="dim">{v.fileName} ({fmtInt(v.text.length)} characters)</span> : null}
        </div>
      ) : (
        <CodeEditor value={v?.text ?? ""} onChange={(text) => setVariable(name, { text })} label={name} language="json" invalid={!!problem} describedBy={problem ? errId : undefined} placeholder='["a", "b"] or {"k": 1}' className="var-json" />
      )}
      {problem ? (
        <span className="field-error" id={errId} role="alert">
          {problem.message}
        </span>
      ) : null}
    </div>
  );
}

export function VariablesPanel() {
  const texts = useDraft((s) => s.messages.map((m) => m.text).join("\u0000"));
  const names = useMemo(() => templateVariables(texts.split("\u0000")), [texts]);
  const problem = useProblem((s) => (s.field === "variables" ? s.error : null));
  return (
    <section className="variables" aria-labelledby="vars-heading">
      <h3 id="vars-heading">Variables</h3>
      {names.length === 0 ? <p className="dim">The templates read no variables. Write {"{{ name }}"} in a message to add one.</p> : null}
      {names.map((n) => (
        <Variable key={n} name={n} />
      ))}
      {problem ? <p className="field-error" role="alert">{problem.message}</p> : null}
    </section>
  );
}

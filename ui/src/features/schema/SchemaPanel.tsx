// The schema: an example or a saved one to start from, the raw JSON Schema editor (lint and
// completion against the meta-schema) or the visual designer over the same text, the check of
// the schema against the draft's provider and mode, a schema inferred from samples, imported
// or generated from a description, saving a version, and the versions with their diffs.
import { useEffect, useMemo, useState } from "react";
import type { Extension } from "@codemirror/state";
import { useQueryClient } from "@tanstack/react-query";
import { CodeEditor, type Problem } from "../../components/CodeEditor";
import { ErrorNote } from "../../components/ErrorNote";
import { Prose } from "../../components/Prose";
import { keys, lintSchema, useExamples, useSaveSchema, useSchemas } from "../../api/queries";
import { useFollowDraft, type Made } from "../../api/follow";
import type { LintSchema } from "../../api/types";
import { rpc, detailNumber } from "../../api/client";
import { useDraft, type Draft } from "../../state/draft";
import { useFieldProblem } from "../../state/problem";
import { Tabs } from "../../components/Tabs";
import { useStoredChoice } from "../../components/useStoredChoice";
import { checkRequest } from "../run/buildRequest";
import { VersionsDialog } from "./VersionsDialog";
import { InferDialog } from "./InferDialog";
import { ImportDialog } from "./ImportDialog";
import { GenerateDialog } from "./GenerateDialog";
import { checkBadge, SchemaCheck } from "./check/SchemaCheck";
import { selectInDesigner } from "./designerTarget";
import { SchemaDesigner } from "./designer/SchemaDesigner";
import { typeSchemaText } from "./schemaHistory";

const NONE: Extension[] = [];
const VIEWS = ["json", "designer", "check"] as const;
type View = (typeof VIEWS)[number];
/** The check waits for a pause in typing: a half-typed schema is seldom JSON. */
const CHECK_SETTLE_MS = 200;

/** The check of the schema by the draft's provider and mode; nothing to check while it is empty. */
function makeCheck(d: Draft): Made<LintSchema> {
  return d.schemaText.trim() === "" ? null : { ok: true, input: { request: checkRequest(d), schema: d.schemaText } };
}

/**
 * The schema editor's lint, completion and hover against the meta-schema. Loaded after the
 * first paint: the validator and its format checkers are a tenth of the UI's code and build a
 * grammar when imported, and nobody types a schema in the window's first frame.
 */
function useSchemaEditorExtensions(): Extension[] {
  const [extensions, setExtensions] = useState(NONE);
  useEffect(() => {
    let live = true;
    void import("./schemaExtensions").then((m) => live && setExtensions(m.schemaEditorExtensions));
    return () => {
      live = false;
    };
  }, []);
  return extensions;
}

export function SchemaPanel() {
  const schemaEditorExtensions = useSchemaEditorExtensions();
  const schemaText = useDraft((s) => s.schemaText);
  const schemaName = useDraft((s) => s.schemaName);
  const set = useDraft((s) => s.set);
  const setVariable = useDraft((s) => s.setVariable);
  const examples = useExamples();
  const schemas = useSchemas();
  const save = useSaveSchema();
  const qc = useQueryClient();
  const problem = useFieldProblem("schema");
  const [note, setNote] = useState<string | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const [inferOpen, setInferOpen] = useState(false);
  const [importOpen, setImportOpen] = useState(false);
  const [generateOpen, setGenerateOpen] = useState(false);
  const [view, setView] = useStoredChoice<View>("quarry.schemaView", VIEWS, "json");
  const check = useFollowDraft(makeCheck, lintSchema, CHECK_SETTLE_MS);
  const showInDesigner = (at: string) => {
    selectInDesigner(at);
    setView("designer");
  };

  const problems = useMemo<Problem[] | undefined>(() => {
    if (!problem) return [];
    const line = detailNumber(problem, "line");
    if (line === null) return [];
    const column = detailNumber(problem, "column");
    return [{ line, ...(column !== null ? { column } : {}), message: problem.message }];
  }, [problem]);

  const pickExample = (name: string) => {
    const ex = examples.data?.find((e) => e.name === name);
    if (!ex) return;
    set({ schemaText: ex.schema, schemaName: ex.name });
    // The example's sample document, for prompts that read {{ text }}.
    const vars = useDraft.getState().variables;
    if (!vars.text?.text) setVariable("text", { kind: "text", text: ex.input });
    setNote(`Loaded the example ${ex.name}.`);
  };

  const pickSaved = async (name: string) => {
    if (!name) return;
    const versions = await qc.fetchQuery({ queryKey: keys.schemaVersions(name), queryFn: () => rpc({ cmd: "schema_versions", name }) });
    const last = versions[versions.length - 1];
    if (last) {
      set({ schemaText: last.body, schemaName: name });
      setNote(`Opened ${name}, version ${last.version}.`);
    }
  };

  const onSave = () => {
    const name = schemaName.trim();
    if (!name) return;
    setNote(null);
    save.mutate({ name, body: schemaText }, { onSuccess: (r) => setNote(`Saved ${name} as version ${r.version}.`) });
  };

  return (
    <section className="pane-section schema-panel" aria-labelledby="schema-heading">
      <header className="section-head">
        <h2 id="schema-heading">Schema</h2>
        <div className="row gap wrap">
          <label className="inline">
            <span>Example</span>
            <select aria-label="Example" value="" onChange={(e) => pickExample(e.target.value)}>
              <option value="">choose…</option>
              {(examples.data ?? []).map((e) => (
                <option key={e.name} value={e.name}>
                  {e.name}
                </option>
              ))}
            </select>
          </label>
          <label className="inline">
            <span>Saved schema</span>
            <select aria-label="Saved schema" value="" onChange={(e) => void pickSaved(e.target.value)} disabled={!schemas.data?.length}>
              <option value="">{schemas.data?.length ? "open…" : "none yet"}</option>
              {(schemas.data ?? []).map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name} (v{s.latest})
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <div className="row gap wrap schema-actions">
        <label className="inline">
          <span>Schema name</span>
          <input value={schemaName} onChange={(e) => set({ schemaName: e.target.value })} placeholder="e.g. invoice" spellCheck={false} />
        </label>
        <button type="button" onClick={onSave} disabled={!schemaName.trim() || save.isPending}>
          Save schema
        </button>
        <button type="button" className="ghost" onClick={() => setVersionsOpen(true)} disabled={!schemaName.trim()}>
          Versions
        </button>
        <button type="button" className="ghost" onClick={() => setInferOpen(true)}>
          Infer from samples…
        </button>
        <button type="button" className="ghost" onClick={() => setImportOpen(true)}>
          Import schema…
        </button>
        <button type="button" className="ghost" onClick={() => setGenerateOpen(true)}>
          Generate from a description…
        </button>
        {note ? (
          <span className="note ok" role="status">
            <Prose text={note} />
          </span>
        ) : null}
      </div>
      {save.error ? <ErrorNote error={save.error} /> : null}
      {problem ? <ErrorNote error={problem} id="schema-problem" /> : null}
      <Tabs
        label="Schema view"
        className="schema-tabs"
        selected={view}
        onSelect={(v) => setView(v as View)}
        tabs={[
          {
            id: "json",
            label: "JSON",
            render: () => (
              <CodeEditor
                value={schemaText}
                onChange={typeSchemaText}
                label="Schema"
                language="json"
                extensions={schemaEditorExtensions}
                problems={problems}
                invalid={!!problem}
                describedBy={problem ? "schema-problem" : undefined}
                placeholder='{"type": "object", "properties": {…}} — or choose an example above'
                className="schema-editor"
              />
            ),
          },
          { id: "designer", label: "Designer", render: () => <SchemaDesigner /> },
          {
            id: "check",
            label: "Check",
            badge: checkBadge(check.value),
            render: () => <SchemaCheck check={check} empty={schemaText.trim() === ""} onShow={showInDesigner} />,
          },
        ]}
      />
      <ImportDialog open={importOpen} onClose={() => setImportOpen(false)} onUsed={(source) => setNote(`Used the schema imported from ${source}.`)} />
      <GenerateDialog open={generateOpen} onClose={() => setGenerateOpen(false)} onUsed={(who) => setNote(`Used the schema generated by ${who}.`)} />
      <InferDialog open={inferOpen} onClose={() => setInferOpen(false)} onUsed={(n) => setNote(`Used the schema inferred from ${n} document${n === 1 ? "" : "s"}.`)} />
      <VersionsDialog open={versionsOpen} onClose={() => setVersionsOpen(false)} name={schemaName.trim()} onOpen={(body, v) => { set({ schemaText: body }); setNote(`Opened version ${v}.`); }} />
    </section>
  );
}

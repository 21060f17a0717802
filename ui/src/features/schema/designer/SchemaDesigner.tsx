// The visual schema designer: a tree of the schema's fields and an editor for the selected one,
// as a view over the schema text. The text is the one truth: the tree is built from it as parsed,
// and every edit in the tree is made on the text (edits.ts), which is printed again and goes
// through the same undo history as typing in the raw editor (schemaHistory.ts). When the text
// does not parse, the tree shows it as it last parsed, read-only, with the parse error above.
//
// jsonjoy-builder (npm 1.0.4, checked for this) was evaluated first and not used: it brings
// Monaco, Radix, zod, ajv and lucide with Tailwind-built CSS (a second editor and a second look
// beside CodeMirror and the app's CSS variables); it holds the schema as JSON.parse objects
// (numeric property names move to the front) and rebuilds a field as {type, description, …rest}
// on edit, so key order is not kept; it drops an emptied `properties`, allows only identifier
// property names, and has no undo. React 19 it supports; the requirements here it does not.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useDraft } from "../../../state/draft";
import { endTypingStep, redoSchema, replaceSchemaText, undoSchema, useCanRedo, useCanUndo } from "../schemaHistory";
import { clearDesignerTarget, useDesignerTarget } from "../designerTarget";
import { applyEdit, type Edit } from "./edits";
import { FieldInspector } from "./FieldInspector";
import { FieldTree, type FieldTreeHandle, type TreeCommand } from "./FieldTree";
import { isObject, parseJson, type Json } from "./json";
import { pointerOf } from "./paths";
import { buildRows, DEFS_KEY, rowKeyFor, type Row } from "./rows";
import { classify } from "./schemaInfo";

/**
 * The row to show as selected: the one asked for, else (it was renamed or deleted by an undo, or
 * folded away) the one now where it was, else the first.
 */
function pickRow(rows: Row[], key: string, lastIndex: number): Row | undefined {
  return rows.find((r) => r.key === key) ?? rows[Math.min(lastIndex, rows.length - 1)] ?? rows[0];
}

/** The folded rows, less those above `key` (a row just added or selected must be in view). */
function unfoldTo(collapsed: ReadonlySet<string>, key: string): ReadonlySet<string> {
  const above = [...collapsed].filter((c) => c === DEFS_KEY ? /^\/(\$defs|definitions)\//.test(key) : key.startsWith(`${c}/`));
  if (above.length === 0) return collapsed;
  const next = new Set(collapsed);
  above.forEach((c) => next.delete(c));
  return next;
}

const ADDS: ReadonlySet<Edit["op"]> = new Set(["addProperty", "addDefinition", "duplicate"]);

// The schema as it last parsed, shown (read-only) while the text does not. Kept outside the
// component: the designer is unmounted while the JSON tab is shown, which is where the text
// gets broken. There is one schema draft, so one is enough.
let lastGood: Json | null = null;
// The text the last edit printed and the document it printed it from, so the view does not
// parse again what the edit has just made (in a 500-field schema, a fifth of an edit's work).
let lastEdit: { text: string; doc: Json } | null = null;

function parseSchema(text: string) {
  if (text.trim() === "") return null;
  if (lastEdit?.text === text) return { ok: true as const, value: lastEdit.doc };
  return parseJson(text);
}

export function SchemaDesigner() {
  const text = useDraft((s) => s.schemaText);
  const parsed = useMemo(() => {
    const p = parseSchema(text);
    if (!p) lastGood = null;
    else if (p.ok) lastGood = p.value;
    return p;
  }, [text]);
  const doc = parsed?.ok ? parsed.value : lastGood;
  const notSchema = parsed?.ok && !isObject(parsed.value) && typeof parsed.value !== "boolean";
  const readOnly = !parsed?.ok || notSchema;

  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const rows = useMemo(() => (doc !== null && !notSchema ? buildRows(doc, collapsed) : []), [doc, collapsed, notSchema]);
  const [selectedKey, setSelectedKey] = useState("");
  // The form is made anew for another row (its half-typed texts belong to the old one), but not
  // when the row's key changes under it (a rename, a move), so the focus stays where it is.
  const [formGen, setFormGen] = useState(0);
  const select = useCallback((key: string) => {
    setSelectedKey(key);
    setFormGen((g) => g + 1);
  }, []);
  const lastIndex = useRef(0);
  const selected = useMemo(() => pickRow(rows, selectedKey, lastIndex.current), [rows, selectedKey]);
  const selectedKeyRef = useRef(selectedKey);
  selectedKeyRef.current = selected?.key ?? "";
  lastIndex.current = selected ? rows.indexOf(selected) : 0;
  const [note, setNote] = useState<string | null>(null);
  const canUndo = useCanUndo();
  const canRedo = useCanRedo();

  // Typing in the raw editor before the designer was shown is one step, whatever comes next.
  useEffect(endTypingStep, []);

  const keysId = useId();
  const root = useRef<HTMLDivElement>(null);
  const tree = useRef<FieldTreeHandle>(null);
  // Where the focus goes once the edit is drawn: the new field's name, or back to the tree
  // when the control that had it went away (a deleted row's form, an undone field).
  const focusAfter = useRef<"name" | "keep" | null>(null);

  // A place asked for from outside (a finding of the schema check): its row, unfolded and
  // selected, with the focus on it (the control that asked went away with its tab).
  const target = useDesignerTarget((t) => t.pointer);
  useEffect(() => {
    if (target === null || doc === null || notSchema) return;
    clearDesignerTarget();
    const key = rowKeyFor(doc, target);
    setCollapsed((c) => unfoldTo(c, key));
    select(key);
    focusAfter.current = "keep";
  }, [target, doc, notSchema, select]);

  const apply = useCallback((edit: Edit): string | null => {
    const r = applyEdit(useDraft.getState().schemaText, edit);
    if (!r.ok) return r.message;
    const key = pointerOf(r.select);
    setCollapsed((c) => unfoldTo(c, key));
    if (edit.op === "rename" || edit.op === "move") setSelectedKey(key);
    else if (key !== selectedKeyRef.current) select(key);
    setNote(null);
    focusAfter.current = ADDS.has(edit.op) ? "name" : "keep";
    lastEdit = { text: r.text, doc: r.doc };
    replaceSchemaText(r.text);
    return null;
  }, [select]);

  useEffect(() => {
    const want = focusAfter.current;
    if (!want) return;
    focusAfter.current = null;
    const name = want === "name" ? root.current?.querySelector<HTMLInputElement>(".insp-name input") : null;
    if (name) {
      name.focus();
      name.select();
      return;
    }
    // Only when the focus went away with the control that had it, looked at once the event is
    // over: a field applied by clicking elsewhere (its blur) leaves the focus where it went.
    requestAnimationFrame(() => {
      if (!document.activeElement || document.activeElement === document.body) tree.current?.focusSelected();
    });
  });

  const history = (step: () => boolean) => {
    if (step()) focusAfter.current = "keep";
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    if (e.key === "Escape" && target.closest(".inspector")) {
      // CommitInput keeps an Escape that puts back a field's text; this one leaves the form.
      e.preventDefault();
      tree.current?.focusSelected();
      return;
    }
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const k = e.key.toLowerCase();
    const isUndo = k === "z" && !e.shiftKey;
    const isRedo = (k === "z" && e.shiftKey) || (k === "y" && !e.shiftKey);
    // Text typed and not yet applied is the field's own to undo.
    if ((!isUndo && !isRedo) || target.dataset.dirty === "true") return;
    e.preventDefault();
    history(isUndo ? undoSchema : redoSchema);
  };

  const onCommand = (row: Row, command: TreeCommand) => {
    if (command.op === "edit") {
      root.current?.querySelector<HTMLElement>(".insp-form :is(input, select, textarea):not(:disabled)")?.focus();
      return;
    }
    if (row.role !== "property" && row.role !== "definition" && row.role !== "member" && !(row.role === "items" && command.op === "delete")) return;
    const why = apply(command.op === "move" ? { op: "move", path: row.path, by: command.by } : { op: "delete", path: row.path });
    setNote(why);
  };

  const toggle = useCallback((key: string) => {
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  }, []);

  const rootIsObject = doc !== null && !notSchema && classify(doc, []).kind === "object";
  const fieldCount = rows.filter((r) => r.role === "property").length;

  return (
    // The keyboard's undo and Escape are heard here, from whichever control has the focus.
    // eslint-disable-next-line jsx-a11y/no-static-element-interactions
    <div className="designer" ref={root} onKeyDown={onKeyDown}>
      <div className="designer-bar">
        <button type="button" onClick={() => setNote(apply({ op: "addProperty", path: [] }))} disabled={readOnly || !rootIsObject} title="Adds a field at the end of the root object">
          Add field
        </button>
        <button type="button" onClick={() => setNote(apply({ op: "addDefinition" }))} disabled={readOnly || !isObject(doc)}>
          Add definition
        </button>
        <span className="dim small-text designer-count">{doc !== null && !notSchema ? `${fieldCount} field${fieldCount === 1 ? "" : "s"}` : ""}</span>
        <span className="spacer" />
        <button type="button" onClick={() => history(undoSchema)} disabled={!canUndo} aria-keyshortcuts="Control+Z" title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" onClick={() => history(redoSchema)} disabled={!canRedo} aria-keyshortcuts="Control+Shift+Z Control+Y" title="Redo (Ctrl+Shift+Z or Ctrl+Y)">
          Redo
        </button>
      </div>
      {note ? (
        <p className="note warn" role="status">
          {note}
        </p>
      ) : null}
      {parsed && !parsed.ok ? (
        <div className="error-note designer-parse-error" role="alert">
          <div className="error-text">
            <span className="error-message">
              The JSON does not parse: {parsed.error.message} (line {parsed.error.line}, column {parsed.error.column}).
            </span>
            <div className="error-hint">
              The designer is read-only until it does{lastGood !== null ? " and shows the schema as it last parsed" : ""}; nothing has been changed. Fix the text on the JSON tab{canUndo ? ", or undo" : ""}.
            </div>
          </div>
        </div>
      ) : null}
      {notSchema ? (
        <div className="error-note" role="alert">
          <div className="error-text">
            <span className="error-message">The schema is not a JSON object, so there are no fields to show.</span>
            <div className="error-hint">A JSON Schema is an object such as {'{"type": "object", "properties": {…}}'}; change it on the JSON tab.</div>
          </div>
        </div>
      ) : null}
      {parsed === null ? (
        <div className="designer-empty">
          <p>The schema is empty.</p>
          <div className="row gap wrap">
            <button type="button" className="primary" onClick={() => setNote(apply({ op: "start" }))}>
              Start an object schema
            </button>
            <span className="dim small-text">or paste one on the JSON tab, choose an example, or infer one from samples.</span>
          </div>
        </div>
      ) : null}
      {doc !== null && selected ? (
        <>
          <p className="dim small-text designer-keys" id={keysId}>
            In the tree: <kbd>↑</kbd>/<kbd>↓</kbd> select, <kbd>←</kbd>/<kbd>→</kbd> fold, <kbd>Enter</kbd> edit, <kbd>Alt</kbd>+<kbd>↑</kbd>/<kbd>↓</kbd> reorder, <kbd>Delete</kbd> delete, <kbd>Esc</kbd> back to the tree.
          </p>
          <div className={`designer-split${readOnly ? " read-only" : ""}`}>
            <FieldTree ref={tree} describedBy={keysId} rows={rows} selectedKey={selected.key} onSelect={select} onToggle={toggle} onCommand={onCommand} readOnly={!!readOnly} />
            <section className="designer-inspector" aria-label={`Edit ${selected.label}`}>
              <FieldInspector key={formGen} doc={doc} row={selected} readOnly={!!readOnly} apply={apply} />
            </section>
          </div>
        </>
      ) : null}
    </div>
  );
}

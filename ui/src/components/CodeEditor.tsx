// A CodeMirror 6 editor as a React component: JSON (with a schema's lint and completion when
// given), Jinja templates, or plain text; read-only for viewers. The editor is made once and
// kept in step with `value`; problems (a template error at its line, a schema that is not JSON)
// are shown in place as diagnostics.
import { useEffect, useRef } from "react";
import { basicSetup } from "codemirror";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExt } from "@codemirror/view";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { jinja } from "@codemirror/lang-jinja";
import { linter, setDiagnostics, type Diagnostic, lintGutter } from "@codemirror/lint";
import { indentWithTab } from "@codemirror/commands";
import { editorTheme, highlight } from "./editorTheme";
import { textChange } from "./textChange";
import { viewerSetup } from "./viewerSetup";

export type Language = "json" | "jinja" | "text";

export interface Problem {
  /** 1-based line. */
  line: number;
  /** 1-based column, when known. */
  column?: number;
  message: string;
}

interface Props {
  value: string;
  onChange?: (value: string) => void;
  /** The accessible name of the editor (its text area). */
  label: string;
  language: Language;
  readOnly?: boolean;
  /** More extensions (a JSON Schema's lint and completion, for one). */
  extensions?: Extension[];
  problems?: Problem[];
  placeholder?: string;
  className?: string;
  /** ids of elements describing the editor (an error message). */
  describedBy?: string;
  invalid?: boolean;
}

function languageOf(language: Language, readOnly: boolean): Extension[] {
  switch (language) {
    case "json":
      return readOnly ? [json()] : [json(), linter(notWhenEmpty(jsonParseLinter()), { delay: 300 }), lintGutter()];
    case "jinja":
      return [jinja()];
    default:
      return [];
  }
}

/** An empty document is not an error yet (the placeholder says what to write). */
function notWhenEmpty(source: (view: EditorView) => Diagnostic[]) {
  return (view: EditorView) => (view.state.doc.length === 0 ? [] : source(view));
}

function toDiagnostics(state: EditorState, problems: Problem[]): Diagnostic[] {
  return problems.map((p) => {
    const line = state.doc.line(Math.min(Math.max(p.line, 1), state.doc.lines));
    const from = Math.min(line.from + Math.max((p.column ?? 1) - 1, 0), line.to);
    return { from, to: p.column ? Math.min(from + 1, line.to) : line.to, severity: "error", message: p.message };
  });
}

export function CodeEditor({
  value,
  onChange,
  label,
  language,
  readOnly = false,
  extensions = [],
  problems,
  placeholder,
  className,
  describedBy,
  invalid,
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changeRef = useRef(onChange);
  const attrs = useRef(new Compartment());
  const extra = useRef(new Compartment());
  changeRef.current = onChange;

  // Made once; later props go through compartments and transactions.
  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          readOnly ? viewerSetup : [basicSetup, keymap.of([indentWithTab])],
          editorTheme,
          highlight,
          EditorView.lineWrapping,
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          ...languageOf(language, readOnly),
          placeholder ? placeholderExt(placeholder) : [],
          attrs.current.of([]),
          extra.current.of(extensions),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changeRef.current?.(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor is made once per language and mode; the rest updates below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [language, readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    // tabindex: a read-only editor is not contenteditable, and without it the keyboard could
    // not reach (or scroll) it; an editable one is focusable anyway, but accessibility
    // checkers only count an explicit tabindex as focusable content of its scroller.
    const a: Record<string, string> = { "aria-label": label, tabindex: "0" };
    if (describedBy) a["aria-describedby"] = describedBy;
    if (invalid) a["aria-invalid"] = "true";
    if (readOnly) a["aria-readonly"] = "true";
    v.dispatch({ effects: attrs.current.reconfigure(EditorView.contentAttributes.of(a)) });
  }, [label, describedBy, invalid, readOnly, language]);

  useEffect(() => {
    view.current?.dispatch({ effects: extra.current.reconfigure(extensions) });
  }, [extensions]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    // Only the span that differs: the lines around it are not drawn again.
    const change = textChange(v.state.doc.toString(), value);
    if (change) v.dispatch({ changes: change });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (!v || !problems) return;
    v.dispatch(setDiagnostics(v.state, toDiagnostics(v.state, problems)));
  }, [problems, value]);

  return <div ref={host} className={`code-editor${invalid ? " invalid" : ""}${className ? ` ${className}` : ""}`} />;
}

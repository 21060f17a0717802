// The schema check: what the draft's provider and mode make of the schema (the backend's
// `lint_schema`, asked as the draft changes; see SchemaPanel). Each finding with its place
// (which selects it in the designer), what is wrong, the provider's rule and where it is
// written, and its fix; "Fix all"; the rule book that applies; and the schema as it is sent.
// A fix replaces the schema text through the undo history, so Ctrl+Z here (or Undo) takes it
// back.
import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import type { CommandError, Finding, Fix, SchemaLint } from "../../../api/types";
import type { Following } from "../../../api/follow";
import { useFixSchema } from "../../../api/queries";
import { useDraft } from "../../../state/draft";
import { CodeEditor } from "../../../components/CodeEditor";
import { ErrorNote } from "../../../components/ErrorNote";
import { Prose } from "../../../components/Prose";
import { checkRequest } from "../../run/buildRequest";
import { redoSchema, replaceSchemaText, undoSchema, useCanUndo } from "../schemaHistory";
import { bySeverity, countSummary, placeLabel, sourceLink, worst } from "./findings";

const HEADINGS = { error: "Errors", warning: "Warnings", info: "Notes" } as const;


function FindingItem({ f, onShow, onFix, fixing }: { f: Finding; onShow: (at: string) => void; onFix: (fix: Fix) => void; fixing: boolean }) {
  const link = sourceLink(f.source);
  return (
    <li className={`finding finding-${f.severity}`}>
      <button type="button" className="link-button finding-place mono" onClick={() => onShow(f.at)} aria-label={`${placeLabel(f.at)}: select it in the designer`} title="Select it in the designer">
        {placeLabel(f.at)}
      </button>
      <p className="finding-message">
        <Prose text={f.message} />
      </p>
      <p className="finding-rule small-text">
        <span className="dim">The provider's rule: </span>
        <Prose text={f.provider_rule} />
        {link ? (
          <>
            {" "}
            (<a href={link.href} target="_blank" rel="noreferrer">
              {link.text}
            </a>
            )
          </>
        ) : (
          <span className="dim"> (from {f.source})</span>
        )}
      </p>
      {f.fix ? (
        <button type="button" className="small fix-button" onClick={() => onFix(f.fix!)} disabled={fixing}>
          <Prose text={f.fix.label} />
        </button>
      ) : null}
    </li>
  );
}

function SentSchema({ lint }: { lint: SchemaLint }) {
  if (lint.unsendable) {
    return (
      <p className="note warn">
        <Prose text={lint.unsendable} />.
      </p>
    );
  }
  if (!lint.sent) return <p className="dim">{lint.mode ? `In the ${lint.mode} mode` : "In this mode"} the schema is not sent as a schema: it goes into the prompt as text.</p>;
  return (
    <>
      <p className="dim small-text">
        After Quarry's normalization and the provider's dialect, at <code>{lint.sent.location}</code> in the request body{lint.sent.strict ? ", marked strict" : ""}.
      </p>
      <CodeEditor value={JSON.stringify(lint.sent.schema, null, 2)} label="The schema as sent" language="json" readOnly className="check-sent-editor" />
    </>
  );
}

export function SchemaCheck({ check, empty, onShow }: { check: Following<unknown, SchemaLint>; empty: boolean; onShow: (at: string) => void }) {
  const fix = useFixSchema();
  const [note, setNote] = useState<string | null>(null);
  const [fixError, setFixError] = useState<CommandError | null>(null);
  const canUndo = useCanUndo();
  const root = useRef<HTMLDivElement>(null);
  const ids = useId();
  const lint = check.value;

  // The fix's button goes once the check sees the fixed text; the focus stays in the panel, where
  // Ctrl+Z undoes it.
  const fixed = (applied: number, text: string) => {
    replaceSchemaText(text);
    setNote(applied === 1 ? "Fixed." : `Applied ${applied} fixes.`);
    root.current?.focus();
  };
  const run = (args: Parameters<typeof fix.mutate>[0]) => {
    setFixError(null);
    setNote(null);
    fix.mutate(args, { onSuccess: (r) => fixed(r.applied, r.schema), onError: setFixError });
  };
  const onFix = (f: Fix) => run({ schema: useDraft.getState().schemaText, fix: f });
  const onFixAll = () => run({ schema: useDraft.getState().schemaText, all: checkRequest(useDraft.getState()) });

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
    const k = e.key.toLowerCase();
    const step = k === "z" && !e.shiftKey ? undoSchema : (k === "z" && e.shiftKey) || (k === "y" && !e.shiftKey) ? redoSchema : null;
    if (!step) return;
    e.preventDefault();
    step();
  };

  if (empty) return <p className="dim">The schema is empty: there is nothing to check yet.</p>;
  const fixable = lint?.findings.filter((f) => f.fix).length ?? 0;
  return (
    // Ctrl+Z and Ctrl+Shift+Z are heard here, from whichever control has the focus; the panel
    // itself takes the focus after a fix (its button is gone).
    // eslint-disable-next-line jsx-a11y/no-static-element-interactions
    <div className="schema-check" ref={root} tabIndex={-1} onKeyDown={onKeyDown} aria-busy={check.busy}>
      {check.error ? <ErrorNote error={check.error} title="The schema cannot be checked" /> : null}
      {lint ? (
        <>
          <div className="check-head">
            <p>
              For <strong>{lint.provider}</strong> in the <strong>{lint.mode}</strong> mode: {lint.about}.
            </p>
            {fixable > 0 ? (
              <button type="button" onClick={onFixAll} disabled={fix.isPending}>
                Fix all
              </button>
            ) : null}
          </div>
          {note ? (
            <p className="note ok check-fixed" role="status">
              {note}{" "}
              {canUndo ? (
                <button type="button" className="small" onClick={() => undoSchema()} aria-keyshortcuts="Control+Z" title="Undo (Ctrl+Z)">
                  Undo
                </button>
              ) : null}
            </p>
          ) : null}
          {fixError ? <ErrorNote error={fixError} title="The fix was not applied" onDismiss={() => setFixError(null)} /> : null}
          {lint.findings.length === 0 ? (
            <p className="note ok check-clean">
              Nothing to fix: {lint.provider} takes this schema in the <strong>{lint.mode}</strong> mode as it is.
            </p>
          ) : worst(lint.findings) === null ? (
            <p className="note ok check-clean">Nothing to fix; the notes say what Quarry does with the schema as it sends it.</p>
          ) : null}
          {bySeverity(lint.findings).map(([severity, findings]) => (
            <section key={severity} className="check-group" aria-labelledby={`${ids}-${severity}`}>
              <h3 id={`${ids}-${severity}`}>
                {HEADINGS[severity]} <span className="dim">({findings.length})</span>
              </h3>
              <ul className="findings">
                {findings.map((f, i) => (
                  <FindingItem key={`${f.rule}${f.at}${i}`} f={f} onShow={onShow} onFix={onFix} fixing={fix.isPending} />
                ))}
              </ul>
            </section>
          ))}
          <section className="check-group" aria-labelledby={`${ids}-sent`}>
            <h3 id={`${ids}-sent`}>The schema as sent</h3>
            <SentSchema lint={lint} />
          </section>
        </>
      ) : check.error ? null : (
        <p className="dim">Checking the schema…</p>
      )}
    </div>
  );
}

/** The check's count for the tab ("2 errors, 1 warning", or OK), coloured by the worst; null before the first check. */
export function checkBadge(lint: SchemaLint | null): ReactNode {
  if (!lint) return null;
  const w = worst(lint.findings);
  return (
    <>
      <span className="visually-hidden">: </span>
      <span className={`check-count ${w ?? "clean"}`}>{w ? countSummary(lint.findings) : "OK"}</span>
    </>
  );
}

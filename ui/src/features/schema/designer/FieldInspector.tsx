// The selected row's editor: its name, type, required and nullable, description, the constraints
// of its type, default and examples, and, read-only, the keywords the designer has no control for.
// Each problem is shown under the control it concerns. Text fields apply on Enter or on leaving
// them (CommitInput); choices apply at once.
import { useId, useState, type ReactNode } from "react";
import { CommitInput } from "./CommitInput";
import type { Edit } from "./edits";
import { isObject, Num, parseJson, printCompact, type Json, type JsonObject } from "./json";
import { DEF_CONTAINERS, getAt, refTarget, refTo } from "./paths";
import type { Row } from "./rows";
import { alsoOf, classify, definitionNames, FORMATS, numberInput, placeOf, problemsOf, type Also, type Info, type Kind, type Problem } from "./schemaInfo";

/** Applies an edit; returns why it was refused, or null. */
export type Apply = (edit: Edit) => string | null;

interface Props {
  doc: Json;
  row: Row;
  readOnly: boolean;
  apply: Apply;
}

const TYPE_CHOICES: Array<[Kind, string]> = [
  ["string", "string"],
  ["number", "number"],
  ["integer", "integer"],
  ["boolean", "boolean"],
  ["enum", "enum (one of listed values)"],
  ["object", "object (nested fields)"],
  ["array", "array (a list)"],
  ["union", "anyOf (one of several schemas)"],
  ["ref", "$ref (a definition)"],
  ["null", "null"],
  ["any", "any type"],
];

const MAX_ALSO = 160;
const clip = (s: string) => (s.length > MAX_ALSO ? `${s.slice(0, MAX_ALSO)}…` : s);

function parseJsonValue(text: string): { value: Json } | { error: string } {
  const p = parseJson(text.trim());
  return p.ok ? { value: p.value } : { error: `not JSON: ${p.error.message} (column ${p.error.column})` };
}

function Field({ label, htmlFor, children, className }: { label: string; htmlFor: string; children: ReactNode; className?: string }) {
  return (
    <div className={`insp-field${className ? ` ${className}` : ""}`}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
    </div>
  );
}

/** An error beside a control that is not a text field (a choice the schema refused, a problem). */
function FieldError({ id, message }: { id: string; message: string | null | undefined }) {
  return message ? (
    <span className="field-error" id={id}>
      {message}
    </span>
  ) : null;
}

export function FieldInspector({ doc, row, readOnly, apply }: Props) {
  const base = useId();
  const id = (s: string) => `${base}-${s}`;
  // A choice (type, nullable, $ref, format…) the schema refused, shown under that control.
  const [refusal, setRefusal] = useState<{ key: string; message: string } | null>(null);
  const choose = (key: string, edit: Edit) => {
    const why = apply(edit);
    setRefusal(why ? { key, message: why } : null);
  };
  const refusalOf = (key: string) => (refusal?.key === key ? refusal.message : null);

  if (row.role === "definitions") {
    return (
      <div className="inspector">
        <h3 className="insp-title">Definitions</h3>
        <p className="dim small-text">Reusable schemas, under $defs (or definitions, the older name). A field refers to one with the type “$ref”; renaming a definition updates those refs.</p>
        <div className="insp-actions">
          <button type="button" disabled={readOnly} onClick={() => choose("definitions", { op: "addDefinition" })}>
            Add definition
          </button>
          <FieldError id={id("defs-error")} message={refusalOf("definitions")} />
        </div>
      </div>
    );
  }

  const path = row.path;
  const info: Info = classify(doc, path);
  const core = getAt(doc, info.core);
  const outer = getAt(doc, path);
  const also = alsoOf(doc, path, row.role as Exclude<Row["role"], "definitions">, info);
  const uncontrolled = new Set(also.map((a) => a.key));
  const problems: Problem[] = info.isObject ? problemsOf(doc, path, info, definitionNames(doc)) : [];
  const problemOf = (key: string) => problems.filter((p) => p.key === key).map((p) => p.message).join("; ") || null;
  const valueOf = (key: string): Json | undefined => getAt(doc, [...placeOf(key, path, info), key]);
  const textOf = (key: string) => {
    const v = valueOf(key);
    return typeof v === "string" ? v : "";
  };
  const setText = (key: string) => (t: string) => apply({ op: "set", path, key, value: t === "" ? undefined : t });
  const numberField = (key: string, label: string, count: boolean) => {
    const v = valueOf(key);
    return (
      <Field label={label} htmlFor={id(key)} key={key}>
        <CommitInput
          id={id(key)}
          className="num"
          value={v instanceof Num ? v.raw : ""}
          disabled={uncontrolled.has(key)}
          validate={(t) => {
            const r = numberInput(t, count);
            return "error" in r ? r.error : null;
          }}
          problem={problemOf(key)}
          onCommit={(t) => {
            const r = numberInput(t, count);
            return "error" in r ? r.error : apply({ op: "set", path, key, value: r.value });
          }}
        />
      </Field>
    );
  };

  const named = row.role === "property" || row.role === "definition";
  const container = named ? getAt(doc, path.slice(0, -1)) : undefined;
  const movable = row.role === "property" || row.role === "definition" || row.role === "member";
  const heading = row.role === "root" ? "Schema (the root)" : row.role === "definition" ? `Definition ${row.label}` : row.role === "property" ? `Field ${row.label}` : row.role === "items" ? "Items of the array" : `Option ${row.label.replace(/^option /, "")} of the anyOf`;

  return (
    <div className="inspector">
      <div className="insp-head">
        <h3 className="insp-title">{heading}</h3>
        <code className="insp-path dim" title="Where it is in the schema (JSON Pointer)">
          {row.key || "/"}
        </code>
      </div>
      <fieldset className="insp-form" disabled={readOnly}>
        <legend className="visually-hidden">Edit {heading}</legend>
        {movable || row.role === "items" ? (
          <div className="insp-actions" role="group" aria-label="Arrange">
            {movable ? (
              <>
                <button type="button" className="small" disabled={row.position <= 1} onClick={() => choose("actions", { op: "move", path, by: -1 })} aria-keyshortcuts="Alt+ArrowUp">
                  ↑ Move up
                </button>
                <button type="button" className="small" disabled={row.position >= row.siblings} onClick={() => choose("actions", { op: "move", path, by: 1 })} aria-keyshortcuts="Alt+ArrowDown">
                  ↓ Move down
                </button>
                <button type="button" className="small" onClick={() => choose("actions", { op: "duplicate", path })}>
                  Duplicate
                </button>
              </>
            ) : null}
            <button type="button" className="small danger-outline" onClick={() => choose("actions", { op: "delete", path })} aria-keyshortcuts="Delete">
              Delete
            </button>
            <FieldError id={id("actions-error")} message={refusalOf("actions")} />
          </div>
        ) : null}

        <div className="insp-grid">
          {named ? (
            <Field label={row.role === "definition" ? "Definition name" : "Field name"} htmlFor={id("name")} className="insp-name">
              <CommitInput
                id={id("name")}
                value={row.label}
                validate={(t) => (t === "" ? "a name cannot be empty" : t !== row.label && isObject(container ?? null) && (container as JsonObject).has(t) ? `${JSON.stringify(t)} is already ${row.role === "definition" ? "a definition" : "a field of this object"}` : null)}
                onCommit={(t) => apply({ op: "rename", path, name: t })}
              />
            </Field>
          ) : null}
          <Field label="Type" htmlFor={id("type")}>
            <select
              id={id("type")}
              value={info.isObject ? info.kind : "other"}
              onChange={(e) => choose("type", { op: "type", path, kind: e.target.value as Kind })}
              aria-describedby={refusalOf("type") ? id("type-error") : undefined}
            >
              {info.kind === "other" ? (
                <option value="other" disabled>
                  {info.isObject ? `other: ${printCompact((core as JsonObject).get("type") ?? null)}` : `the schema ${printCompact(outer ?? null)}`}
                </option>
              ) : null}
              {TYPE_CHOICES.map(([k, label]) => (
                <option key={k} value={k} disabled={k === "ref" && !hasDefinitions(doc)}>
                  {label}
                </option>
              ))}
            </select>
            <FieldError id={id("type-error")} message={refusalOf("type")} />
          </Field>
          <div className="insp-checks">
            {row.role === "property" ? (
              <label className="inline">
                <input type="checkbox" checked={!!row.required} onChange={(e) => choose("required", { op: "required", path, on: e.target.checked })} />
                Required
              </label>
            ) : null}
            {info.isObject ? (
              <label className="inline">
                <input
                  type="checkbox"
                  checked={info.nullable !== null}
                  disabled={info.nullable === null && (info.kind === "union" || info.kind === "any" || info.kind === "other" || info.kind === "null")}
                  onChange={(e) => choose("nullable", { op: "nullable", path, on: e.target.checked })}
                  aria-describedby={id("nullable-how")}
                />
                Nullable
              </label>
            ) : null}
            {info.isObject ? (
              <span className="field-hint" id={id("nullable-how")}>
                {info.nullable === "anyOf" ? "as anyOf with null" : info.nullable === "type" ? 'as a type list with "null"' : info.kind === "union" ? "add a null option instead" : ""}
              </span>
            ) : null}
            <FieldError id={id("check-error")} message={refusalOf("required") ?? refusalOf("nullable")} />
          </div>
        </div>

        {info.isObject ? (
          <>
            {row.role === "root" || row.role === "definition" ? (
              <Field label="Title" htmlFor={id("title")} className="wide">
                <CommitInput id={id("title")} value={textOf("title")} disabled={uncontrolled.has("title")} onCommit={setText("title")} />
              </Field>
            ) : null}
            <Field label="Description" htmlFor={id("description")} className="wide">
              <CommitInput id={id("description")} value={textOf("description")} multiline disabled={uncontrolled.has("description")} onCommit={setText("description")} describedBy={id("description-hint")} />
              <span className="field-hint" id={id("description-hint")}>
                Enter applies it; Shift+Enter starts a new line.
              </span>
            </Field>
            <KindFields info={info} core={core as JsonObject} row={row} doc={doc} ids={id} numberField={numberField} problemOf={problemOf} refusalOf={refusalOf} choose={choose} apply={apply} uncontrolled={uncontrolled} />
            <div className="insp-grid">
              <Field label="Default (JSON)" htmlFor={id("default")}>
                <CommitInput
                  id={id("default")}
                  value={valueOf("default") === undefined ? "" : printCompact(valueOf("default")!)}
                  disabled={uncontrolled.has("default")}
                  placeholder='e.g. "none" or 0'
                  validate={(t) => {
                    if (t.trim() === "") return null;
                    const r = parseJsonValue(t);
                    return "error" in r ? r.error : null;
                  }}
                  onCommit={(t) => {
                    if (t.trim() === "") return apply({ op: "set", path, key: "default", value: undefined });
                    const r = parseJsonValue(t);
                    return "error" in r ? r.error : apply({ op: "set", path, key: "default", value: r.value });
                  }}
                />
              </Field>
              <Field label="Examples (JSON list)" htmlFor={id("examples")}>
                <CommitInput
                  id={id("examples")}
                  value={valueOf("examples") === undefined ? "" : printCompact(valueOf("examples")!)}
                  disabled={uncontrolled.has("examples")}
                  placeholder='e.g. ["a@example.com"]'
                  validate={(t) => {
                    if (t.trim() === "") return null;
                    const r = parseJsonValue(t);
                    return "error" in r ? r.error : Array.isArray(r.value) ? null : "examples are a JSON list: [ … ]";
                  }}
                  onCommit={(t) => {
                    if (t.trim() === "") return apply({ op: "set", path, key: "examples", value: undefined });
                    const r = parseJsonValue(t);
                    return "error" in r ? r.error : apply({ op: "set", path, key: "examples", value: r.value });
                  }}
                />
              </Field>
            </div>
          </>
        ) : (
          <p className="dim small-text">This schema is {printCompact(outer ?? null)}: {outer === true ? "any value is valid" : outer === false ? "no value is valid" : "not a schema"}. Choose a type to describe it.</p>
        )}
        {problemOf("required") ? <FieldError id={id("required-problem")} message={problemOf("required")} /> : null}
        <AlsoList also={also} />
      </fieldset>
    </div>
  );
}

function hasDefinitions(doc: Json): boolean {
  return DEF_CONTAINERS.some((c) => {
    const m = getAt(doc, [c]);
    return isObject(m) && m.size > 0;
  });
}

interface KindProps {
  info: Info;
  core: JsonObject;
  row: Row;
  doc: Json;
  ids: (s: string) => string;
  numberField: (key: string, label: string, count: boolean) => ReactNode;
  problemOf: (key: string) => string | null;
  refusalOf: (key: string) => string | null;
  choose: (key: string, edit: Edit) => void;
  apply: Apply;
  uncontrolled: Set<string>;
}

/** The controls of the schema's own type. */
function KindFields({ info, core, row, doc, ids, numberField, problemOf, refusalOf, choose, apply, uncontrolled }: KindProps) {
  const path = row.path;
  switch (info.kind) {
    case "string": {
      const format = core.get("format");
      const pattern = core.get("pattern");
      return (
        <div className="insp-grid">
          <Field label="Format" htmlFor={ids("format")}>
            <select id={ids("format")} value={typeof format === "string" ? format : ""} disabled={uncontrolled.has("format")} onChange={(e) => choose("format", { op: "set", path, key: "format", value: e.target.value || undefined })}>
              <option value="">none</option>
              {typeof format === "string" && !(FORMATS as readonly string[]).includes(format) ? <option value={format}>{format}</option> : null}
              {FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Pattern (regular expression)" htmlFor={ids("pattern")} className="wide-2">
            <CommitInput
              id={ids("pattern")}
              className="mono"
              value={typeof pattern === "string" ? pattern : ""}
              disabled={uncontrolled.has("pattern")}
              placeholder="e.g. ^[A-Z]{3}$"
              problem={problemOf("pattern")}
              onCommit={(t) => apply({ op: "set", path, key: "pattern", value: t === "" ? undefined : t })}
            />
          </Field>
          {numberField("minLength", "Min length", true)}
          {numberField("maxLength", "Max length", true)}
        </div>
      );
    }
    case "number":
    case "integer":
      return (
        <div className="insp-grid">
          {numberField("minimum", "Minimum", false)}
          {numberField("maximum", "Maximum", false)}
        </div>
      );
    case "array":
      return (
        <div className="insp-grid">
          {numberField("minItems", "Min items", true)}
          {numberField("maxItems", "Max items", true)}
          {!core.has("items") ? (
            <div className="insp-field">
              <span className="label-like">Items</span>
              <button type="button" className="small" onClick={() => choose("items", { op: "addItems", path })}>
                Describe the items
              </button>
              <FieldError id={ids("items-error")} message={refusalOf("items")} />
            </div>
          ) : (
            <p className="dim small-text insp-note">The items’ schema is the “items” row under this one.</p>
          )}
        </div>
      );
    case "object": {
      const ap = core.get("additionalProperties");
      return (
        <div className="insp-grid">
          <label className="inline insp-check-wide">
            <input type="checkbox" checked={ap === false} disabled={uncontrolled.has("additionalProperties")} onChange={(e) => choose("additionalProperties", { op: "set", path, key: "additionalProperties", value: e.target.checked ? false : undefined })} />
            No other properties (additionalProperties: false)
          </label>
          <div className="insp-field">
            <button type="button" className="small" onClick={() => choose("properties", { op: "addProperty", path })}>
              Add nested field
            </button>
            <FieldError id={ids("properties-error")} message={refusalOf("properties")} />
          </div>
        </div>
      );
    }
    case "union":
      return (
        <div className="insp-grid">
          <p className="dim small-text insp-note">Each option is a row under this one; a value must match at least one.</p>
          <div className="insp-field">
            <button type="button" className="small" onClick={() => choose("anyOf", { op: "addMember", path })}>
              Add option
            </button>
            <FieldError id={ids("anyOf-error")} message={refusalOf("anyOf")} />
          </div>
        </div>
      );
    case "enum":
      return <EnumValues info={info} core={core} path={path} ids={ids} problem={problemOf("enum")} apply={apply} />;
    case "ref":
      return <RefChoice core={core} doc={doc} path={path} ids={ids} problem={problemOf("$ref") ?? refusalOf("$ref")} choose={choose} />;
    default:
      return null;
  }
}

function EnumValues({ info, core, path, ids, problem, apply }: { info: Info; core: JsonObject; path: readonly string[]; ids: (s: string) => string; problem: string | null; apply: Apply }) {
  const values = (core.get("enum") as Json[]).filter((v) => !(info.nullable && v === null));
  // Strings are written as lines of text when that is unambiguous; anything else as JSON.
  const asText = info.enumStrings && values.every((v) => typeof v === "string" && v !== "" && v.trim() === v && !v.includes("\n"));
  const shown = values.map((v) => (asText ? (v as string) : printCompact(v))).join("\n");
  const read = (t: string): { values: Json[] } | { error: string } => {
    const lines = t.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    if (asText) return { values: lines };
    const out: Json[] = [];
    for (const [i, l] of lines.entries()) {
      const p = parseJson(l);
      if (!p.ok) return { error: `line ${i + 1} is not JSON (write "text" in quotes)` };
      out.push(p.value);
    }
    return { values: out };
  };
  return (
    <Field label={asText ? "Values, one per line" : "Values, one JSON value per line"} htmlFor={ids("enum")} className="wide">
      <CommitInput
        id={ids("enum")}
        multiline
        enterApplies={false}
        describedBy={ids("enum-hint")}
        className="enum-values"
        value={shown}
        problem={problem}
        validate={(t) => {
          const r = read(t);
          return "error" in r ? r.error : null;
        }}
        onCommit={(t) => {
          const r = read(t);
          return "error" in r ? r.error : apply({ op: "enum", path, values: r.values });
        }}
      />
      <span className="field-hint" id={ids("enum-hint")}>
        Leaving the field applies the values.
      </span>
    </Field>
  );
}

function RefChoice({ core, doc, path, ids, problem, choose }: { core: JsonObject; doc: Json; path: readonly string[]; ids: (s: string) => string; problem: string | null; choose: (key: string, edit: Edit) => void }) {
  const ref = core.get("$ref") as string;
  const options: Array<[string, string]> = [];
  for (const c of DEF_CONTAINERS) {
    const m = getAt(doc, [c]);
    if (isObject(m)) for (const name of m.keys()) options.push([refTo(c, name), c === "$defs" ? name : `${name} (definitions)`]);
  }
  const known = options.some(([r]) => r === ref);
  const target = refTarget(ref);
  return (
    <Field label="Refers to" htmlFor={ids("ref")}>
      <select id={ids("ref")} value={ref} onChange={(e) => choose("$ref", { op: "set", path, key: "$ref", value: e.target.value })} aria-invalid={problem ? true : undefined} aria-describedby={problem ? ids("ref-error") : undefined}>
        {!known ? <option value={ref}>{target ? `${target.name} (missing)` : ref}</option> : null}
        {options.map(([r, label]) => (
          <option key={r} value={r}>
            {label}
          </option>
        ))}
      </select>
      <FieldError id={ids("ref-error")} message={problem} />
    </Field>
  );
}

function AlsoList({ also }: { also: Also[] }) {
  if (also.length === 0) return null;
  return (
    <div className="insp-also">
      <h4>Also in this schema, kept as written</h4>
      <dl>
        {also.map((a) => (
          <div key={`${a.inMember}-${a.key}`}>
            <dt>
              <code>{a.key}</code>
              {a.inMember ? <span className="dim"> (in the non-null option)</span> : null}
            </dt>
            <dd>
              <code>{clip(printCompact(a.value))}</code>
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

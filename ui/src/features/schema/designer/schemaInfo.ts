// How the designer reads one schema: which of its types it is (the kind), whether and how it
// allows null, which keywords it has a control for, which it only shows ("also"), and what is
// wrong with it. Everything here reads; edits.ts writes.
import { isNumberText, isObject, Num, printCompact, type Json, type JsonObject } from "./json";
import { DEF_CONTAINERS, getAt, refTarget, type Path } from "./paths";

export type Kind = "string" | "number" | "integer" | "boolean" | "null" | "enum" | "object" | "array" | "union" | "ref" | "any" | "other";

/** The kinds written as one `type`. */
export const TYPE_KINDS = ["string", "number", "integer", "boolean", "null", "object", "array"] as const;
export const isTypeKind = (k: string): k is (typeof TYPE_KINDS)[number] => (TYPE_KINDS as readonly string[]).includes(k);

/** The keywords each kind has a control for, where its own keywords live (the core). */
export const KIND_KEYS: Record<Kind, readonly string[]> = {
  string: ["type", "minLength", "maxLength", "pattern", "format"],
  number: ["type", "minimum", "maximum"],
  integer: ["type", "minimum", "maximum"],
  boolean: ["type"],
  null: ["type"],
  enum: ["type", "enum"],
  object: ["type", "properties", "required", "additionalProperties"],
  array: ["type", "items", "minItems", "maxItems"],
  union: ["anyOf"],
  ref: ["$ref"],
  any: [],
  other: [],
};

/** Keywords every schema has a control for; they stay on the schema itself (not in a nullable's member). */
export const COMMON_KEYS = ["description", "default", "examples"] as const;
/** More keywords with a control at the root and on definitions. */
export const NAMED_KEYS = ["title"] as const;
/** Keywords the root lists as their own section. */
export const ROOT_SECTIONS = DEF_CONTAINERS;

/** The formats offered for strings (JSON Schema 2020-12 §7.3 and those providers accept). */
export const FORMATS = ["date", "date-time", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uuid", "regex"] as const;

export type Role = "root" | "property" | "items" | "member" | "definition";

export interface Info {
  /** False for a boolean schema (`true`/`false`) or anything that is not an object. */
  isObject: boolean;
  kind: Kind;
  /** How null is allowed: in a `type` list, or as the other member of a two-member `anyOf`. */
  nullable: "type" | "anyOf" | null;
  /** Where the kind's own keywords live: the non-null member of a nullable anyOf, or the schema itself. */
  core: Path;
  /** For an enum: whether its values are strings (edited as lines of text) or any JSON. */
  enumStrings: boolean;
}

const isNullSchema = (v: Json | undefined) => isObject(v) && v.size === 1 && v.get("type") === "null";

/** The one type of a `type` list holding it and "null", or null. */
function nullableType(t: Json | undefined): string | null {
  if (!Array.isArray(t) || t.length !== 2 || !t.includes("null")) return null;
  const other = t.find((x) => x !== "null");
  return typeof other === "string" ? other : null;
}

function kindOf(s: JsonObject): { kind: Kind; typeNullable: boolean } {
  if (typeof s.get("$ref") === "string") return { kind: "ref", typeNullable: false };
  if (Array.isArray(s.get("anyOf"))) return { kind: "union", typeNullable: false };
  const t = s.get("type");
  const single = typeof t === "string" ? t : nullableType(t);
  const typeNullable = typeof t !== "string" && single !== null;
  if (Array.isArray(s.get("enum"))) {
    // An enum is typed by `type` when it has one the designer reads (or by nothing).
    if (t === undefined || (single !== null && isTypeKind(single) && single !== "object" && single !== "array")) return { kind: "enum", typeNullable };
    return { kind: "other", typeNullable: false };
  }
  if (t === undefined) return { kind: "any", typeNullable: false };
  if (single !== null && isTypeKind(single)) return { kind: single, typeNullable };
  return { kind: "other", typeNullable: false };
}

export function classify(doc: Json, path: Path): Info {
  const s = getAt(doc, path);
  if (!isObject(s)) return { isObject: false, kind: "other", nullable: null, core: path, enumStrings: false };
  const anyOf = s.get("anyOf");
  // [X, {"type": "null"}] in either order: X is the field, null is allowed.
  if (Array.isArray(anyOf) && anyOf.length === 2 && !s.has("$ref")) {
    const nullAt = anyOf.findIndex(isNullSchema);
    const other = anyOf[1 - nullAt];
    if (nullAt >= 0 && isObject(other) && !isNullSchema(other)) {
      const core = [...path, "anyOf", String(1 - nullAt)];
      const inner = kindOf(other);
      // A member that itself allows null or is a union is shown as a union of the two.
      if (!inner.typeNullable && inner.kind !== "union") return { isObject: true, kind: inner.kind, nullable: "anyOf", core, enumStrings: enumStrings(other, inner.kind) };
    }
  }
  const { kind, typeNullable } = kindOf(s);
  return { isObject: true, kind, nullable: typeNullable ? "type" : null, core: path, enumStrings: enumStrings(s, kind) };
}

function enumStrings(s: JsonObject, kind: Kind): boolean {
  if (kind !== "enum") return false;
  const t = s.get("type");
  const single = typeof t === "string" ? t : nullableType(t);
  if (single) return single === "string";
  const values = s.get("enum") as Json[];
  return values.every((v) => typeof v === "string" || v === null);
}

/** Whether `key` holding `v` is one the designer edits (a keyword of the right shape). */
function shapeFits(key: string, v: Json, kind: Kind): boolean {
  switch (key) {
    case "type":
      return typeof v === "string" || nullableType(v) !== null;
    case "properties":
    case "items":
    case "$defs":
    case "definitions":
      return isObject(v);
    case "required":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "additionalProperties":
      return typeof v === "boolean";
    case "enum":
    case "anyOf":
    case "examples":
      return Array.isArray(v);
    case "minimum":
    case "maximum":
    case "minLength":
    case "maxLength":
    case "minItems":
    case "maxItems":
      return v instanceof Num;
    case "$ref":
    case "pattern":
    case "format":
    case "description":
    case "title":
      return typeof v === "string";
    case "default":
      return kind !== "other";
    default:
      return false;
  }
}

export interface Also {
  key: string;
  value: Json;
  /** True when it is in the nullable's non-null member rather than on the schema itself. */
  inMember: boolean;
}

// The keywords with a control on the schema itself, by role (made once: rows ask for every schema).
const OUTER_KEYS: Record<Role, ReadonlySet<string>> = {
  root: new Set([...COMMON_KEYS, ...NAMED_KEYS, ...ROOT_SECTIONS]),
  definition: new Set([...COMMON_KEYS, ...NAMED_KEYS]),
  property: new Set(COMMON_KEYS),
  items: new Set(COMMON_KEYS),
  member: new Set(COMMON_KEYS),
};
const OWN_KEYS = Object.fromEntries(Object.entries(KIND_KEYS).map(([k, keys]) => [k, new Set(keys)])) as unknown as Record<Kind, ReadonlySet<string>>;

/** The keywords of the schema at `path` that the designer has no control for: shown, never changed. */
export function alsoOf(doc: Json, path: Path, role: Role, info: Info): Also[] {
  const s = getAt(doc, path);
  if (!isObject(s)) return [];
  const outer = OUTER_KEYS[role];
  const own = OWN_KEYS[info.kind];
  const out: Also[] = [];
  if (info.nullable === "anyOf") {
    for (const [k, v] of s) if (!(k === "anyOf" || (outer.has(k) && shapeFits(k, v, info.kind)))) out.push({ key: k, value: v, inMember: false });
    const core = getAt(doc, info.core) as JsonObject;
    for (const [k, v] of core) if (!(own.has(k) && shapeFits(k, v, info.kind))) out.push({ key: k, value: v, inMember: true });
    return out;
  }
  for (const [k, v] of s) if (!((outer.has(k) || own.has(k)) && shapeFits(k, v, info.kind))) out.push({ key: k, value: v, inMember: false });
  return out;
}

/** Where a keyword the designer edits lives: on the schema itself, or in its nullable member. */
export const placeOf = (key: string, path: Path, info: Info): Path =>
  (COMMON_KEYS as readonly string[]).includes(key) || (NAMED_KEYS as readonly string[]).includes(key) ? path : info.core;

export interface Problem {
  /** The keyword (or "name") the problem is about: the message is shown beside its control. */
  key: string;
  message: string;
}

const isCount = (v: Json | undefined) => v instanceof Num && Number.isInteger(v.value) && v.value >= 0;

function rangeProblems(s: JsonObject, min: string, max: string, counts: boolean, out: Problem[]) {
  const lo = s.get(min);
  const hi = s.get(max);
  for (const [k, v] of [[min, lo], [max, hi]] as const) {
    if (v === undefined) continue;
    if (!(v instanceof Num)) out.push({ key: k, message: `${k} must be a number` });
    else if (counts && !isCount(v)) out.push({ key: k, message: `${k} must be a whole number, 0 or more` });
  }
  if (lo instanceof Num && hi instanceof Num && lo.value > hi.value) out.push({ key: max, message: `${max} (${hi.raw}) is less than ${min} (${lo.raw}): no value can satisfy both` });
}

/** The names of the definitions at the root, by where they are kept. */
export function definitionNames(doc: Json): Record<string, Set<string>> {
  const out: Record<string, Set<string>> = {};
  for (const c of DEF_CONTAINERS) {
    const m = getAt(doc, [c]);
    out[c] = new Set(isObject(m) ? m.keys() : []);
  }
  return out;
}

/** What is wrong with the schema at `path`, each beside the keyword it concerns. */
export function problemsOf(doc: Json, path: Path, info: Info, defs: Record<string, Set<string>>): Problem[] {
  const out: Problem[] = [];
  const core = getAt(doc, info.core);
  if (!isObject(core)) return out;
  switch (info.kind) {
    case "string": {
      rangeProblems(core, "minLength", "maxLength", true, out);
      const p = core.get("pattern");
      if (typeof p === "string") {
        try {
          new RegExp(p);
        } catch (e) {
          out.push({ key: "pattern", message: `not a valid regular expression: ${e instanceof Error ? e.message.replace(/^Invalid regular expression: /, "") : String(e)}` });
        }
      }
      break;
    }
    case "number":
    case "integer":
      rangeProblems(core, "minimum", "maximum", false, out);
      break;
    case "array":
      rangeProblems(core, "minItems", "maxItems", true, out);
      break;
    case "enum": {
      const values = (core.get("enum") as Json[]).filter((v) => !(info.nullable && v === null));
      if (values.length === 0) out.push({ key: "enum", message: "an enum needs at least one value" });
      const seen = new Set<string>();
      for (const v of values) {
        const t = printCompact(v);
        if (seen.has(t)) out.push({ key: "enum", message: `the value ${t} is listed twice` });
        seen.add(t);
      }
      break;
    }
    case "ref": {
      const ref = core.get("$ref") as string;
      const t = refTarget(ref);
      if (t && !defs[t.container]?.has(t.name)) out.push({ key: "$ref", message: `there is no definition named ${JSON.stringify(t.name)} in ${t.container}` });
      break;
    }
    case "object": {
      const props = core.get("properties");
      const req = core.get("required");
      if (Array.isArray(req)) {
        for (const r of req) {
          if (typeof r === "string" && !(isObject(props) && props.has(r))) out.push({ key: "required", message: `required lists ${JSON.stringify(r)}, which is not one of its fields` });
        }
      }
      break;
    }
  }
  return out;
}

/** A number field's text as the keyword's value, or why it cannot be. */
export function numberInput(text: string, count: boolean): { value: Num | undefined } | { error: string } {
  const t = text.trim();
  if (t === "") return { value: undefined };
  if (!isNumberText(t)) return { error: "write a number, like 0 or 2.5" };
  if (count && !/^(0|[1-9][0-9]*)$/.test(t)) return { error: "write a whole number, 0 or more" };
  return { value: new Num(t) };
}

/** A short description of the schema's type for its row: "string · email", "array of object", "→ Address". */
export function typeSummary(doc: Json, path: Path, info: Info): string {
  const s = getAt(doc, path);
  if (!info.isObject) return s === true ? "any value (true)" : s === false ? "no value (false)" : "not a schema";
  const core = getAt(doc, info.core) as JsonObject;
  switch (info.kind) {
    case "string": {
      const f = core.get("format");
      return typeof f === "string" ? `string · ${f}` : "string";
    }
    case "enum": {
      const values = (core.get("enum") as Json[]).filter((v) => v !== null || !info.nullable);
      const shown = values.slice(0, 3).map((v) => (typeof v === "string" ? v : printCompact(v)));
      return `enum: ${shown.join(", ")}${values.length > 3 ? ", …" : ""}`;
    }
    case "array": {
      const items = info.core.concat("items");
      if (!isObject(getAt(doc, items))) return "array";
      const inner = classify(doc, items);
      return `array of ${inner.kind === "array" ? typeSummary(doc, items, inner) : inner.kind === "ref" ? typeSummary(doc, items, inner) : inner.kind}`;
    }
    case "ref": {
      const ref = core.get("$ref") as string;
      const t = refTarget(ref);
      return `→ ${t ? t.name + t.rest : ref}`;
    }
    case "union":
      return `anyOf (${(core.get("anyOf") as Json[]).length} options)`;
    case "any":
      return "any type";
    case "other": {
      const t = core.get("type");
      return t === undefined ? "other" : printCompact(t);
    }
    default:
      return info.kind;
  }
}

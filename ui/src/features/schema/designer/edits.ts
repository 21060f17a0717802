// One designer edit as new schema text: the text is parsed, the edit made in place, and the whole
// printed again (2-space indentation). What the edit is not about is left where it was: a renamed
// key keeps its place, a new keyword goes last, keywords the designer has no control for are
// never touched.
import { isObject, parseJson, printJson, type Json, type JsonObject } from "./json";
import { DEF_CONTAINERS, getAt, refTarget, refTo, type DefContainer, type Path } from "./paths";
import { classify, KIND_KEYS, placeOf, type Info, type Kind } from "./schemaInfo";

export type Edit =
  /** An empty text becomes an object schema. */
  | { op: "start" }
  | { op: "rename"; path: Path; name: string }
  | { op: "required"; path: Path; on: boolean }
  | { op: "type"; path: Path; kind: Kind }
  | { op: "nullable"; path: Path; on: boolean }
  /** Sets (or with `undefined` removes) a keyword the designer has a control for, where it belongs. */
  | { op: "set"; path: Path; key: string; value: Json | undefined }
  /** An enum's values (a nullable enum keeps its null). */
  | { op: "enum"; path: Path; values: Json[] }
  | { op: "addProperty"; path: Path }
  | { op: "addMember"; path: Path }
  | { op: "addItems"; path: Path }
  | { op: "addDefinition" }
  | { op: "move"; path: Path; by: -1 | 1 }
  | { op: "duplicate"; path: Path }
  | { op: "delete"; path: Path };

/** The new text, the document it holds (as parseJson would give it), and the row to select. */
export type EditResult = { ok: true; text: string; doc: Json; select: Path } | { ok: false; message: string };

class Refused extends Error {}
const refuse = (message: string): never => {
  throw new Refused(message);
};

const schema = (entries: Array<[string, Json]>): JsonObject => new Map(entries);
const NEW_FIELD = () => schema([["type", "string"]]);

/** Replaces the map's entries, keeping the object (its parent still holds it). */
function rebuild(m: JsonObject, entries: Array<[string, Json]>) {
  m.clear();
  for (const [k, v] of entries) m.set(k, v);
}

function renameKey(m: JsonObject, from: string, to: string) {
  rebuild(
    m,
    [...m].map(([k, v]) => [k === from ? to : k, v]),
  );
}

function insertAfter(m: JsonObject, after: string, key: string, value: Json) {
  const out: Array<[string, Json]> = [];
  for (const e of m) {
    out.push(e);
    if (e[0] === after) out.push([key, value]);
  }
  rebuild(m, out);
}

function clone(v: Json): Json {
  if (Array.isArray(v)) return v.map(clone);
  if (isObject(v)) return new Map([...v].map(([k, x]) => [k, clone(x)]));
  return v;
}

function objectAt(doc: Json, path: Path, what = "schema"): JsonObject {
  const v = getAt(doc, path);
  return isObject(v) ? v : refuse(`the ${what} at ${path.join("/") || "the root"} is not an object`);
}

/** `base`, or `base_2`, `base_3`… whichever is not taken. */
function freeName(taken: (n: string) => boolean, base: string): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
}

/** What a row's path says about where it sits. */
function placeOfRow(path: Path): { role: "property" | "definition" | "member" | "items" | "root"; container: Path; name: string } {
  if (path.length === 0) return { role: "root", container: [], name: "" };
  const last = path[path.length - 1]!;
  const parent = path[path.length - 2];
  if (path.length === 2 && (DEF_CONTAINERS as readonly string[]).includes(path[0]!)) return { role: "definition", container: path.slice(0, 1), name: last };
  if (parent === "properties") return { role: "property", container: path.slice(0, -1), name: last };
  if (parent === "anyOf") return { role: "member", container: path.slice(0, -1), name: last };
  if (last === "items") return { role: "items", container: path.slice(0, -1), name: last };
  return refuse(`nothing the designer edits is at ${path.join("/")}`);
}

/** Every `$ref` in the document naming definition `from` of `container` now names `to`. */
function renameRefs(v: Json, container: DefContainer, from: string, to: string) {
  if (Array.isArray(v)) v.forEach((x) => renameRefs(x, container, from, to));
  else if (isObject(v)) {
    for (const [k, x] of v) {
      if (k === "$ref" && typeof x === "string") {
        const t = refTarget(x);
        if (t && t.container === container && t.name === from) v.set(k, refTo(container, to) + t.rest);
      } else renameRefs(x, container, from, to);
    }
  }
}

function rename(doc: Json, path: Path, name: string): Path {
  const at = placeOfRow(path);
  if (at.role !== "property" && at.role !== "definition") return refuse("only fields and definitions have names");
  if (name === at.name) return path;
  if (name === "") return refuse("a name cannot be empty");
  const container = objectAt(doc, at.container);
  if (container.has(name)) return refuse(`${JSON.stringify(name)} is already taken here`);
  renameKey(container, at.name, name);
  if (at.role === "property") {
    const req = getAt(doc, [...path.slice(0, -2), "required"]);
    if (Array.isArray(req)) for (let i = 0; i < req.length; i++) if (req[i] === at.name) req[i] = name;
  } else renameRefs(doc, at.container[0] as DefContainer, at.name, name);
  return [...at.container, name];
}

function setRequired(doc: Json, path: Path, on: boolean) {
  const at = placeOfRow(path);
  if (at.role !== "property") return refuse("only fields of an object can be required");
  const owner = objectAt(doc, path.slice(0, -2));
  const req = owner.get("required");
  if (req !== undefined && !Array.isArray(req)) return refuse("this object's `required` is not a list");
  if (on) {
    if (!req) owner.set("required", [at.name]);
    else if (!req.includes(at.name)) req.push(at.name);
  } else if (req) {
    owner.set(
      "required",
      req.filter((r) => r !== at.name),
    );
  }
}

/** The `type` value for `t`, keeping a nullable list's order. */
function typeValue(t: string, old: Json | undefined, nullable: boolean): Json {
  if (!nullable) return t;
  return Array.isArray(old) ? old.map((x) => (x === "null" ? x : t)) : [t, "null"];
}

// Each kind's defining keywords: `head` take the place of the ones they replace, `tail` go last
// (an existing one of the right shape is kept).
function defining(doc: Json, obj: JsonObject, from: Kind, to: Kind, nullable: boolean): { head: Array<[string, Json]>; tail: Array<[string, Json]> } {
  const oldType = obj.get("type");
  switch (to) {
    case "union":
      return { head: [["anyOf", [schema([["type", "string"]]), schema([["type", "number"]]), ...(nullable ? [schema([["type", "null"]])] : [])]]], tail: [] };
    case "ref": {
      const first = firstDefinition(doc);
      return first ? { head: [["$ref", first]], tail: [] } : refuse("there are no definitions to refer to yet: add one first");
    }
    case "any":
      return { head: [], tail: [] };
    case "enum": {
      const keep = from === "string" || from === "number" || from === "integer" || from === "boolean";
      return { head: [["type", typeValue(keep ? from : "string", oldType, nullable)]], tail: [["enum", nullable ? [null] : []]] };
    }
    case "object":
      return { head: [["type", typeValue("object", oldType, nullable)]], tail: [["properties", new Map()]] };
    case "array":
      return { head: [["type", typeValue("array", oldType, nullable)]], tail: [["items", NEW_FIELD()]] };
    case "other":
      return refuse("choose one of the types listed");
    default:
      return { head: [["type", typeValue(to, oldType, nullable)]], tail: [] };
  }
}

const sameValues = (a: Kind, b: Kind) => (a === "number" || a === "integer") && (b === "number" || b === "integer");

/** Makes `obj` (a schema, or a nullable's member) of kind `to`, with a null in its type list if `nullable`. */
function retype(doc: Json, obj: JsonObject, from: Kind, to: Kind, nullable: boolean, isOuter: boolean) {
  const { head, tail } = defining(doc, obj, from, to, nullable);
  // The old kind's keywords go, but for those the new kind has too (minimum, from number to
  // integer); the head ones are written anew where the first of them was.
  const keep = new Set([...KIND_KEYS[to], ...tail.map(([k]) => k)]);
  const remove = new Set(["type", "$ref", "anyOf", "enum", ...KIND_KEYS[from]].filter((k) => !keep.has(k)));
  head.forEach(([k]) => remove.add(k));
  // Defaults and examples were values of the old type.
  if (isOuter && !sameValues(from, to)) ["default", "examples"].forEach((k) => remove.add(k));
  const out: Array<[string, Json]> = [];
  let placed = false;
  const tailDone = new Set<string>();
  for (const [k, v] of obj) {
    if (remove.has(k)) {
      if (!placed && k !== "default" && k !== "examples") {
        out.push(...head);
        placed = true;
      }
      continue;
    }
    const t = tail.find(([w]) => w === k);
    if (t) {
      out.push([k, (k === "enum" ? Array.isArray(v) : isObject(v)) ? v : t[1]]);
      tailDone.add(k);
      continue;
    }
    out.push([k, v]);
  }
  if (!placed) out.push(...head);
  for (const t of tail) if (!tailDone.has(t[0])) out.push(t);
  rebuild(obj, out);
}

function firstDefinition(doc: Json): string | null {
  for (const c of DEF_CONTAINERS) {
    const m = getAt(doc, [c]);
    if (isObject(m) && m.size) return refTo(c, m.keys().next().value!);
  }
  return null;
}

function setType(doc: Json, path: Path, to: Kind) {
  const v = getAt(doc, path);
  if (!isObject(v)) {
    // A boolean schema (true/false) becomes an object schema of that type.
    const fresh: JsonObject = new Map();
    retype(doc, fresh, "any", to, false, true);
    return replaceAt(doc, path, fresh);
  }
  const info = classify(doc, path);
  if (info.kind === to && info.isObject) return;
  if (info.nullable === "anyOf") {
    if (to === "union" || to === "any") return retype(doc, v, "union", to, to === "union", true);
    const member = objectAt(doc, info.core);
    retype(doc, member, info.kind, to, false, false);
    // Defaults and examples (on the schema itself) were values of the old type.
    if (!sameValues(info.kind, to)) ["default", "examples"].forEach((k) => v.delete(k));
    return;
  }
  if (info.nullable === "type" && to === "ref") {
    retype(doc, v, info.kind, to, false, true);
    return makeNullable(doc, path);
  }
  // A nullable that becomes a union takes null as one of its options; "any type" allows null anyway.
  retype(doc, v, info.kind, to, info.nullable === "type" && to !== "any", true);
}

function replaceAt(doc: Json, path: Path, value: Json) {
  const parent = getAt(doc, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (isObject(parent)) parent.set(last, value);
  else if (Array.isArray(parent)) parent[Number(last)] = value;
  else refuse("the schema's parent is not an object or a list");
}

function makeNullable(doc: Json, path: Path) {
  const info = classify(doc, path);
  const obj = objectAt(doc, path);
  if (info.nullable) return;
  if (info.kind === "union" || info.kind === "any" || info.kind === "other" || info.kind === "null") return refuse(`a schema of ${info.kind === "union" ? "several options takes null as one more option" : info.kind === "null" ? "type null is null already" : "any type allows null already"}`);
  const t = obj.get("type");
  if (typeof t === "string") {
    obj.set("type", [t, "null"]);
    const e = obj.get("enum");
    if (Array.isArray(e) && !e.includes(null)) e.push(null);
    return;
  }
  // No `type` to add "null" to (a $ref, an untyped enum): the schema becomes anyOf [it, null].
  const moving = new Set(KIND_KEYS[info.kind]);
  const member: JsonObject = new Map([...obj].filter(([k]) => moving.has(k)));
  const out: Array<[string, Json]> = [];
  let placed = false;
  for (const [k, v] of obj) {
    if (!moving.has(k)) out.push([k, v]);
    else if (!placed) {
      out.push(["anyOf", [member, schema([["type", "null"]])]]);
      placed = true;
    }
  }
  rebuild(obj, out);
}

function makeNotNullable(doc: Json, path: Path) {
  const info = classify(doc, path);
  const obj = objectAt(doc, path);
  if (info.nullable === "type") {
    const t = obj.get("type") as Json[];
    obj.set("type", t.find((x) => x !== "null")!);
    const e = obj.get("enum");
    if (Array.isArray(e))
      obj.set(
        "enum",
        e.filter((x) => x !== null),
      );
  } else if (info.nullable === "anyOf") {
    const member = objectAt(doc, info.core);
    const clash = [...member.keys()].find((k) => k !== "anyOf" && obj.has(k));
    if (clash) return refuse(`both the field and its non-null option have ${JSON.stringify(clash)}: remove one in the JSON first`);
    const out: Array<[string, Json]> = [];
    for (const [k, v] of obj) {
      if (k === "anyOf") out.push(...member);
      else out.push([k, v]);
    }
    rebuild(obj, out);
  }
}

function setEnum(doc: Json, path: Path, values: Json[]) {
  const info = classify(doc, path);
  if (info.kind !== "enum") return refuse("this field is not an enum");
  const core = objectAt(doc, info.core);
  const old = core.get("enum") as Json[];
  const nullAt = old.indexOf(null);
  const next: Json[] = values.filter((v) => v !== null);
  if (info.nullable === "type" && nullAt >= 0) next.splice(Math.min(nullAt, next.length), 0, null);
  core.set("enum", next);
}

function addProperty(doc: Json, path: Path): Path {
  const info = classify(doc, path);
  if (info.kind !== "object") return refuse("fields can only be added to an object");
  const core = objectAt(doc, info.core);
  let props = core.get("properties");
  if (!isObject(props)) {
    if (props !== undefined) return refuse("this object's `properties` is not an object");
    props = new Map();
    core.set("properties", props);
  }
  const name = freeName((n) => (props as JsonObject).has(n), "field");
  props.set(name, NEW_FIELD());
  return [...info.core, "properties", name];
}

function addMember(doc: Json, path: Path): Path {
  const info = classify(doc, path);
  if (info.kind !== "union") return refuse("options can only be added to an anyOf");
  const members = getAt(doc, [...path, "anyOf"]) as Json[];
  members.push(NEW_FIELD());
  return [...path, "anyOf", String(members.length - 1)];
}

function addItems(doc: Json, path: Path): Path {
  const info = classify(doc, path);
  const core = objectAt(doc, info.core);
  if (info.kind !== "array" || core.has("items")) return refuse("only an array without items can be given them");
  core.set("items", NEW_FIELD());
  return [...info.core, "items"];
}

function addDefinition(doc: Json): Path {
  const root = isObject(doc) ? doc : refuse("definitions live in an object schema; the root is not one");
  // New definitions go to `$defs`, unless the schema keeps its definitions under the older name.
  const container: DefContainer = !root.has("$defs") && isObject(root.get("definitions")) ? "definitions" : "$defs";
  let defs = root.get(container);
  if (!isObject(defs)) {
    if (defs !== undefined) return refuse(`the root's ${container} is not an object`);
    defs = new Map();
    root.set(container, defs);
  }
  const name = freeName((n) => (defs as JsonObject).has(n), "Definition");
  defs.set(name, schema([["type", "object"], ["properties", new Map()]]));
  return [container, name];
}

function move(doc: Json, path: Path, by: -1 | 1): Path {
  const at = placeOfRow(path);
  if (at.role === "root" || at.role === "items") return refuse("only fields, options and definitions can be moved");
  const container = getAt(doc, at.container);
  if (Array.isArray(container)) {
    const i = Number(at.name);
    const j = i + by;
    if (j < 0 || j >= container.length) return path;
    [container[i], container[j]] = [container[j]!, container[i]!];
    return [...at.container, String(j)];
  }
  const m = objectAt(doc, at.container);
  const entries = [...m];
  const i = entries.findIndex(([k]) => k === at.name);
  const j = i + by;
  if (j < 0 || j >= entries.length) return path;
  [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  rebuild(m, entries);
  return path;
}

function duplicate(doc: Json, path: Path): Path {
  const at = placeOfRow(path);
  if (at.role === "root" || at.role === "items") return refuse("only fields, options and definitions can be duplicated");
  const container = getAt(doc, at.container);
  if (Array.isArray(container)) {
    const i = Number(at.name);
    container.splice(i + 1, 0, clone(container[i]!));
    return [...at.container, String(i + 1)];
  }
  const m = objectAt(doc, at.container);
  const name = freeName((n) => m.has(n), `${at.name}_copy`);
  insertAfter(m, at.name, name, clone(m.get(at.name)!));
  if (at.role === "property") {
    const req = getAt(doc, [...path.slice(0, -2), "required"]);
    const i = Array.isArray(req) ? req.indexOf(at.name) : -1;
    if (i >= 0) (req as Json[]).splice(i + 1, 0, name);
  }
  return [...at.container, name];
}

/** Deletes the row's schema; the row to select next is the one after it, else before it, else its parent. */
function remove(doc: Json, path: Path): Path {
  const at = placeOfRow(path);
  if (at.role === "root") return refuse("the root cannot be deleted");
  const container = getAt(doc, at.container);
  if (at.role === "items") {
    objectAt(doc, at.container).delete("items");
    return parentRow(doc, at.container);
  }
  if (Array.isArray(container)) {
    const i = Number(at.name);
    container.splice(i, 1);
    if (container.length === 0) return at.container.slice(0, -1);
    return [...at.container, String(Math.min(i, container.length - 1))];
  }
  const m = objectAt(doc, at.container);
  const keys = [...m.keys()];
  const i = keys.indexOf(at.name);
  m.delete(at.name);
  if (at.role === "property") {
    const owner = objectAt(doc, path.slice(0, -2));
    const req = owner.get("required");
    if (Array.isArray(req))
      owner.set(
        "required",
        req.filter((r) => r !== at.name),
      );
  }
  const next = keys[i + 1] ?? keys[i - 1];
  if (next !== undefined) return [...at.container, next];
  return at.role === "definition" ? [] : parentRow(doc, path.slice(0, -2));
}

/** The row showing the schema whose core is at `core`: the nullable field itself when it is a member of one. */
function parentRow(doc: Json, core: Path): Path {
  if (core.length >= 2 && core[core.length - 2] === "anyOf") {
    const outer = core.slice(0, -2);
    if (classify(doc, outer).nullable === "anyOf") return outer;
  }
  return core;
}

function run(doc: Json, edit: Exclude<Edit, { op: "start" }>): Path {
  switch (edit.op) {
    case "rename":
      return rename(doc, edit.path, edit.name);
    case "required":
      setRequired(doc, edit.path, edit.on);
      return edit.path;
    case "type":
      setType(doc, edit.path, edit.kind);
      return edit.path;
    case "nullable":
      if (edit.on) makeNullable(doc, edit.path);
      else makeNotNullable(doc, edit.path);
      return edit.path;
    case "set": {
      const info: Info = classify(doc, edit.path);
      const at = objectAt(doc, placeOf(edit.key, edit.path, info));
      if (edit.value === undefined) at.delete(edit.key);
      else at.set(edit.key, edit.value);
      return edit.path;
    }
    case "enum":
      setEnum(doc, edit.path, edit.values);
      return edit.path;
    case "addProperty":
      return addProperty(doc, edit.path);
    case "addMember":
      return addMember(doc, edit.path);
    case "addItems":
      return addItems(doc, edit.path);
    case "addDefinition":
      return addDefinition(doc);
    case "move":
      return move(doc, edit.path, edit.by);
    case "duplicate":
      return duplicate(doc, edit.path);
    case "delete":
      return remove(doc, edit.path);
  }
}

export function applyEdit(text: string, edit: Edit): EditResult {
  if (edit.op === "start") {
    if (text.trim()) return { ok: false, message: "the schema is not empty" };
    const doc = schema([["type", "object"], ["properties", new Map()]]);
    return { ok: true, text: printJson(doc), doc, select: [] };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) return { ok: false, message: "the JSON does not parse; fix it first" };
  const doc = parsed.value;
  try {
    const select = run(doc, edit);
    // A text that ended with a line break keeps it.
    return { ok: true, text: printJson(doc) + (text.endsWith("\n") ? "\n" : ""), doc, select };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, message: e.message };
    throw e;
  }
}

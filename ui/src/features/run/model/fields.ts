// The fields a schema promises, as JSON Pointers into the answer: what the engine's
// `ResponseSchema::field_pointers` lists, so that the run view can show them as pending before
// they arrive. Object properties, followed through `$ref`s and nullable unions; array items
// have no fixed pointer. A schema whose top level is not an object is wrapped by the engine
// (`{"tasks": [...]}` for a list, `{"content": …}` otherwise), and so are its pointers.
import { escapeSegment } from "./pointer";

type Json = unknown;
type Obj = Record<string, Json>;

const MAX_FIELD_POINTERS = 10_000;
const MAX_REF_HOPS = 64;

function isObj(v: Json): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function resolveRef(ref: string, root: Json): Json | undefined {
  if (!ref.startsWith("#")) return undefined;
  const fragment = decodeURIComponent(ref.slice(1));
  if (fragment === "") return root;
  if (!fragment.startsWith("/")) return undefined;
  let v: Json = root;
  for (const raw of fragment.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(v)) v = v[Number(seg)];
    else if (isObj(v)) v = v[seg];
    else return undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

function follow(node: Json, root: Json): Json {
  for (let i = 0; i < MAX_REF_HOPS; i++) {
    if (!isObj(node) || typeof node.$ref !== "string") break;
    const target = resolveRef(node.$ref, root);
    if (target === undefined) break;
    node = target;
  }
  return node;
}

function allowsNull(schema: Json): boolean {
  if (!isObj(schema)) return true;
  const t = schema.type;
  if (typeof t === "string") return t === "null";
  if (Array.isArray(t)) return t.includes("null");
  const union = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(union)) return union.some(allowsNull);
  if (Array.isArray(schema.enum)) return schema.enum.includes(null);
  return !("$ref" in schema) && !("const" in schema);
}

function collect(schema: Json, root: Json, at: string, onPath: Json[], out: string[]): void {
  const s = follow(schema, root);
  if (out.length >= MAX_FIELD_POINTERS || onPath.length > 8 || onPath.includes(s)) return;
  onPath.push(s);
  if (isObj(s) && isObj(s.properties)) {
    for (const [k, v] of Object.entries(s.properties)) {
      if (out.length >= MAX_FIELD_POINTERS) break;
      const p = `${at}/${escapeSegment(k)}`;
      out.push(p);
      collect(v, root, p, onPath, out);
    }
  } else if (isObj(s)) {
    const branches = s.anyOf ?? s.oneOf;
    if (Array.isArray(branches)) {
      const objects = branches.filter((b) => !allowsNull(b) || (isObj(b) && "$ref" in b));
      if (objects.length === 1) collect(objects[0], root, at, onPath, out);
    }
  }
  onPath.pop();
}

function isObjectSchema(s: Obj): boolean {
  if ("type" in s) return s.type === "object";
  return "properties" in s && !("anyOf" in s) && !("oneOf" in s);
}

/** The pointers of the fields `schema` promises; empty for a schema that is not an object. */
export function expectedFields(schema: Json): string[] {
  if (!isObj(schema)) return [];
  const out: string[] = [];
  if (isObjectSchema(schema)) {
    collect(schema, schema, "", [], out);
  } else if (schema.type === "array") {
    out.push("/tasks");
  } else {
    out.push("/content");
    collect(schema, schema, "/content", [], out);
  }
  return out;
}

/** `expectedFields` of a schema's text; none when the text is not JSON. */
export function expectedFieldsOfText(text: string): string[] {
  try {
    return expectedFields(JSON.parse(text));
  } catch {
    return [];
  }
}

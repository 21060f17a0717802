// The schema as the designer's tree shows it: one row per schema (the root, each property, an
// array's items, each anyOf option, each definition), in document order, with what its row
// says. Rows are keyed by their JSON Pointer, so a row that did not change keeps its key and its
// `sig`, and its rendering can be skipped.
import { isObject, type Json } from "./json";
import { DEF_CONTAINERS, getAt, pointerOf, type Path } from "./paths";
import { alsoOf, classify, definitionNames, problemsOf, typeSummary, type Info, type Role } from "./schemaInfo";

export const DEFS_KEY = "#definitions";

export interface Row {
  /** The JSON Pointer of the row's schema (DEFS_KEY for the definitions section). */
  key: string;
  path: Path;
  role: Role | "definitions";
  /** 0 for the root and the definitions section. */
  depth: number;
  label: string;
  type: string;
  /** Whether the parent object requires it; null for what is not a property. */
  required: boolean | null;
  nullable: boolean;
  also: string[];
  problems: string[];
  /** For definitions kept under `definitions` (before draft 2019-09). */
  legacy: boolean;
  hasChildren: boolean;
  expanded: boolean;
  parentKey: string | null;
  /** 1-based place among its siblings, and how many they are (aria-posinset, aria-setsize). */
  position: number;
  siblings: number;
  /** Everything the row shows, as one string: equal sigs render the same. */
  sig: string;
}

interface Child {
  path: Path;
  role: Role;
  label: string;
  required: boolean | null;
  legacy?: boolean;
}

function childrenOf(doc: Json, path: Path, info: Info): Child[] {
  const core = getAt(doc, info.core);
  if (!isObject(core)) return [];
  if (info.kind === "object") {
    const props = core.get("properties");
    if (!isObject(props)) return [];
    const req = core.get("required");
    const required = new Set(Array.isArray(req) ? req.filter((r): r is string => typeof r === "string") : []);
    return [...props.keys()].map((name) => ({ path: [...info.core, "properties", name], role: "property", label: name, required: required.has(name) }));
  }
  if (info.kind === "array" && isObject(core.get("items"))) return [{ path: [...info.core, "items"], role: "items", label: "items", required: null }];
  if (info.kind === "union") {
    const members = getAt(doc, [...path, "anyOf"]) as Json[];
    return members.map((_, i) => ({ path: [...path, "anyOf", String(i)], role: "member", label: `option ${i + 1}`, required: null }));
  }
  return [];
}

export function buildRows(doc: Json, collapsed: ReadonlySet<string>): Row[] {
  const rows: Row[] = [];
  const defs = definitionNames(doc);
  const visit = (c: Child, depth: number, parentKey: string | null, position: number, siblings: number) => {
    const info = classify(doc, c.path);
    const key = pointerOf(c.path);
    const kids = childrenOf(doc, c.path, info);
    const also = alsoOf(doc, c.path, c.role, info).map((a) => a.key);
    const problems = info.isObject ? problemsOf(doc, c.path, info, defs).map((p) => p.message) : [];
    const expanded = kids.length > 0 && !collapsed.has(key);
    const type = typeSummary(doc, c.path, info);
    const nullable = info.nullable !== null;
    const sig = [c.label, type, c.required, nullable, also.join(","), problems.join("|"), depth, kids.length > 0, expanded, position, siblings, c.legacy].join("\u0000");
    rows.push({ key, path: c.path, role: c.role, depth, label: c.label, type, required: c.required, nullable, also, problems, legacy: !!c.legacy, hasChildren: kids.length > 0, expanded, parentKey, position, siblings, sig });
    if (expanded) kids.forEach((k, i) => visit(k, depth + 1, key, i + 1, kids.length));
  };
  const defChildren: Child[] = [];
  for (const container of DEF_CONTAINERS) {
    const m = getAt(doc, [container]);
    if (isObject(m)) for (const name of m.keys()) defChildren.push({ path: [container, name], role: "definition", label: name, required: null, legacy: container === "definitions" });
  }
  const tops = defChildren.length ? 2 : 1;
  visit({ path: [], role: "root", label: "Schema", required: null }, 0, null, 1, tops);
  if (defChildren.length) {
    const expanded = !collapsed.has(DEFS_KEY);
    const sig = ["Definitions", defChildren.length, expanded].join("\u0000");
    rows.push({ key: DEFS_KEY, path: [], role: "definitions", depth: 0, label: "Definitions", type: `${defChildren.length} reusable`, required: null, nullable: false, also: [], problems: [], legacy: false, hasChildren: true, expanded, parentKey: null, position: 2, siblings: 2, sig });
    if (expanded) defChildren.forEach((d, i) => visit(d, 1, DEFS_KEY, i + 1, defChildren.length));
  }
  return rows;
}

/**
 * The row that shows `pointer` (a JSON Pointer into the schema, as the schema check gives its
 * findings' places): its own row, or else the nearest one above it (a keyword inside a field
 * shows as the field). Definitions' own container is the Definitions row.
 */
export function rowKeyFor(doc: Json, pointer: string): string {
  const keys = new Set(buildRows(doc, new Set()).map((r) => r.key));
  for (let p = pointer; p !== ""; p = p.slice(0, p.lastIndexOf("/"))) {
    if (keys.has(p)) return p;
    if (keys.has(DEFS_KEY) && DEF_CONTAINERS.some((c) => p === `/${c}`)) return DEFS_KEY;
  }
  return "";
}

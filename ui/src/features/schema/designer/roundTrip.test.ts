// Property tests: random schemas full of keywords the designer has no control for (x-…,
// if/then/else, $comment, patternProperties, titles, numeric keys, numbers written oddly) go
// through edits that change nothing, and through edits and their inverses, and come out as
// they went in, byte for byte once printed the designer's way.
import { describe, expect, it } from "vitest";
import { applyEdit, type Edit } from "./edits";
import { isObject, Num, parseJson, printJson, type Json, type JsonObject } from "./json";
import { getAt, type Path } from "./paths";
import { buildRows } from "./rows";
import { classify } from "./schemaInfo";

/** mulberry32: a small seeded generator, so a failure names the seed that makes it again. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  return { int, pick, chance };
}
type Rng = ReturnType<typeof rng>;

const UNKNOWN = ["x-foo", "x-ui", "$comment", "title", "const", "deprecated", "readOnly", "$id", "contentMediaType"];
const NUMBERS = ["0", "1.0", "-2.50", "1e3", "12345678901234567890", "7"];
const NAMES = ["a", "name", "2", "10", "with space", "ünï", "a/b", "x~y", "0"];

function unknownValue(r: Rng, depth: number): Json {
  switch (r.int(5)) {
    case 0:
      return new Num(r.pick(NUMBERS));
    case 1:
      return r.pick(["text", "", "multi\nline", "ß"]);
    case 2:
      return r.chance(0.5);
    case 3:
      return [new Num(r.pick(NUMBERS)), "x", null];
    default:
      return depth > 2 ? null : schemaOf(r, depth + 1, []);
  }
}

/** Sprinkles unknown keywords between the known ones. */
function withUnknown(r: Rng, entries: Array<[string, Json]>, depth: number): JsonObject {
  const out: Array<[string, Json]> = [];
  const used = new Set(entries.map(([k]) => k));
  const add = () => {
    const k = r.pick(UNKNOWN);
    if (!used.has(k)) {
      used.add(k);
      out.push([k, unknownValue(r, depth)]);
    }
  };
  for (const e of entries) {
    if (r.chance(0.25)) add();
    out.push(e);
  }
  if (r.chance(0.3)) add();
  if (depth < 2 && r.chance(0.15)) {
    out.push(["if", new Map([["properties", new Map([["a", new Map([["const", new Num("1")]])]])]])]);
    out.push(["then", new Map([["required", ["a"]]])]);
    out.push(["else", new Map([["$comment", "otherwise"]])]);
  }
  if (depth < 2 && r.chance(0.1)) out.push(["patternProperties", new Map([["^x-", new Map([["type", "string"]])]])]);
  return new Map(out);
}

function schemaOf(r: Rng, depth: number, defs: string[]): JsonObject {
  const kinds = depth > 3 ? ["string", "number", "integer", "boolean", "enum"] : ["string", "number", "integer", "boolean", "enum", "object", "array", "union", "nullableType", "nullableAnyOf", "ref"];
  const kind = r.pick(kinds);
  const desc: Array<[string, Json]> = r.chance(0.4) ? [["description", r.pick(["d", "A longer description.", "ünïcode"])]] : [];
  switch (kind) {
    case "string":
      return withUnknown(r, [...desc, ["type", "string"], ...(r.chance(0.3) ? [["format", r.pick(["email", "date"])] as [string, Json]] : []), ...(r.chance(0.3) ? [["maxLength", new Num(r.pick(["5", "10"]))] as [string, Json]] : [])], depth);
    case "number":
    case "integer":
      return withUnknown(r, [["type", kind], ...desc, ...(r.chance(0.5) ? [["minimum", new Num(r.pick(NUMBERS))] as [string, Json]] : [])], depth);
    case "boolean":
      return withUnknown(r, [["type", "boolean"], ...desc], depth);
    case "enum":
      return withUnknown(r, [["type", "string"], ["enum", ["a", "b", "c"].slice(0, 1 + r.int(3))], ...desc], depth);
    case "object": {
      const props: JsonObject = new Map();
      const n = r.int(4);
      for (let i = 0; i < n; i++) {
        const name = r.pick(NAMES);
        if (!props.has(name)) props.set(name, r.chance(0.1) ? true : schemaOf(r, depth + 1, defs));
      }
      const names = [...props.keys()];
      const req = names.filter(() => r.chance(0.5));
      return withUnknown(r, [["type", "object"], ...desc, ["properties", props], ...(req.length || r.chance(0.3) ? [["required", req] as [string, Json]] : []), ...(r.chance(0.3) ? [["additionalProperties", false] as [string, Json]] : [])], depth);
    }
    case "array":
      return withUnknown(r, [["type", "array"], ["items", schemaOf(r, depth + 1, defs)], ...desc, ...(r.chance(0.3) ? [["minItems", new Num("1")] as [string, Json]] : [])], depth);
    case "union":
      return withUnknown(r, [...desc, ["anyOf", [schemaOf(r, depth + 1, defs), schemaOf(r, depth + 1, defs), schemaOf(r, depth + 1, defs)]]], depth);
    case "nullableType":
      return withUnknown(r, [["type", r.chance(0.5) ? ["string", "null"] : ["null", "integer"]], ...desc], depth);
    case "nullableAnyOf":
      return withUnknown(r, [...desc, ["anyOf", r.chance(0.5) ? [schemaOf(r, depth + 2, defs), new Map([["type", "null"]])] : [new Map([["type", "null"]]), schemaOf(r, depth + 2, defs)]]], depth);
    default:
      return defs.length ? withUnknown(r, [["$ref", `#/$defs/${r.pick(defs)}`], ...desc], depth) : withUnknown(r, [["type", "string"]], depth);
  }
}

function randomSchema(seed: number): { text: string; r: Rng } {
  const r = rng(seed);
  const defNames = ["Address", "Item", "10"].slice(0, r.int(4));
  const root = schemaOf(r, 0, defNames);
  if (defNames.length) {
    const defs: JsonObject = new Map();
    for (const d of defNames) defs.set(d, schemaOf(r, 2, []));
    root.set("$defs", defs);
  }
  return { text: printJson(root), r };
}

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

function mustApply(text: string, e: Edit): string {
  const r = applyEdit(text, e);
  if (!r.ok) throw new Error(`${e.op} refused: ${r.message}`);
  return r.text;
}

/** Every keyword-holding object in the document, with its path. */
function objects(v: Json, path: Path = [], out: Array<[Path, JsonObject]> = []): Array<[Path, JsonObject]> {
  if (Array.isArray(v)) v.forEach((x, i) => objects(x, [...path, String(i)], out));
  else if (isObject(v)) {
    out.push([path, v]);
    for (const [k, x] of v) objects(x, [...path, k], out);
  }
  return out;
}

const parse = (text: string): Json => {
  const p = parseJson(text);
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
};

describe("round trips", () => {
  it("prints what it parsed, compact or indented", () => {
    for (const seed of SEEDS) {
      const { text } = randomSchema(seed);
      const compact = text.replace(/\n\s*/g, "");
      expect(printJson(parse(compact)), `seed ${seed}`).toBe(text);
    }
  });

  it("changes nothing with edits that set what is already there", () => {
    let checked = 0;
    for (const seed of SEEDS) {
      const { text, r } = randomSchema(seed);
      const rows = buildRows(parse(text), new Set()).filter((row) => row.role !== "definitions");
      const row = r.pick(rows);
      const doc = parse(text);
      const info = classify(doc, row.path);
      const noOps: Edit[] = [{ op: "move", path: row.path, by: -1 }];
      if (row.role === "property" || row.role === "definition") noOps.push({ op: "rename", path: row.path, name: row.label });
      if (row.required !== null) noOps.push({ op: "required", path: row.path, on: row.required });
      if (info.isObject) {
        const desc = getAt(doc, [...row.path, "description"]);
        noOps.push({ op: "set", path: row.path, key: "description", value: desc });
        noOps.push({ op: "type", path: row.path, kind: info.kind });
      }
      for (const e of noOps) {
        if (e.op === "move" && row.position !== 1) continue;
        const out = applyEdit(text, e);
        if (!out.ok) continue;
        expect(out.text, `seed ${seed}: ${e.op} at ${row.key}`).toBe(text);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(SEEDS.length);
  });

  it("comes back byte for byte after an edit and its inverse", () => {
    const counts: Record<string, number> = {};
    for (const seed of SEEDS) {
      const { text, r } = randomSchema(seed);
      const rows = buildRows(parse(text), new Set());
      const named = rows.filter((row) => row.role === "property" || row.role === "definition");
      for (const row of named.filter(() => r.chance(0.5)).slice(0, 3)) {
        // Rename, and rename back (a definition's refs follow both ways).
        const renamed = applyEdit(text, { op: "rename", path: row.path, name: `${row.label}~renamed` });
        if (!renamed.ok) throw new Error(renamed.message);
        expect(renamed.text).not.toBe(text);
        expect(mustApply(renamed.text, { op: "rename", path: renamed.select, name: row.label }), `seed ${seed}: rename ${row.key}`).toBe(text);
        counts.rename = (counts.rename ?? 0) + 1;
        // Duplicate, and delete the copy.
        const dup = applyEdit(text, { op: "duplicate", path: row.path });
        if (!dup.ok) throw new Error(dup.message);
        expect(mustApply(dup.text, { op: "delete", path: dup.select }), `seed ${seed}: duplicate ${row.key}`).toBe(text);
        counts.duplicate = (counts.duplicate ?? 0) + 1;
        // Down and up again.
        if (row.position < row.siblings) {
          const down = applyEdit(text, { op: "move", path: row.path, by: 1 });
          if (!down.ok) throw new Error(down.message);
          expect(mustApply(down.text, { op: "move", path: down.select, by: -1 }), `seed ${seed}: move ${row.key}`).toBe(text);
          counts.move = (counts.move ?? 0) + 1;
        }
        // Required on and off again, where the object has a required list to come back to.
        const owner = row.role === "property" ? getAt(parse(text), row.path.slice(0, -2)) : null;
        if (row.required === false && isObject(owner ?? null) && Array.isArray((owner as JsonObject).get("required"))) {
          const on = mustApply(text, { op: "required", path: row.path, on: true });
          expect(on).not.toBe(text);
          expect(mustApply(on, { op: "required", path: row.path, on: false }), `seed ${seed}: required ${row.key}`).toBe(text);
          counts.required = (counts.required ?? 0) + 1;
        }
      }
      // Nullable on and off (of a schema that is not nullable yet).
      const candidates = rows.filter((row) => row.role !== "definitions" && !row.nullable);
      const row = candidates.length ? r.pick(candidates) : null;
      if (row) {
        const on = applyEdit(text, { op: "nullable", path: row.path, on: true });
        if (on.ok) {
          expect(on.text).not.toBe(text);
          expect(mustApply(on.text, { op: "nullable", path: row.path, on: false }), `seed ${seed}: nullable ${row.key}`).toBe(text);
          counts.nullable = (counts.nullable ?? 0) + 1;
        }
      }
    }
    // The generator reaches every case many times.
    expect(counts).toEqual({ rename: expect.any(Number), duplicate: expect.any(Number), move: expect.any(Number), nullable: expect.any(Number), required: expect.any(Number) });
    for (const [k, n] of Object.entries(counts)) expect(n, k).toBeGreaterThan(20);
  });

  it("leaves keywords it has no control for in their place, in their order, through edits elsewhere", () => {
    for (const seed of SEEDS) {
      const { text, r } = randomSchema(seed);
      const before = parse(text);
      const rows = buildRows(before, new Set()).filter((row) => row.role !== "definitions");
      const row = r.pick(rows);
      const info = classify(before, row.path);
      const edits: Edit[] = [
        { op: "set", path: row.path, key: "description", value: "changed" },
        { op: "addProperty", path: row.path },
        ...(row.required !== null ? [{ op: "required", path: row.path, on: !row.required } as Edit] : []),
        ...(info.kind === "string" ? [{ op: "set", path: row.path, key: "pattern", value: "^a" } as Edit, { op: "type", path: row.path, kind: "integer" } as Edit] : []),
      ];
      for (const e of edits) {
        const out = applyEdit(text, e);
        if (!out.ok) continue;
        const after = parse(out.text);
        for (const [path, obj] of objects(before)) {
          const now = getAt(after, path);
          expect(isObject(now), `seed ${seed}: ${e.op} lost ${path.join("/")}`).toBe(true);
          const nowKeys = [...(now as JsonObject).keys()];
          for (const [k, v] of obj) {
            if (!UNKNOWN.includes(k) && !["if", "then", "else", "patternProperties"].includes(k)) continue;
            expect(printJson((now as JsonObject).get(k) ?? null), `seed ${seed}: ${e.op} changed ${path.join("/")}/${k}`).toBe(printJson(v));
          }
          // What was there is in the same order (new keys may come in between or last).
          const kept = [...obj.keys()].filter((k) => nowKeys.includes(k));
          expect(nowKeys.filter((k) => kept.includes(k)), `seed ${seed}: ${e.op} reordered ${path.join("/")}`).toEqual(kept);
        }
      }
    }
  });
});

import { describe, expect, it } from "vitest";
import type { Json } from "./json";
import { fromPlain } from "./testJson";
import { buildRows, DEFS_KEY, rowKeyFor } from "./rows";
import { alsoOf, classify, definitionNames, numberInput, problemsOf } from "./schemaInfo";

const doc = (v: unknown): Json => fromPlain(v);

const order = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Order",
  type: "object",
  properties: {
    id: { type: "string", format: "uuid" },
    note: { type: ["string", "null"], "x-ui": "textarea" },
    customer: { anyOf: [{ $ref: "#/$defs/Customer" }, { type: "null" }] },
    lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } }, required: ["sku"] } },
    total: { anyOf: [{ type: "number" }, { type: "string" }] },
    status: { enum: ["open", "paid"] },
  },
  required: ["id", "lines"],
  patternProperties: { "^x-": {} },
  $defs: { Customer: { type: "object", properties: { name: { type: "string" } } } },
  definitions: { Old: { type: "integer" } },
};

describe("buildRows", () => {
  it("lists every schema in document order with its depth, required and type", () => {
    const rows = buildRows(doc(order), new Set());
    expect(rows.map((r) => [r.key, r.depth, r.label, r.type, r.required])).toEqual([
      ["", 0, "Schema", "object", null],
      ["/properties/id", 1, "id", "string · uuid", true],
      ["/properties/note", 1, "note", "string", false],
      ["/properties/customer", 1, "customer", "→ Customer", false],
      ["/properties/lines", 1, "lines", "array of object", true],
      ["/properties/lines/items", 2, "items", "object", null],
      ["/properties/lines/items/properties/sku", 3, "sku", "string", true],
      ["/properties/total", 1, "total", "anyOf (2 options)", false],
      ["/properties/total/anyOf/0", 2, "option 1", "number", null],
      ["/properties/total/anyOf/1", 2, "option 2", "string", null],
      ["/properties/status", 1, "status", "enum: open, paid", false],
      [DEFS_KEY, 0, "Definitions", "2 reusable", null],
      ["/$defs/Customer", 1, "Customer", "object", null],
      ["/$defs/Customer/properties/name", 2, "name", "string", false],
      ["/definitions/Old", 1, "Old", "integer", null],
    ]);
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byKey["/properties/note"]!.nullable).toBe(true);
    expect(byKey["/properties/customer"]!.nullable).toBe(true);
    expect(byKey["/properties/note"]!.also).toEqual(["x-ui"]);
    expect(byKey[""]!.also).toEqual(["$schema", "patternProperties"]);
    expect(byKey["/definitions/Old"]!.legacy).toBe(true);
    expect([byKey["/properties/lines"]!.position, byKey["/properties/lines"]!.siblings]).toEqual([4, 6]);
    expect(byKey["/properties/total/anyOf/1"]!.parentKey).toBe("/properties/total");
  });

  it("leaves out the rows under a folded one", () => {
    const rows = buildRows(doc(order), new Set(["/properties/lines", DEFS_KEY]));
    expect(rows.map((r) => r.key)).not.toContain("/properties/lines/items");
    expect(rows.find((r) => r.key === "/properties/lines")!.expanded).toBe(false);
    expect(rows.at(-1)!.key).toBe(DEFS_KEY);
  });

  it("gives a row the same sig while it shows the same, another when it changes", () => {
    const a = buildRows(doc(order), new Set());
    const changed = structuredClone(order);
    changed.required = ["id"];
    const b = buildRows(doc(changed), new Set());
    const sig = (rows: typeof a, key: string) => rows.find((r) => r.key === key)!.sig;
    expect(sig(b, "/properties/id")).toBe(sig(a, "/properties/id"));
    expect(sig(b, "/properties/lines")).not.toBe(sig(a, "/properties/lines"));
  });
});

describe("classify", () => {
  it("reads both forms of nullable, and leaves other type lists and unions as they are", () => {
    expect(classify(doc({ type: ["null", "integer"] }), [])).toMatchObject({ kind: "integer", nullable: "type" });
    expect(classify(doc({ anyOf: [{ type: "null" }, { type: "string" }] }), [])).toMatchObject({ kind: "string", nullable: "anyOf", core: ["anyOf", "1"] });
    expect(classify(doc({ type: ["string", "number"] }), [])).toMatchObject({ kind: "other", nullable: null });
    expect(classify(doc({ anyOf: [{ type: "null" }, { type: "null" }] }), [])).toMatchObject({ kind: "union" });
    expect(classify(doc({ anyOf: [{ type: ["string", "null"] }, { type: "null" }] }), [])).toMatchObject({ kind: "union" });
    expect(classify(doc(true), [])).toMatchObject({ isObject: false });
  });

  it("reads an enum's values as text only when they are strings", () => {
    expect(classify(doc({ enum: ["a", "b"] }), []).enumStrings).toBe(true);
    expect(classify(doc({ enum: ["a", 1] }), []).enumStrings).toBe(false);
    expect(classify(doc({ type: "integer", enum: [1] }), []).enumStrings).toBe(false);
  });
});

describe("alsoOf", () => {
  it("lists what has no control: unknown keywords, and known ones of another kind or shape", () => {
    const s = doc({ type: "integer", minLength: 3, $comment: "c", if: {}, then: {}, else: {}, title: "T", items: [] });
    expect(alsoOf(s, [], "property", classify(s, [])).map((a) => a.key)).toEqual(["minLength", "$comment", "if", "then", "else", "title", "items"]);
    // The root edits its title; a field does not.
    expect(alsoOf(s, [], "root", classify(s, [])).map((a) => a.key)).not.toContain("title");
  });

  it("lists a nullable member's own unknown keywords as in the member", () => {
    const s = doc({ description: "d", "x-a": 1, anyOf: [{ type: "string", "x-b": 2 }, { type: "null" }] });
    expect(alsoOf(s, [], "property", classify(s, []))).toEqual([
      { key: "x-a", value: expect.anything(), inMember: false },
      { key: "x-b", value: expect.anything(), inMember: true },
    ]);
  });
});

describe("problemsOf", () => {
  const problems = (v: unknown) => {
    const d = doc(v);
    return problemsOf(d, [], classify(d, []), definitionNames(d)).map((p) => [p.key, p.message]);
  };

  it("finds ranges no value satisfies, beside the maximum", () => {
    expect(problems({ type: "integer", minimum: 5, maximum: 1 })).toEqual([["maximum", "maximum (1) is less than minimum (5): no value can satisfy both"]]);
    expect(problems({ type: "string", minLength: 2, maxLength: 2 })).toEqual([]);
    expect(problems({ type: "array", minItems: 1.5 })).toEqual([["minItems", "minItems must be a whole number, 0 or more"]]);
  });

  it("finds a pattern that is not a regular expression", () => {
    expect(problems({ type: "string", pattern: "^[a-z" })).toEqual([["pattern", expect.stringMatching(/^not a valid regular expression: .*[Uu]nterminated character class/)]]);
    expect(problems({ type: "string", pattern: "^[a-z]+$" })).toEqual([]);
  });

  it("finds a $ref to a definition that is not there", () => {
    expect(problems({ $ref: "#/$defs/Nope", $defs: { Yes: {} } })).toEqual([["$ref", 'there is no definition named "Nope" in $defs']]);
    expect(problems({ $ref: "#/$defs/Yes", $defs: { Yes: {} } })).toEqual([]);
    expect(problems({ $ref: "https://example.com/schema" })).toEqual([]);
  });

  it("finds an empty or repeating enum and required names that are not fields", () => {
    expect(problems({ enum: [] })).toEqual([["enum", "an enum needs at least one value"]]);
    expect(problems({ enum: ["a", "a"] })).toEqual([["enum", 'the value "a" is listed twice']]);
    expect(problems({ type: "object", properties: { a: {} }, required: ["a", "b"] })).toEqual([["required", 'required lists "b", which is not one of its fields']]);
  });
});

describe("numberInput", () => {
  it("takes JSON numbers as typed, counts as whole numbers, and nothing as no keyword", () => {
    expect(numberInput(" 2.50 ", false)).toEqual({ value: expect.objectContaining({ raw: "2.50" }) });
    expect(numberInput("", true)).toEqual({ value: undefined });
    expect(numberInput("1e2", true)).toEqual({ error: "write a whole number, 0 or more" });
    expect(numberInput("abc", false)).toEqual({ error: "write a number, like 0 or 2.5" });
    expect(numberInput("-1", true)).toEqual({ error: "write a whole number, 0 or more" });
  });
});

describe("rowKeyFor", () => {
  it("finds a place's own row, or the nearest one above it", () => {
    const d = doc(order);
    expect(rowKeyFor(d, "/properties/lines/items/properties/sku")).toBe("/properties/lines/items/properties/sku");
    // A keyword of a field, a place inside a field's anyOf that has no row: the field.
    expect(rowKeyFor(d, "/properties/id/format")).toBe("/properties/id");
    expect(rowKeyFor(d, "/properties/customer/anyOf/0")).toBe("/properties/customer");
    expect(rowKeyFor(d, "/$defs/Customer/properties/name")).toBe("/$defs/Customer/properties/name");
    expect(rowKeyFor(d, "/$defs")).toBe(DEFS_KEY);
    expect(rowKeyFor(d, "/patternProperties/^x-")).toBe("");
    expect(rowKeyFor(d, "")).toBe("");
  });

  it("reads escaped names (~1 is a slash in a name)", () => {
    const d = doc({ type: "object", properties: { "a/b": { type: "string", minLength: 1 } } });
    expect(rowKeyFor(d, "/properties/a~1b/minLength")).toBe("/properties/a~1b");
  });
});

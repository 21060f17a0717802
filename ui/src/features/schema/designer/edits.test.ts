import { describe, expect, it } from "vitest";
import { applyEdit, type Edit } from "./edits";
import { Num } from "./json";

const text = (v: unknown) => JSON.stringify(v, null, 2);

/** The edit applied to `before` (a plain value, printed as the designer prints); throws when refused. */
function edit(before: unknown, e: Edit): { text: string; select: readonly string[] } {
  const r = applyEdit(typeof before === "string" ? before : text(before), e);
  if (!r.ok) throw new Error(r.message);
  return r;
}
const after = (before: unknown, e: Edit) => JSON.parse(edit(before, e).text);
const refused = (before: unknown, e: Edit) => {
  const r = applyEdit(text(before), e);
  return r.ok ? null : r.message;
};

const person = {
  title: "Person",
  type: "object",
  "x-owner": "team",
  properties: {
    name: { type: "string", "x-ui": "wide" },
    age: { type: "integer", minimum: 0 },
    email: { type: "string", format: "email" },
  },
  required: ["name", "age"],
  if: { properties: { age: { minimum: 18 } } },
  then: { required: ["email"] },
};

describe("rename", () => {
  it("keeps the property in place and renames it in required", () => {
    const out = edit(person, { op: "rename", path: ["properties", "age"], name: "years" });
    expect(out.text).toBe(text({ ...person, properties: { name: person.properties.name, years: person.properties.age, email: person.properties.email }, required: ["name", "years"] }));
    expect(out.select).toEqual(["properties", "years"]);
  });

  it("refuses a name already taken, or none", () => {
    expect(refused(person, { op: "rename", path: ["properties", "age"], name: "email" })).toBe('"email" is already taken here');
    expect(refused(person, { op: "rename", path: ["properties", "age"], name: "" })).toBe("a name cannot be empty");
  });

  it("renames a definition and every $ref to it, refs into it too, and no other", () => {
    const s = {
      type: "object",
      properties: {
        home: { $ref: "#/$defs/Address" },
        street: { $ref: "#/$defs/Address/properties/street" },
        other: { $ref: "#/$defs/AddressBook" },
        legacy: { $ref: "#/definitions/Address" },
        list: { type: "array", items: { anyOf: [{ $ref: "#/$defs/Address" }, { type: "null" }] } },
      },
      $defs: { Address: { type: "object", properties: { street: { type: "string" } } }, AddressBook: { type: "array", items: { $ref: "#/$defs/Address" } } },
      definitions: { Address: { type: "string" } },
    };
    const out = after(s, { op: "rename", path: ["$defs", "Address"], name: "Postal address/v2" });
    const ref = "#/$defs/Postal%20address~1v2";
    expect(out.properties.home.$ref).toBe(ref);
    expect(out.properties.street.$ref).toBe(`${ref}/properties/street`);
    expect(out.properties.other.$ref).toBe("#/$defs/AddressBook");
    expect(out.properties.legacy.$ref).toBe("#/definitions/Address");
    expect(out.properties.list.items.anyOf[0].$ref).toBe(ref);
    expect(out.$defs.AddressBook.items.$ref).toBe(ref);
    expect(Object.keys(out.$defs)).toEqual(["Postal address/v2", "AddressBook"]);
  });

  it("renames a legacy definition's refs", () => {
    const out = after({ properties: { a: { $ref: "#/definitions/A" } }, definitions: { A: { type: "string" } } }, { op: "rename", path: ["definitions", "A"], name: "B" });
    expect(out.properties.a.$ref).toBe("#/definitions/B");
  });
});

describe("required", () => {
  it("adds to the end of required, and takes out again", () => {
    const on = after(person, { op: "required", path: ["properties", "email"], on: true });
    expect(on.required).toEqual(["name", "age", "email"]);
    const off = after(person, { op: "required", path: ["properties", "name"], on: false });
    expect(off.required).toEqual(["age"]);
  });

  it("makes a required list (last) when there is none, and keeps an emptied one in its place", () => {
    const s = { type: "object", properties: { a: { type: "string" } }, additionalProperties: false };
    const on = edit(s, { op: "required", path: ["properties", "a"], on: true }).text;
    expect(Object.keys(JSON.parse(on))).toEqual(["type", "properties", "additionalProperties", "required"]);
    const off = JSON.parse(edit(on, { op: "required", path: ["properties", "a"], on: false }).text);
    expect(off.required).toEqual([]);
    expect(Object.keys(off)).toEqual(["type", "properties", "additionalProperties", "required"]);
  });

  it("works inside a nullable object written as anyOf", () => {
    const s = { properties: { o: { description: "d", anyOf: [{ type: "null" }, { type: "object", properties: { x: { type: "string" } } }] } } };
    const out = after(s, { op: "required", path: ["properties", "o", "anyOf", "1", "properties", "x"], on: true });
    expect(out.properties.o.anyOf[1].required).toEqual(["x"]);
  });
});

describe("type", () => {
  it("replaces the type in place, drops the old type's constraints and values, keeps the rest", () => {
    const s = { description: "d", type: "string", "x-a": 1, minLength: 2, format: "email", default: "a@b.c", $comment: "c" };
    expect(edit(s, { op: "type", path: [], kind: "integer" }).text).toBe(text({ description: "d", type: "integer", "x-a": 1, $comment: "c" }));
  });

  it("keeps minimum, maximum and the default between number and integer", () => {
    const s = { type: "number", minimum: 1, maximum: 5, default: 2 };
    expect(after(s, { op: "type", path: [], kind: "integer" })).toEqual({ type: "integer", minimum: 1, maximum: 5, default: 2 });
  });

  it("adds what an object and an array need, last", () => {
    expect(edit({ type: "string", description: "d" }, { op: "type", path: [], kind: "object" }).text).toBe(text({ type: "object", description: "d", properties: {} }));
    expect(after({ type: "string" }, { op: "type", path: [], kind: "array" })).toEqual({ type: "array", items: { type: "string" } });
  });

  it("keeps the null of a nullable type list, in its order", () => {
    expect(after({ type: ["null", "string"], maxLength: 3 }, { op: "type", path: [], kind: "number" })).toEqual({ type: ["null", "number"] });
  });

  it("makes an enum of the string it was, and a string of the enum", () => {
    const e = after({ type: "string", description: "d" }, { op: "type", path: [], kind: "enum" });
    expect(e).toEqual({ type: "string", description: "d", enum: [] });
    expect(after({ type: ["string", "null"], enum: ["a", null] }, { op: "type", path: [], kind: "string" })).toEqual({ type: ["string", "null"] });
  });

  it("puts a $ref, an anyOf or nothing where the type was", () => {
    const s = { properties: { a: { description: "d", type: "string", "x-k": true } }, $defs: { Thing: { type: "object" } } };
    expect(edit(s, { op: "type", path: ["properties", "a"], kind: "ref" }).text).toBe(text({ ...s, properties: { a: { description: "d", $ref: "#/$defs/Thing", "x-k": true } } }));
    expect(after(s, { op: "type", path: ["properties", "a"], kind: "union" }).properties.a).toEqual({ description: "d", anyOf: [{ type: "string" }, { type: "number" }], "x-k": true });
    expect(after(s, { op: "type", path: ["properties", "a"], kind: "any" }).properties.a).toEqual({ description: "d", "x-k": true });
  });

  it("refuses a $ref when there is nothing to refer to", () => {
    expect(refused({ type: "string" }, { op: "type", path: [], kind: "ref" })).toMatch(/no definitions/);
  });

  it("changes the member of a nullable written as anyOf, keeping that form", () => {
    const s = { description: "d", anyOf: [{ type: "string", minLength: 1, "x-m": 1 }, { type: "null" }], default: "x" };
    expect(after(s, { op: "type", path: [], kind: "integer" })).toEqual({ description: "d", anyOf: [{ type: "integer", "x-m": 1 }, { type: "null" }] });
  });

  it("makes a nullable $ref from a nullable type list (a $ref has no type to add null to)", () => {
    const s = { type: ["string", "null"], description: "d", $defs: { A: { type: "string" } } };
    expect(after(s, { op: "type", path: [], kind: "ref" })).toEqual({ anyOf: [{ $ref: "#/$defs/A" }, { type: "null" }], description: "d", $defs: s.$defs });
  });

  it("gives a boolean schema a type", () => {
    expect(after({ properties: { a: true } }, { op: "type", path: ["properties", "a"], kind: "boolean" })).toEqual({ properties: { a: { type: "boolean" } } });
  });
});

describe("nullable", () => {
  it("adds null to the type list (and to an enum's values), and takes it out again", () => {
    const on = after({ type: "string", enum: ["a"] }, { op: "nullable", path: [], on: true });
    expect(on).toEqual({ type: ["string", "null"], enum: ["a", null] });
    expect(after(on, { op: "nullable", path: [], on: false })).toEqual({ type: "string", enum: ["a"] });
  });

  it("wraps a $ref in anyOf with null where the $ref was, and unwraps it", () => {
    const s = { description: "d", $ref: "#/$defs/A", "x-y": 1 };
    const on = edit(s, { op: "nullable", path: [], on: true }).text;
    expect(on).toBe(text({ description: "d", anyOf: [{ $ref: "#/$defs/A" }, { type: "null" }], "x-y": 1 }));
    expect(edit(on, { op: "nullable", path: [], on: false }).text).toBe(text(s));
  });

  it("unwraps an anyOf nullable in place, and refuses when both sides have the same keyword", () => {
    const s = { a: 1, anyOf: [{ type: "null" }, { type: "string", format: "date" }], b: 2 };
    expect(edit(s, { op: "nullable", path: [], on: false }).text).toBe(text({ a: 1, type: "string", format: "date", b: 2 }));
    expect(refused({ description: "x", anyOf: [{ type: "string", description: "y" }, { type: "null" }] }, { op: "nullable", path: [], on: false })).toMatch(/both the field and its non-null option have "description"/);
  });

  it("refuses for what allows null already or is several options", () => {
    expect(refused({}, { op: "nullable", path: [], on: true })).toMatch(/any type allows null/);
    expect(refused({ anyOf: [{ type: "string" }, { type: "number" }] }, { op: "nullable", path: [], on: true })).toMatch(/one more option/);
  });
});

describe("set", () => {
  it("replaces a keyword in place or adds it last; removes it when undefined", () => {
    const s = { type: "integer", minimum: 0, description: "n" };
    expect(edit(s, { op: "set", path: [], key: "minimum", value: new Num("1.5") }).text).toBe(text({ type: "integer", minimum: 1.5, description: "n" }));
    expect(Object.keys(after(s, { op: "set", path: [], key: "maximum", value: new Num("9") }))).toEqual(["type", "minimum", "description", "maximum"]);
    expect(after(s, { op: "set", path: [], key: "minimum", value: undefined })).toEqual({ type: "integer", description: "n" });
  });

  it("puts a constraint in a nullable's member, and the description on the field", () => {
    const s = { anyOf: [{ type: "string" }, { type: "null" }] };
    const a = after(s, { op: "set", path: [], key: "maxLength", value: new Num("3") });
    expect(a.anyOf[0]).toEqual({ type: "string", maxLength: 3 });
    const b = after(s, { op: "set", path: [], key: "description", value: "d" });
    expect(b).toEqual({ anyOf: [{ type: "string" }, { type: "null" }], description: "d" });
  });

  it("writes a number as it was typed", () => {
    expect(edit({ type: "number" }, { op: "set", path: [], key: "minimum", value: new Num("1.50") }).text).toContain('"minimum": 1.50');
  });
});

describe("enum", () => {
  it("sets the values, keeping a nullable enum's null where it was", () => {
    expect(after({ type: ["string", "null"], enum: [null, "a"] }, { op: "enum", path: [], values: ["x", "y"] }).enum).toEqual([null, "x", "y"]);
    expect(after({ type: "string", enum: [] }, { op: "enum", path: [], values: ["x", null] }).enum).toEqual(["x"]);
  });
});

describe("add", () => {
  it("adds a field at the end, named so it does not clash", () => {
    const out = edit(person, { op: "addProperty", path: [] });
    const v = JSON.parse(out.text);
    expect(Object.keys(v.properties)).toEqual(["name", "age", "email", "field"]);
    expect(v.properties.field).toEqual({ type: "string" });
    expect(out.select).toEqual(["properties", "field"]);
    const again = edit(out.text, { op: "addProperty", path: [] });
    expect(again.select).toEqual(["properties", "field_2"]);
  });

  it("adds a field to an array's object items and to a nullable object", () => {
    const s = { type: "array", items: { type: "object" }, $defs: {} };
    expect(edit(s, { op: "addProperty", path: ["items"] }).select).toEqual(["items", "properties", "field"]);
    const n = { anyOf: [{ type: "object", properties: {} }, { type: "null" }] };
    expect(edit(n, { op: "addProperty", path: [] }).select).toEqual(["anyOf", "0", "properties", "field"]);
  });

  it("refuses a field on what is not an object", () => {
    expect(refused({ type: "string" }, { op: "addProperty", path: [] })).toMatch(/only be added to an object/);
  });

  it("adds an option to an anyOf, items to an array, and a definition", () => {
    expect(edit({ anyOf: [{ type: "string" }, { type: "number" }] }, { op: "addMember", path: [] }).select).toEqual(["anyOf", "2"]);
    expect(after({ type: "array" }, { op: "addItems", path: [] })).toEqual({ type: "array", items: { type: "string" } });
    const d = edit({ type: "object", properties: {} }, { op: "addDefinition" });
    expect(JSON.parse(d.text).$defs).toEqual({ Definition: { type: "object", properties: {} } });
    expect(d.select).toEqual(["$defs", "Definition"]);
    // A schema keeping its definitions under the older name gets the new one there.
    expect(edit({ definitions: { A: {} } }, { op: "addDefinition" }).select).toEqual(["definitions", "Definition"]);
  });

  it("starts an empty text as an object schema", () => {
    expect(edit("", { op: "start" }).text).toBe(text({ type: "object", properties: {} }));
    expect(applyEdit("{}", { op: "start" }).ok).toBe(false);
  });
});

describe("move, duplicate, delete", () => {
  it("moves a field among its siblings, and not past the ends", () => {
    expect(Object.keys(after(person, { op: "move", path: ["properties", "email"], by: -1 }).properties)).toEqual(["name", "email", "age"]);
    expect(Object.keys(after(person, { op: "move", path: ["properties", "name"], by: -1 }).properties)).toEqual(["name", "age", "email"]);
  });

  it("moves an option, the selection following it", () => {
    const out = edit({ anyOf: [{ type: "string" }, { type: "number" }] }, { op: "move", path: ["anyOf", "0"], by: 1 });
    expect(JSON.parse(out.text).anyOf).toEqual([{ type: "number" }, { type: "string" }]);
    expect(out.select).toEqual(["anyOf", "1"]);
  });

  it("duplicates a field after itself, required too", () => {
    const out = edit(person, { op: "duplicate", path: ["properties", "name"] });
    const v = JSON.parse(out.text);
    expect(Object.keys(v.properties)).toEqual(["name", "name_copy", "age", "email"]);
    expect(v.properties.name_copy).toEqual(person.properties.name);
    expect(v.required).toEqual(["name", "name_copy", "age"]);
    expect(out.select).toEqual(["properties", "name_copy"]);
  });

  it("deletes a field and its required entry, selecting the next one", () => {
    const out = edit(person, { op: "delete", path: ["properties", "age"] });
    const v = JSON.parse(out.text);
    expect(Object.keys(v.properties)).toEqual(["name", "email"]);
    expect(v.required).toEqual(["name"]);
    expect(out.select).toEqual(["properties", "email"]);
    expect(edit(person, { op: "delete", path: ["properties", "email"] }).select).toEqual(["properties", "age"]);
  });

  it("selects the parent after deleting an only child (the nullable field itself for an anyOf member's)", () => {
    const s = { properties: { o: { anyOf: [{ type: "object", properties: { x: { type: "string" } } }, { type: "null" }] } } };
    expect(edit(s, { op: "delete", path: ["properties", "o", "anyOf", "0", "properties", "x"] }).select).toEqual(["properties", "o"]);
  });

  it("refuses to delete, move or duplicate the root", () => {
    expect(refused(person, { op: "delete", path: [] })).toMatch(/root/);
    expect(refused(person, { op: "move", path: [], by: 1 })).toBeTruthy();
    expect(refused(person, { op: "duplicate", path: [] })).toBeTruthy();
  });
});

describe("applyEdit", () => {
  it("refuses a text that does not parse, changing nothing", () => {
    expect(applyEdit('{"type": ', { op: "addProperty", path: [] })).toEqual({ ok: false, message: "the JSON does not parse; fix it first" });
  });

  it("keeps a final line break", () => {
    expect(edit(`${text(person)}\n`, { op: "required", path: ["properties", "email"], on: true }).text.endsWith("}\n")).toBe(true);
  });
});

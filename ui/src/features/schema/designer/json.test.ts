import { describe, expect, it } from "vitest";
import { parseJson, printCompact, printJson, type Json } from "./json";
import { fromPlain, toPlain } from "./testJson";

const parse = (text: string): Json => {
  const r = parseJson(text);
  if (!r.ok) throw new Error(`${r.error.message} at ${r.error.line}:${r.error.column}`);
  return r.value;
};

describe("parseJson", () => {
  it("reads what JSON.parse reads", () => {
    const text = '{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9\\"y"], "b": {}, "c": [], "d": {"e": 0}}';
    expect(toPlain(parse(text))).toEqual(JSON.parse(text));
  });

  it("keeps keys in their written order, numeric ones too (JSON.parse moves those first)", () => {
    const v = parse('{"b": 1, "10": 2, "a": 3, "2": 4}');
    expect([...(v as Map<string, Json>).keys()]).toEqual(["b", "10", "a", "2"]);
    expect(Object.keys(JSON.parse('{"b": 1, "10": 2, "a": 3, "2": 4}'))).toEqual(["2", "10", "b", "a"]);
  });

  it("keeps numbers as they were written", () => {
    expect(printJson(parse("[1.0, 12345678901234567890, 1E5, -0]"))).toBe("[\n  1.0,\n  12345678901234567890,\n  1E5,\n  -0\n]");
  });

  it.each([
    ['{"a": 1,}', 1, 9, "expected a property name in double quotes"],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}' after a property value"],
    ["[1, 2", 1, 1, "an array is not closed"],
    ['{"a": "x', 1, 7, "a string is not closed"],
    ["01", 1, 2, "expected the end of the text after the value"],
    ["", 1, 1, "expected a value, found the end of the text"],
    ['{"a": tru}', 1, 7, "expected a value"],
    ['"a\tb"', 1, 3, "control character"],
    ['"\\x"', 1, 1, "invalid escape"],
  ])("says where %j goes wrong", (text, line, column, message) => {
    const r = parseJson(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(message);
    expect([r.error.line, r.error.column]).toEqual([line, column]);
  });

  it("refuses a key written twice in one object, at the second", () => {
    const r = parseJson('{\n  "a": 1,\n  "a": 2\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ line: 3, column: 3, message: 'the key "a" appears twice in the same object' });
    expect(parseJson('{"a": {"a": 1}}').ok).toBe(true);
  });
});

describe("printJson", () => {
  it("prints what JSON.stringify(value, null, 2) prints", () => {
    const plain = { title: "T", n: [1, 2.5, { x: null, y: [], z: {} }], s: 'q"\\\u2028é', t: true };
    expect(printJson(fromPlain(plain))).toBe(JSON.stringify(plain, null, 2));
  });

  it("prints one-line values for the inputs", () => {
    expect(printCompact(fromPlain({ a: [1, "b"], c: null }))).toBe('{"a": [1, "b"], "c": null}');
  });
});

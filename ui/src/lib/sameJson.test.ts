import { describe, expect, it } from "vitest";
import { sameJson } from "./sameJson";

describe("sameJson", () => {
  it("compares values, not references", () => {
    expect(sameJson({ a: [1, { b: "x" }], c: null }, { a: [1, { b: "x" }], c: null })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson([], {})).toBe(false);
    expect(sameJson(null, {})).toBe(false);
    expect(sameJson("1", 1)).toBe(false);
  });

  it("ignores key order and keys set to undefined (absent in JSON)", () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, mode: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: undefined }, { b: undefined })).toBe(true);
    expect(sameJson({ a: undefined, b: 1 }, { c: 1, b: 1 })).toBe(false);
  });
});

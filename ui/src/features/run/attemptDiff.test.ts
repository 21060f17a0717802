import { describe, expect, it } from "vitest";
import { diffAnswers } from "./attemptDiff";

describe("attempt answer diff", () => {
  it("lists changed, added and removed fields with their values", () => {
    const d = diffAnswers({ name: "Ada", age: 412, address: { country: "Norway" } }, { name: "Ada", age: 36, email: null, address: { country: "NO" } });
    expect(d).toContainEqual({ path: "/age", kind: "changed", before: 412, after: 36 });
    expect(d).toContainEqual({ path: "/address/country", kind: "changed", before: "Norway", after: "NO" });
    expect(d).toContainEqual({ path: "/email", kind: "added", before: null, after: null });
    expect(d.length).toBe(3);
  });
  it("says nothing for equal answers and compares text whole", () => {
    expect(diffAnswers({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
    expect(diffAnswers("not json", { a: 1 })).toEqual([{ path: "", kind: "changed", before: "not json", after: { a: 1 } }]);
  });
});

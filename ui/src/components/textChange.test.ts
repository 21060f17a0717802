import { describe, expect, it } from "vitest";
import { textChange } from "./textChange";

const apply = (before: string, after: string) => {
  const c = textChange(before, after);
  return c ? before.slice(0, c.from) + c.insert + before.slice(c.to) : before;
};

describe("textChange", () => {
  it("is nothing for the same text", () => {
    expect(textChange("abc", "abc")).toBeNull();
  });

  it("is the span that differs", () => {
    expect(textChange('{"a": "Marker:ab"}', '{"a": "Marker:abc"}')).toEqual({ from: 16, to: 16, insert: "c" });
    expect(textChange("hello world", "hello")).toEqual({ from: 5, to: 11, insert: "" });
    expect(textChange("", "new")).toEqual({ from: 0, to: 0, insert: "new" });
    expect(textChange("old", "")).toEqual({ from: 0, to: 3, insert: "" });
  });

  it("does not let the common start and end overlap (a repeated letter)", () => {
    expect(textChange("aa", "aaa")).toEqual({ from: 2, to: 2, insert: "a" });
    expect(apply("abab", "ab")).toBe("ab");
    expect(apply("xaaax", "xaax")).toBe("xaax");
  });

  it("never splits a character made of two code units", () => {
    // 😀 is \uD83D\uDE00 and 😁 is \uD83D\uDE01: they share their first half.
    const c = textChange("a😀b", "a😁b")!;
    expect(c).toEqual({ from: 1, to: 3, insert: "😁" });
    // They share no second half either way round: 🙂 is \uD83D\uDE42, 🥲 is \uD83E\uDD72.
    const d = textChange("x\uD83D\uDE42", "x\uD83E\uDE42")!;
    expect(d).toEqual({ from: 1, to: 3, insert: "\uD83E\uDE42" });
  });

  it("always turns before into after", () => {
    const texts = ["", "a", "ab", "abc", "aXc", "😀", "a😀", "😀😀", "abcabc", "x\ny\n", "x\nyy\n"];
    for (const a of texts) for (const b of texts) expect(apply(a, b)).toBe(b);
  });
});

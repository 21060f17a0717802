import { describe, expect, it } from "vitest";
import { codeSpans } from "./codeSpans";

describe("codeSpans", () => {
  it("shows `code` in backquotes as code", () => {
    expect(codeSpans("Move `minimum` into the description")).toEqual([
      { code: false, text: "Move " },
      { code: true, text: "minimum" },
      { code: false, text: " into the description" },
    ]);
    expect(codeSpans("`#` refers back")).toEqual([
      { code: true, text: "#" },
      { code: false, text: " refers back" },
    ]);
    expect(codeSpans("a lone ` stays")).toEqual([{ code: false, text: "a lone ` stays" }]);
  });
});

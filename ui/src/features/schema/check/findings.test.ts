import { describe, expect, it } from "vitest";
import type { Finding } from "../../../api/types";
import { bySeverity, countSummary, countWords, placeLabel, sourceLink, worst } from "./findings";

const finding = (severity: Finding["severity"], at = "/properties/age"): Finding => ({
  rule: "anthropic.numeric_constraint",
  severity,
  at,
  message: "`minimum` is a numeric constraint",
  provider_rule: "numerical constraints are not supported",
  source: "https://platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations",
});

describe("the schema check's findings", () => {
  it("count what there is to act on in words, errors first (notes are not counted)", () => {
    expect(countSummary([finding("warning"), finding("error"), finding("error"), finding("info")])).toBe("2 errors, 1 warning");
    expect(countSummary([finding("warning")])).toBe("1 warning");
    expect(countSummary([finding("info"), finding("info")])).toBe("");
    expect(countSummary([])).toBe("");
    expect(countWords("info", 2)).toBe("2 notes");
  });

  it("are grouped by severity, the worst first, empty groups left out", () => {
    const groups = bySeverity([finding("info", "a"), finding("error", "b"), finding("info", "c")]);
    expect(groups.map(([s, fs]) => [s, fs.map((f) => f.at)])).toEqual([
      ["error", ["b"]],
      ["info", ["a", "c"]],
    ]);
    expect(worst([finding("info"), finding("warning")])).toBe("warning");
    expect(worst([finding("info")])).toBeNull();
    expect(worst([])).toBeNull();
  });

  it("name the root in words", () => {
    expect(placeLabel("")).toBe("the root");
    expect(placeLabel("/properties/a~1b")).toBe("/properties/a~1b");
  });

  it("link only web addresses", () => {
    expect(sourceLink(finding("error").source)).toEqual({
      href: "https://platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations",
      text: "platform.claude.com/docs/en/build-with-claude/structured-outputs",
    });
    expect(sourceLink("https://ai.google.dev/")).toEqual({ href: "https://ai.google.dev/", text: "ai.google.dev" });
    expect(sourceLink("quarry modes")).toBeNull();
    expect(sourceLink("javascript:alert(1)")).toBeNull();
    expect(sourceLink("file:///etc/passwd")).toBeNull();
  });

});

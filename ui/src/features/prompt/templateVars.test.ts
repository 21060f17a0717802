import { describe, expect, it } from "vitest";
import { templateVariables } from "./templateVars";

describe("template variables", () => {
  it("lists the names templates read, not those they define", () => {
    const system = "You extract {{ kind | lower }} records.";
    const user = "{% for x in items %}{{ x.title }} {{ loop.index }}{% endfor %}{% if user.age > 3 and not flag %}{% set y = z %}{{ y }}{% endif %}{{ kind }}";
    expect(templateVariables([system, user])).toEqual(["kind", "items", "user", "flag", "z"]);
  });
  it("reads templates over any text, HTML-looking or not", () => {
    const text = 'if a < b && c > "d" <div class="x">{{ doc }}</div> {# {{ hidden }} #} {% raw %}{{ literal }}{% endraw %}';
    expect(templateVariables([text])).toEqual(["doc"]);
  });
  it("ignores plain text", () => {
    expect(templateVariables(["no templates here", ""])).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { cutLongStrings } from "./longStrings";

describe("cutLongStrings", () => {
  it("leaves text whose strings are short as it is", () => {
    const text = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }, null, 2);
    expect(cutLongStrings(text, 20)).toEqual({ text, cut: 0, omitted: 0 });
  });

  it("cuts a long string to its first characters and says how many were left out, keeping JSON", () => {
    const url = `data:application/pdf;base64,${"A".repeat(5000)}`;
    const r = cutLongStrings(JSON.stringify({ url, name: "invoice.pdf" }, null, 2), 2000);
    const left = url.length - 2000;
    expect(r.cut).toBe(1);
    expect(r.omitted).toBe(left);
    expect(JSON.parse(r.text)).toEqual({ url: `${url.slice(0, 2000)}… (${left.toLocaleString("en-US")} more characters)`, name: "invoice.pdf" });
  });

  it("counts every long string, keys and values alike", () => {
    const r = cutLongStrings(JSON.stringify({ ["k".repeat(30)]: "v".repeat(12), short: "x".repeat(10) }), 10);
    expect(r.cut).toBe(2);
    expect(r.omitted).toBe(20 + 2);
    expect(JSON.parse(r.text)).toEqual({ [`${"k".repeat(10)}… (20 more characters)`]: `${"v".repeat(10)}… (2 more characters)`, short: "x".repeat(10) });
  });

  it("reads escaped quotes and backslashes as part of the string", () => {
    const value = `say \\"${"a".repeat(20)}\\" \\\\`;
    const r = cutLongStrings(JSON.stringify({ q: value, after: "b" }), 8);
    expect(r.cut).toBe(1);
    expect(JSON.parse(r.text).after).toBe("b");
  });

  it("never splits an escape or a surrogate pair, so the cut string is still valid JSON", () => {
    for (const value of ["ab\n" + "c".repeat(20), "abé" + "c".repeat(20), "ab😀" + "c".repeat(20), "a\\" + "c".repeat(20)]) {
      for (const json of [JSON.stringify(value), JSON.stringify(value).replace("é", "\\u00e9")]) {
        for (let max = 1; max < 10; max++) {
          const r = cutLongStrings(json, max);
          const back = JSON.parse(r.text) as string;
          expect(back.endsWith("more characters)")).toBe(true);
          expect(back.length).toBeLessThan(value.length + 30);
        }
      }
    }
  });

  it("finds the JSON inside a curl command, its single quotes escaped for the shell", () => {
    const body = JSON.stringify({ text: `it's ${"x".repeat(80)}` });
    const curl = `curl 'http://h/v1/chat/completions' \\\n  -H "authorization: Bearer $OPENAI_API_KEY" \\\n  --data-binary '${body.replace(/'/g, "'\\''")}'`;
    const r = cutLongStrings(curl, 40);
    expect(r.cut).toBe(1);
    expect(r.text).toContain('-H "authorization: Bearer $OPENAI_API_KEY"');
    expect(r.text).toContain(`--data-binary '{"text":"it'\\''s ${"x".repeat(32)}… (`);
    expect(r.text.endsWith(`more characters)"}'`)).toBe(true);
  });

  it("leaves an unterminated string alone", () => {
    const text = `{"a": "${"z".repeat(50)}`;
    expect(cutLongStrings(text, 10)).toEqual({ text, cut: 0, omitted: 0 });
  });
});

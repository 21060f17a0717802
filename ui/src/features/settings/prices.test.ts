import { describe, expect, it } from "vitest";
import { emptyRow, toPrices, toRow } from "./prices";

const row = (fields: Partial<ReturnType<typeof emptyRow>>) => ({ ...emptyRow(), ...fields });

describe("price rows", () => {
  it("round-trip a saved price, cached input left out when absent", () => {
    const saved = { provider: "groq", model: "llama*", input: 0.05, output: 0.08 };
    expect(toPrices([toRow(saved)])).toEqual({ prices: [saved] });
    const cached = { ...saved, cached_input: 0.01 };
    expect(toPrices([toRow(cached)])).toEqual({ prices: [cached] });
  });

  it("trim names and read amounts as typed", () => {
    expect(toPrices([row({ provider: " openai ", model: " gpt-x ", input: " 1.5 ", output: "0", cached: "" })])).toEqual({
      prices: [{ provider: "openai", model: "gpt-x", input: 1.5, output: 0 }],
    });
  });

  it("name the row and the field that is wrong", () => {
    const good = row({ provider: "a", model: "m", input: "1", output: "1" });
    expect(toPrices([good, row({ provider: "a", input: "1", output: "1" })])).toEqual({ problem: expect.stringContaining("Row 2: give a provider and a model") });
    expect(toPrices([row({ provider: "a", model: "m", input: "-1", output: "1" })])).toEqual({ problem: expect.stringContaining("Row 1: the input price “-1”") });
    expect(toPrices([row({ provider: "a", model: "m", input: "1", output: "" })])).toEqual({ problem: expect.stringContaining("the output price “”") });
    expect(toPrices([row({ provider: "a", model: "m", input: "1", output: "1", cached: "abc" })])).toEqual({ problem: expect.stringContaining("the cached input price “abc”") });
    expect(toPrices([row({ provider: "a", model: "m", input: "Infinity", output: "1" })])).toEqual({ problem: expect.stringContaining("input price") });
  });
});

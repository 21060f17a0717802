import { describe, expect, it } from "vitest";
import { Latest, type Outcome } from "./latest";

/** A backend whose calls the test answers by hand, in any order. */
function backend() {
  const calls: Array<{ input: string; answer: (v: string) => void; fail: (e: unknown) => void }> = [];
  const call = (input: string) => new Promise<string>((answer, fail) => calls.push({ input, answer, fail }));
  return { calls, call };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const b = backend();
  const seen: Array<[Outcome<string, string>, boolean]> = [];
  const latest = new Latest<string, string>(b.call, (o, more) => seen.push([o, more]), (x, y) => x === y);
  return { ...b, seen, latest };
}

describe("Latest", () => {
  it("asks at once when nothing is in flight", async () => {
    const { calls, seen, latest } = setup();
    expect(latest.push("a")).toBe(true);
    expect(calls.map((c) => c.input)).toEqual(["a"]);
    calls[0]!.answer("A");
    await tick();
    expect(seen).toEqual([[{ input: "a", ok: true, value: "A" }, false]]);
  });

  it("keeps one call in flight and asks about only the newest change after it", async () => {
    const { calls, seen, latest } = setup();
    latest.push("a");
    latest.push("ab");
    latest.push("abc");
    expect(calls.map((c) => c.input)).toEqual(["a"]);
    calls[0]!.answer("A");
    await tick();
    // The stale answer is shown (it is newer than what was), saying more is coming.
    expect(seen).toEqual([[{ input: "a", ok: true, value: "A" }, true]]);
    expect(calls.map((c) => c.input)).toEqual(["a", "abc"]);
    calls[1]!.answer("ABC");
    await tick();
    expect(seen.at(-1)).toEqual([{ input: "abc", ok: true, value: "ABC" }, false]);
    expect(calls).toHaveLength(2);
  });

  it("does not ask again about the input last pushed", () => {
    const { calls, latest } = setup();
    latest.push("a");
    expect(latest.push("a")).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it("delivers a failure as a CommandError", async () => {
    const { calls, seen, latest } = setup();
    latest.push("a");
    calls[0]!.fail(new Error("boom"));
    await tick();
    const [outcome] = seen[0]!;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toMatchObject({ code: "internal", message: "boom" });
  });

  it("drops the answer to a call made before clear(), and asks about what came after", async () => {
    const { calls, seen, latest } = setup();
    latest.push("a");
    latest.clear();
    latest.push("a");
    calls[0]!.answer("A");
    await tick();
    expect(seen).toEqual([]);
    expect(calls.map((c) => c.input)).toEqual(["a", "a"]);
    calls[1]!.answer("A2");
    await tick();
    expect(seen).toEqual([[{ input: "a", ok: true, value: "A2" }, false]]);
  });

  it("delivers nothing after stop()", async () => {
    const { calls, seen, latest } = setup();
    latest.push("a");
    latest.stop();
    expect(latest.push("b")).toBe(false);
    calls[0]!.answer("A");
    await tick();
    expect(seen).toEqual([]);
    expect(calls).toHaveLength(1);
  });
});

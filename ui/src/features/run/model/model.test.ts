import { describe, expect, it } from "vitest";
import type { Change, EventRecord } from "../../../api/types";
import { expectedFields } from "./fields";
import { ALL, filterEvents, summarize } from "./hookLog";
import { visibleRows, type RowCache } from "./rows";
import { answerText, RunModel } from "./run";
import { FrameBatcher } from "./scheduler";
import { Tree } from "./tree";

const person = {
  type: "object",
  properties: {
    name: { type: "string" },
    age: { type: ["integer", "null"] },
    address: { anyOf: [{ $ref: "#/$defs/Address" }, { type: "null" }] },
    tags: { type: "array", items: { type: "object", properties: { x: {} } } },
  },
  $defs: { Address: { type: "object", properties: { city: { type: "string" }, "a/b": {} } } },
};

describe("expected fields (ResponseSchema::field_pointers)", () => {
  it("follows refs and nullable objects, not array items", () => {
    expect(expectedFields(person)).toEqual(["/name", "/age", "/address", "/address/city", "/address/a~1b", "/tags"]);
  });
  it("walks a recursive definition once", () => {
    const tree = {
      type: "object",
      properties: { root: { $ref: "#/$defs/Node" } },
      $defs: { Node: { type: "object", properties: { name: {}, parent: { anyOf: [{ $ref: "#/$defs/Node" }, { type: "null" }] } } } },
    };
    expect(expectedFields(tree)).toEqual(["/root", "/root/name", "/root/parent"]);
  });
  it("wraps lists and scalars as the engine does", () => {
    expect(expectedFields({ type: "array", items: { type: "string" } })).toEqual(["/tasks"]);
    expect(expectedFields({ type: "string" })).toEqual(["/content"]);
    expect(expectedFields("nope")).toEqual([]);
  });
});

// The README's example stream (quarry extract --stream partial), change for change.
const stream: Change[] = [
  { op: "set", path: "", value: {}, complete: false },
  { op: "set", path: "/name", value: "", complete: false },
  { op: "append", path: "/name", text: "Dr. Ma" },
  { op: "append", path: "/name", text: "rgarethe" },
  { op: "complete", path: "/name" },
  { op: "valid", path: "/name" },
  { op: "set", path: "/age", value: 412, complete: true },
  { op: "invalid", path: "/age", issues: [{ path: "/age", message: "412 is greater than the maximum of 150" }] },
  { op: "set", path: "/tags", value: [], complete: false },
  { op: "set", path: "/tags/0", value: {}, complete: false },
  { op: "set", path: "/tags/0/x", value: true, complete: true },
  { op: "valid", path: "/tags/0/x" },
  { op: "complete", path: "/tags/0" },
];

describe("tree (Snapshot + FieldStates)", () => {
  it("builds the object and the states change by change", () => {
    const t = new Tree(expectedFields(person));
    expect(t.states.get("/name")).toBe("pending");
    expect(t.counts.pending).toBe(6);
    for (const c of stream.slice(0, 3)) expect(t.apply(c)).toBe(true);
    expect(t.value()).toEqual({ name: "Dr. Ma" });
    expect(t.states.get("/name")).toBe("streaming");
    for (const c of stream.slice(3)) expect(t.apply(c)).toBe(true);
    expect(t.value()).toEqual({ name: "Dr. Margarethe", age: 412, tags: [{ x: true }] });
    expect(t.states.get("/name")).toBe("valid");
    expect(t.states.get("/age")).toBe("invalid");
    expect(t.issues.get("/age")?.[0]?.message).toMatch(/maximum of 150/);
    expect(t.states.get("/tags/0")).toBe("complete");
    expect(t.states.get("/address")).toBe("pending");
    expect(t.counts).toEqual({ pending: 3, streaming: 2, complete: 1, valid: 2, invalid: 1 });
  });

  it("keeps a verdict when the field's own complete comes after it", () => {
    const t = new Tree();
    t.apply({ op: "set", path: "", value: {}, complete: false });
    t.apply({ op: "set", path: "/a", value: 1, complete: true });
    t.apply({ op: "valid", path: "/a" });
    t.apply({ op: "complete", path: "/a" });
    expect(t.states.get("/a")).toBe("valid");
  });

  it("replaces values and array items, refuses what does not fit", () => {
    const t = new Tree();
    t.apply({ op: "set", path: "", value: { list: [1, 2] }, complete: true });
    expect(t.apply({ op: "set", path: "/list/1", value: 5, complete: true })).toBe(true);
    expect(t.apply({ op: "set", path: "/list/2", value: { k: "v" }, complete: true })).toBe(true);
    expect(t.apply({ op: "set", path: "/list/9", value: 0, complete: true })).toBe(false);
    expect(t.apply({ op: "append", path: "/list/0", text: "x" })).toBe(false);
    expect(t.apply({ op: "set", path: "/missing/x", value: 0, complete: true })).toBe(false);
    expect(t.value()).toEqual({ list: [1, 5, { k: "v" }] });
    expect(t.nodes.has("/list/2/k")).toBe(true);
    t.apply({ op: "set", path: "/list", value: [], complete: false });
    expect(t.nodes.has("/list/2/k")).toBe(false);
    expect(t.misfits).toBe(3);
  });

  it("lists rows with pending fields and issues, and hides closed ones", () => {
    const t = new Tree(expectedFields(person));
    const before = visibleRows(t, new Set());
    expect(before.map((r) => (r.type === "pending" ? r.path : "?"))).toEqual(["/name", "/age", "/address", "/address/city", "/address/a~1b", "/tags"]);
    stream.forEach((c) => t.apply(c));
    const rows = visibleRows(t, new Set());
    const lines = rows.map((r) =>
      r.type === "node" ? `${"  ".repeat(r.depth)}${r.node.key}=${r.state}` : r.type === "pending" ? `${"  ".repeat(r.depth)}${r.key}?` : `${"  ".repeat(r.depth)}! ${r.issue.message}`,
    );
    expect(lines).toEqual([
      "=streaming",
      "  name=valid",
      "  age=invalid",
      "    ! 412 is greater than the maximum of 150",
      "  tags=streaming",
      "    0=complete",
      "      x=valid",
      "  address?",
      "    city?",
      "    a/b?",
    ]);
    expect(visibleRows(t, new Set(["/tags", "/address"])).length).toBe(6);
  });

  it("gives the same rows from its cache as from a full walk, after every change", () => {
    const lines = (rows: ReturnType<typeof visibleRows>) =>
      rows.map((r) => (r.type === "node" ? `${r.depth}:${r.node.path}=${r.state}:${r.open}` : r.type === "pending" ? `${r.depth}:${r.path}?` : `${r.depth}:!${r.issue.message}`));
    for (const collapsed of [new Set<string>(), new Set(["/tags", "/address"]), new Set(["/tags/0"])]) {
      const t = new Tree(expectedFields(person));
      const cache: RowCache = new WeakMap();
      // The person stream, then records added and revised the way a long stream does.
      const more: Change[] = [
        { op: "set", path: "/tags/1", value: { x: 1 }, complete: false },
        { op: "set", path: "/tags/1/x", value: 2, complete: true },
        { op: "invalid", path: "/tags/1/x", issues: [{ path: "/tags/1/x", message: "too big" }] },
        { op: "set", path: "/tags/0", value: { x: 5 }, complete: true },
        { op: "valid", path: "/tags" },
      ];
      for (const c of [...stream, ...more]) {
        t.apply(c);
        expect(lines(visibleRows(t, collapsed, cache))).toEqual(lines(visibleRows(t, collapsed)));
      }
      const again = visibleRows(t, collapsed, cache);
      expect(visibleRows(t, collapsed, cache)[0]).toBe(again[0]);
    }
  });

  it("applies 5,000 records of changes in linear time", () => {
    const t = new Tree();
    t.apply({ op: "set", path: "", value: {}, complete: false });
    t.apply({ op: "set", path: "/items", value: [], complete: false });
    const start = performance.now();
    for (let i = 0; i < 5000; i++) {
      t.apply({ op: "set", path: `/items/${i}`, value: {}, complete: false });
      t.apply({ op: "set", path: `/items/${i}/name`, value: "", complete: false });
      for (let k = 0; k < 10; k++) t.apply({ op: "append", path: `/items/${i}/name`, text: "abcdefgh" });
      t.apply({ op: "valid", path: `/items/${i}/name` });
      t.apply({ op: "set", path: `/items/${i}/n`, value: i, complete: true });
      t.apply({ op: "valid", path: `/items/${i}` });
    }
    const ms = performance.now() - start;
    expect(t.nodes.size).toBe(2 + 5000 * 3);
    expect(visibleRows(t, new Set()).length).toBe(2 + 5000 * 3);
    expect(ms).toBeLessThan(2000);
  });
});

const env = { v: 1, t_ms: 0 };
const events: EventRecord[] = [
  { ...env, seq: 0, type: "run_started", provider: "openai", model: "m", mode: "tools", schema: "person", max_attempts: 2 },
  { ...env, seq: 1, type: "completion:kwargs", request: { method: "POST", url: "http://x/v1/chat/completions", headers: [["authorization", "<redacted>"]], body: {} }, attempt: 1, max_attempts: 2, is_last: false },
  { ...env, seq: 2, type: "partial", changes: stream.slice(0, 3), attempt: 1, max_attempts: 2, is_last: false },
  {
    ...env, seq: 3, type: "completion:response", status: 200, latency_ms: 12, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    body: { text: null, tool_calls: [{ id: "c", name: "Person", arguments: '{"name":"Dr. Ma","age":412}' }] }, attempt: 1, max_attempts: 2, is_last: false,
  },
  { ...env, seq: 4, type: "parse:error", error: "the answer does not match the schema", issues: [{ path: "/age", message: "too old" }], raw: '{"name":"Dr. Ma","age":412}', attempt: 1, max_attempts: 2, is_last: false },
  { ...env, seq: 5, type: "reask", messages: [{ role: "user", content: [{ type: "text", text: "fix /age" }] }], attempt: 1, max_attempts: 2, is_last: false },
  { ...env, seq: 6, type: "completion:kwargs", request: { method: "POST", url: "http://x/v1/chat/completions", headers: [], body: {} }, attempt: 2, max_attempts: 2, is_last: true },
  { ...env, seq: 7, type: "partial", changes: [{ op: "set", path: "", value: {}, complete: false }], attempt: 2, max_attempts: 2, is_last: true },
  { ...env, seq: 8, type: "completion:response", status: 200, latency_ms: 8, usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }, body: { choices: [{ message: { content: '{"name":"Ada","age":36}' } }] }, attempt: 2, max_attempts: 2, is_last: true },
  { ...env, seq: 9, type: "run_succeeded", attempts: 2, value: { name: "Ada", age: 36 }, usage: { prompt_tokens: 30, completion_tokens: 10, total_tokens: 40 }, latency_ms: 30 },
];

describe("run model", () => {
  it("collects attempts, re-asks, the outcome and a fresh tree per attempt", () => {
    const m = new RunModel(expectedFields(person));
    events.forEach((e) => m.apply(e));
    expect(m.attempts.length).toBe(2);
    const [a1, a2] = m.attempts;
    expect(a1!.request?.headers[0]?.[1]).toBe("<redacted>");
    expect(a1!.parseError?.issues[0]?.path).toBe("/age");
    expect(a1!.reask?.[0]?.role).toBe("user");
    expect(a1!.partial).toEqual({ name: "Dr. Ma" });
    expect(a2!.raw).toBe('{"name":"Ada","age":36}');
    expect(m.treeAttempt).toBe(2);
    expect(m.tree.value()).toEqual({});
    expect(m.outcome?.status).toBe("succeeded");
    expect(m.usage().total_tokens).toBe(40);
    expect(m.partialIndexes).toEqual([2, 7]);
    expect(m.typeCounts.get("completion:kwargs")).toBe(2);
  });

  it("counts a merged partial event as the recorded events it stands for", () => {
    const m = new RunModel(expectedFields(person));
    m.apply(events[0]!);
    m.apply(events[1]!);
    m.apply({ ...events[2]!, seq: 14 } as EventRecord, 13);
    expect(m.merged.get(2)).toBe(13);
    expect(m.typeCounts.get("partial")).toBe(13);
    expect(m.events.length).toBe(3);
    expect(m.tree.value()).toEqual({ name: "Dr. Ma" });
  });

  it("reads the answer from each kind of completion body", () => {
    expect(answerText({ output: [{ type: "function_call", arguments: "{}" }] })).toBe("{}");
    expect(answerText({ choices: [{ message: { tool_calls: [{ function: { arguments: "[1]" } }] } }] })).toBe("[1]");
    expect(answerText(null)).toBeNull();
  });
});

describe("hook log filters", () => {
  it("filters by type and attempt, keeping run-level events", () => {
    expect(filterEvents(events, ALL).length).toBe(events.length);
    expect(filterEvents(events, { types: new Set(["parse:error"]), attempt: null })).toEqual([4]);
    expect(filterEvents(events, { types: new Set(), attempt: 2 })).toEqual([0, 6, 7, 8, 9]);
    expect(filterEvents(events, { types: new Set(["completion:kwargs", "reask"]), attempt: 1 })).toEqual([1, 5]);
    expect(summarize(events[4]!)).toBe("the answer does not match the schema");
  });
});

describe("frame batcher", () => {
  it("applies everything queued in one commit per frame, within the budget", () => {
    const frames: Array<() => void> = [];
    const applied: number[] = [];
    let commits = 0;
    const b = new FrameBatcher<number>((n) => applied.push(n), () => commits++, 0, (run) => frames.push(run));
    for (let i = 0; i < 100; i++) b.push(i);
    expect(frames.length).toBe(1);
    frames.shift()!();
    // A zero budget still makes progress (32 items between looks at the clock).
    expect(applied.length).toBe(32);
    expect(commits).toBe(1);
    while (frames.length) frames.shift()!();
    expect(applied.length).toBe(100);
    expect(applied[99]).toBe(99);
    b.push(100);
    b.drain();
    expect(applied.length).toBe(101);
  });
});

import { describe, expect, it } from "vitest";
import { canRedo, canUndo, GROUP_MS, LIMIT, record, redo, undo, undoStack } from "./undoStack";

describe("undoStack", () => {
  it("undoes and redoes whole texts in order", () => {
    let s = undoStack("a");
    s = record(s, "b", null, 0);
    s = record(s, "c", null, 1);
    s = undo(s);
    expect(s.present).toBe("b");
    s = undo(s);
    expect(s.present).toBe("a");
    expect(canUndo(s)).toBe(false);
    expect(undo(s)).toBe(s);
    s = redo(s);
    s = redo(s);
    expect(s.present).toBe("c");
    expect(canRedo(s)).toBe(false);
  });

  it("drops what could be redone once something new is recorded", () => {
    let s = record(record(undoStack("a"), "b", null, 0), "c", null, 0);
    s = record(undo(s), "d", null, 0);
    expect(s.future).toEqual([]);
    expect(undo(s).present).toBe("b");
  });

  it("merges typing that follows within the pause into one step, and no more", () => {
    let s = undoStack("");
    s = record(s, "{", "typing", 1000);
    s = record(s, "{}", "typing", 1000 + GROUP_MS - 1);
    s = record(s, "{} ", "typing", 1000 + 3 * GROUP_MS);
    expect(s.past).toEqual(["", "{}"]);
    // A change of its own is never merged, nor is typing merged into it.
    s = record(s, "X", null, 1000 + 3 * GROUP_MS);
    s = record(s, "XY", "typing", 1000 + 3 * GROUP_MS);
    expect(s.past).toEqual(["", "{}", "{} ", "X"]);
  });

  it("ignores a change to the same text", () => {
    const s = undoStack("a");
    expect(record(s, "a", null, 0)).toBe(s);
  });

  it("keeps at most LIMIT steps, dropping the oldest", () => {
    let s = undoStack("0");
    for (let i = 1; i <= LIMIT + 5; i++) s = record(s, String(i), null, i);
    expect(s.past.length).toBe(LIMIT);
    expect(s.past[0]).toBe("5");
  });
});

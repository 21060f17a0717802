// What changed from one attempt's answer to the next, field by field (jsondiffpatch computes
// the difference; here it becomes rows of path, kind, before and after).
import { create } from "jsondiffpatch";
import { format } from "jsondiffpatch/formatters/jsonpatch";
import type { Difference, JsonValue } from "../../api/types";
import { getPointer } from "./model/pointer";

const differ = create({
  // Items that are records match by an `id` or `name` field when they have one.
  objectHash: (o: object, i?: number) => {
    const r = o as Record<string, unknown>;
    return typeof r.id === "string" || typeof r.id === "number" ? `id:${String(r.id)}` : typeof r.name === "string" ? `name:${r.name}` : `$$index:${i ?? 0}`;
  },
  arrays: { detectMove: true },
});

export type AnswerDiff = Difference | { path: string; kind: "moved"; before: JsonValue | null; after: JsonValue | null };

export function diffAnswers(before: JsonValue | null, after: JsonValue | null): AnswerDiff[] {
  const delta = differ.diff(before, after);
  if (!delta) return [];
  // A whole-document replacement (text against JSON, say) has no pointer to walk.
  if (typeof before !== "object" || typeof after !== "object" || before === null || after === null) {
    return [{ path: "", kind: "changed", before, after }];
  }
  return format(delta).map((op): AnswerDiff => {
    switch (op.op) {
      case "add":
        return { path: op.path, kind: "added", before: null, after: op.value as JsonValue };
      case "remove":
        return { path: op.path, kind: "removed", before: (getPointer(before, op.path) ?? null) as JsonValue | null, after: null };
      case "replace":
        return { path: op.path, kind: "changed", before: (getPointer(before, op.path) ?? null) as JsonValue | null, after: op.value as JsonValue };
      case "move":
        return { path: op.path, kind: "moved", before: op.from as JsonValue, after: op.path as JsonValue };
    }
  });
}

// The partial object of one attempt as changes arrive, and the state of each of its fields:
// the UI's counterpart of the engine's `Snapshot` and `FieldStates`
// (crates/engine/src/partial/snapshot.rs), kept as a tree of nodes with an index by pointer so
// that each change costs O(1) whatever the size of the object. Nothing here knows React: the
// run view reads the tree after each animation frame's batch of changes (see `scheduler.ts`).
import type { Change, FieldState, Issue, JsonValue } from "../../../api/types";
import { childPointer, lastSegment, parentPointer } from "./pointer";

export type NodeKind = "object" | "array" | "string" | "number" | "boolean" | "null";

export interface TreeNode {
  /** JSON Pointer of the value (`""` for the root). */
  readonly path: string;
  /** Its key in the parent object, or its index in the parent array (`""` for the root). */
  readonly key: string;
  readonly inArray: boolean;
  kind: NodeKind;
  /** Scalars (a string grows as `append`s arrive); null for objects and arrays. */
  value: string | number | boolean | null;
  /** Children in arrival order (objects and arrays), null for scalars. */
  children: TreeNode[] | null;
  /** Object children by key. */
  byKey: Map<string, TreeNode> | null;
  /** Goes up when the node or anything under it changes (value, state, children): what a
   *  cache of its rows is checked against, so unchanged subtrees are not walked again. */
  rev: number;
}

export const STATES: readonly FieldState[] = ["pending", "streaming", "complete", "valid", "invalid"];

function kindOf(v: JsonValue): NodeKind {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      return "object";
  }
}

export class Tree {
  root: TreeNode | null = null;
  /** Every node by pointer. */
  readonly nodes = new Map<string, TreeNode>();
  /** The state of every pointer seen or promised (as `FieldStates`). */
  readonly states = new Map<string, FieldState>();
  /** Issues of invalid fields, by pointer. */
  readonly issues = new Map<string, Issue[]>();
  /** Child keys the schema promises, by the parent's pointer, in the schema's order. */
  readonly expected = new Map<string, string[]>();
  /** How many fields are in each state. */
  readonly counts: Record<FieldState, number> = { pending: 0, streaming: 0, complete: 0, valid: 0, invalid: 0 };
  /** Goes up when nodes are added or replaced (the rows to show change). */
  structure = 0;
  /** Goes up with every change applied. */
  changes = 0;
  /** The pointer of the last value that changed. */
  lastPath: string | null = null;
  /** Changes that did not fit the object (none from one parser's stream). */
  misfits = 0;
  private clock = 0;

  constructor(expectedPointers: readonly string[] = []) {
    for (const p of expectedPointers) this.expect(p);
  }

  /** Marks a field the schema promises as pending (before anything arrives). */
  expect(pointer: string): void {
    if (!this.states.has(pointer)) this.setState(pointer, "pending");
    const parent = parentPointer(pointer);
    if (parent === null) return;
    const key = lastSegment(pointer);
    const list = this.expected.get(parent);
    if (!list) this.expected.set(parent, [key]);
    else if (!list.includes(key)) list.push(key);
  }

  private setState(pointer: string, state: FieldState): void {
    const before = this.states.get(pointer);
    if (before === state) return;
    if (before) this.counts[before]--;
    this.counts[state]++;
    this.states.set(pointer, state);
  }

  /** Applies one change to the object and to the states; false when it does not fit. */
  apply(change: Change): boolean {
    this.changes++;
    this.lastPath = change.path;
    const fits = this.applyValue(change);
    if (!fits) this.misfits++;
    this.applyState(change);
    this.touch(change.path);
    return fits;
  }

  /** Marks the node at `path` and its ancestors as changed (O(depth)). */
  private touch(path: string): void {
    const rev = ++this.clock;
    for (let p: string | null = path; p !== null; p = parentPointer(p)) {
      const node = this.nodes.get(p);
      if (node) node.rev = rev;
    }
  }

  /** `FieldStates::apply`: the state a change gives its path. */
  private applyState(change: Change): void {
    let state: FieldState;
    switch (change.op) {
      case "set":
        state = change.complete ? "complete" : "streaming";
        break;
      case "append":
        state = "streaming";
        break;
      case "complete":
        state = "complete";
        break;
      case "valid":
        state = "valid";
        break;
      case "invalid":
        state = "invalid";
        this.issues.set(change.path, change.issues);
        break;
    }
    const before = this.states.get(change.path);
    // A field that already failed or passed keeps that verdict when its own `complete`
    // arrives later; validation always comes after completion.
    if ((before === "valid" || before === "invalid") && state === "complete") return;
    if (state === "valid") this.issues.delete(change.path);
    this.setState(change.path, state);
  }

  /** `Snapshot::apply`: the change's effect on the value. */
  private applyValue(change: Change): boolean {
    switch (change.op) {
      case "set":
        return this.set(change.path, change.value);
      case "append": {
        const node = this.nodes.get(change.path);
        if (!node || node.kind !== "string") return false;
        node.value = (node.value as string) + change.text;
        return true;
      }
      default:
        return true;
    }
  }

  private set(path: string, value: JsonValue): boolean {
    const parentPath = parentPointer(path);
    if (parentPath === null) {
      if (this.root) this.forget(this.root);
      this.root = this.build("", "", false, value);
      this.structure++;
      return true;
    }
    const parent = this.nodes.get(parentPath);
    if (!parent || !parent.children) return false;
    const key = lastSegment(path);
    if (parent.kind === "object") {
      const old = parent.byKey!.get(key);
      const node = this.build(path, key, false, value);
      if (old) {
        this.forget(old);
        parent.children[parent.children.indexOf(old)] = node;
      } else {
        parent.children.push(node);
      }
      parent.byKey!.set(key, node);
      this.nodes.set(path, node);
      this.structure++;
      return true;
    }
    // An array: the next index appends, an earlier one replaces.
    if (!/^(0|[1-9][0-9]*)$/.test(key)) return false;
    const i = Number(key);
    if (i > parent.children.length) return false;
    const node = this.build(path, key, true, value);
    if (i === parent.children.length) parent.children.push(node);
    else {
      this.forget(parent.children[i]!);
      parent.children[i] = node;
    }
    this.nodes.set(path, node);
    this.structure++;
    return true;
  }

  private build(path: string, key: string, inArray: boolean, value: JsonValue): TreeNode {
    const kind = kindOf(value);
    const node: TreeNode = {
      path,
      key,
      inArray,
      kind,
      value: kind === "object" || kind === "array" ? null : (value as string | number | boolean | null),
      children: kind === "object" || kind === "array" ? [] : null,
      byKey: kind === "object" ? new Map() : null,
      rev: ++this.clock,
    };
    this.nodes.set(path, node);
    if (kind === "array") {
      (value as JsonValue[]).forEach((v, i) => node.children!.push(this.build(childPointer(path, i), String(i), true, v)));
    } else if (kind === "object") {
      for (const [k, v] of Object.entries(value as Record<string, JsonValue>)) {
        const child = this.build(childPointer(path, k), k, false, v);
        node.children!.push(child);
        node.byKey!.set(k, child);
      }
    }
    return node;
  }

  private forget(node: TreeNode): void {
    this.nodes.delete(node.path);
    node.children?.forEach((c) => this.forget(c));
  }

  /** The object as it stands (`null` before anything arrived). */
  value(): JsonValue {
    return this.root ? toValue(this.root) : null;
  }
}

export function toValue(node: TreeNode): JsonValue {
  switch (node.kind) {
    case "object": {
      const out: Record<string, JsonValue> = {};
      for (const c of node.children!) out[c.key] = toValue(c);
      return out;
    }
    case "array":
      return node.children!.map(toValue);
    default:
      return node.value;
  }
}

// The tree as the rows a virtual list shows: each value, each promised field not arrived yet
// (pending), and each issue of an invalid field on its own line, so every row has one height.
import type { FieldState, Issue } from "../../../api/types";
import { childPointer } from "./pointer";
import type { Tree, TreeNode } from "./tree";

export type Row =
  | { type: "node"; node: TreeNode; depth: number; state: FieldState | undefined; open: boolean }
  | { type: "pending"; path: string; key: string; depth: number; open: boolean; hasChildren: boolean }
  | { type: "issue"; path: string; issue: Issue; depth: number };

/** The rows of object and array nodes as last computed, with the node's `rev` then. Valid for
 *  one `collapsed` set: make a new cache when that changes. */
export type RowCache = WeakMap<TreeNode, { rev: number; depth: number; rows: Row[] }>;

/**
 * The visible rows: closed paths (in `collapsed`) hide what is under them. Fields the schema
 * promises and that have not arrived are listed after the ones that have, in the schema's order.
 * With a `cache`, subtrees that did not change since the last call are copied from it instead
 * of walked, so a frame of a long stream costs the changed part (and a copy), not the object.
 */
export function visibleRows(tree: Tree, collapsed: ReadonlySet<string>, cache?: RowCache): Row[] {
  let rows: Row[] = [];
  const pendingUnder = (parentPath: string, present: Map<string, TreeNode> | null, depth: number) => {
    const keys = tree.expected.get(parentPath);
    if (!keys) return;
    for (const key of keys) {
      if (present?.has(key)) continue;
      const path = childPointer(parentPath, key);
      if (tree.nodes.has(path)) continue;
      const hasChildren = tree.expected.has(path);
      const open = !collapsed.has(path);
      rows.push({ type: "pending", path, key, depth, open, hasChildren });
      if (hasChildren && open) pendingUnder(path, null, depth + 1);
    }
  };
  const walk = (node: TreeNode, depth: number) => {
    const cached = node.children ? cache?.get(node) : undefined;
    if (cached && cached.rev === node.rev && cached.depth === depth) {
      for (const r of cached.rows) rows.push(r);
      return;
    }
    const outer = rows;
    if (cache && node.children) rows = [];
    const open = !collapsed.has(node.path);
    const state = tree.states.get(node.path);
    rows.push({ type: "node", node, depth, state, open });
    if (state === "invalid") {
      for (const issue of tree.issues.get(node.path) ?? []) rows.push({ type: "issue", path: node.path, issue, depth: depth + 1 });
    }
    if (node.children && open) {
      for (const c of node.children) walk(c, depth + 1);
      if (node.kind === "object") pendingUnder(node.path, node.byKey, depth + 1);
    }
    if (rows !== outer) {
      cache!.set(node, { rev: node.rev, depth, rows });
      for (const r of rows) outer.push(r);
      rows = outer;
    }
  };
  if (tree.root) walk(tree.root, 0);
  else pendingUnder("", null, 1);
  return rows;
}

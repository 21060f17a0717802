// The schema text's undo history. The draft's text is the one truth; every change to it (a
// designer edit, typing in the raw editor, an example or a version opened, an inferred schema
// used) is recorded here, so the designer's Undo takes back any of them. Raw typing merges into
// steps (see undoStack.ts); the raw editor keeps its own Ctrl+Z as well.
import { create } from "zustand";
import { useDraft } from "../../state/draft";
import { canRedo, canUndo, record, redo, undo, undoStack, type UndoStack } from "./designer/undoStack";

interface HistoryState {
  stack: UndoStack;
}

export const useSchemaHistory = create<HistoryState>(() => ({ stack: undoStack(useDraft.getState().schemaText) }));

// Set while a change being made is typing (grouped) or an undo/redo (not recorded).
let group: string | null = null;
let replaying = false;

useDraft.subscribe((s, prev) => {
  if (s.schemaText === prev.schemaText || replaying) return;
  useSchemaHistory.setState((h) => ({ stack: record(h.stack, s.schemaText, group, Date.now()) }));
});

const setText = (schemaText: string) => useDraft.getState().set({ schemaText });

/** A change typed in the raw editor. */
export function typeSchemaText(text: string): void {
  group = "typing";
  try {
    setText(text);
  } finally {
    group = null;
  }
}

/** A change made at once (a designer edit, an inferred schema): one undo step. */
export const replaceSchemaText = setText;

function replay(step: (s: UndoStack) => UndoStack): boolean {
  const before = useSchemaHistory.getState().stack;
  const after = step(before);
  if (after === before) return false;
  useSchemaHistory.setState({ stack: after });
  replaying = true;
  try {
    setText(after.present);
  } finally {
    replaying = false;
  }
  return true;
}

/** Typing that follows is a new step (the user looked away from the raw editor in between). */
export function endTypingStep(): void {
  useSchemaHistory.setState((h) => (h.stack.group === null ? h : { stack: { ...h.stack, group: null } }));
}

export const undoSchema = () => replay(undo);
export const redoSchema = () => replay(redo);
export const useCanUndo = () => useSchemaHistory((h) => canUndo(h.stack));
export const useCanRedo = () => useSchemaHistory((h) => canRedo(h.stack));

// Undo and redo over whole texts. Typing in the raw editor comes as one change per keystroke:
// changes of the same group that follow each other within `GROUP_MS` become one step, so an undo
// takes back a burst of typing rather than one character.

export const GROUP_MS = 1000;
/** Steps kept; the oldest are dropped (a 500-field schema is about 60 kB a step). */
export const LIMIT = 200;

export interface UndoStack {
  past: readonly string[];
  present: string;
  future: readonly string[];
  /** The group of the last change, and when it was made. */
  group: string | null;
  at: number;
}

export const undoStack = (text: string): UndoStack => ({ past: [], present: text, future: [], group: null, at: 0 });

/** `text` became the present; `group` names changes that may merge (null: a step of its own). */
export function record(s: UndoStack, text: string, group: string | null, now: number): UndoStack {
  if (text === s.present) return s;
  if (group !== null && group === s.group && now - s.at < GROUP_MS && s.past.length > 0) {
    return { ...s, present: text, future: [], at: now };
  }
  const past = [...s.past, s.present];
  return { past: past.length > LIMIT ? past.slice(past.length - LIMIT) : past, present: text, future: [], group, at: now };
}

export const canUndo = (s: UndoStack) => s.past.length > 0;
export const canRedo = (s: UndoStack) => s.future.length > 0;

export function undo(s: UndoStack): UndoStack {
  if (!canUndo(s)) return s;
  return { past: s.past.slice(0, -1), present: s.past[s.past.length - 1]!, future: [s.present, ...s.future], group: null, at: 0 };
}

export function redo(s: UndoStack): UndoStack {
  if (!canRedo(s)) return s;
  return { past: [...s.past, s.present], present: s.future[0]!, future: s.future.slice(1), group: null, at: 0 };
}

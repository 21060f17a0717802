// basicSetup (the codemirror package's) less what only editing needs: undo history, bracket
// closing, completion, re-indenting, the drop cursor, rectangular selection. A read-only viewer
// whose text follows typing (the request body, the code export) is told of a change on every
// keystroke, and completion alone then parsed the whole document each time to find the
// language at the cursor. What the viewer looks like and its keys (search, folding) are kept.
import { drawSelection, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers } from "@codemirror/view";
import { bracketMatching, defaultHighlightStyle, foldGutter, foldKeymap, syntaxHighlighting } from "@codemirror/language";
import { defaultKeymap } from "@codemirror/commands";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import type { Extension } from "@codemirror/state";

export const viewerSetup: Extension = [
  lineNumbers(),
  highlightActiveLineGutter(),
  highlightSpecialChars(),
  foldGutter(),
  drawSelection(),
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
  bracketMatching(),
  highlightActiveLine(),
  highlightSelectionMatches(),
  keymap.of([...defaultKeymap, ...searchKeymap, ...foldKeymap]),
];

// Stands in for codemirror-json-schema's JSON5 and YAML document parsers (see vite.config.ts):
// Quarry edits JSON only, and those parsers bring a YAML and a JSON5 implementation with them.
import type { EditorState } from "@codemirror/state";

function unsupported(mode: string): never {
  throw new Error(`${mode} documents are not edited in Quarry`);
}

export function parseJSON5DocumentState(_state: EditorState): never {
  return unsupported("JSON5");
}

export function parseYAMLDocumentState(_state: EditorState): never {
  return unsupported("YAML");
}

// Lint and completion for a JSON Schema being written: it is checked against the JSON Schema
// meta-schema (draft-07, which also accepts the draft 2020-12 keywords Quarry reads, such as
// `$defs`), with keyword completion and descriptions on hover (codemirror-json-schema).
import type { Extension } from "@codemirror/state";
import { hoverTooltip } from "@codemirror/view";
import { linter } from "@codemirror/lint";
import { jsonLanguage } from "@codemirror/lang-json";
import { handleRefresh, jsonCompletion, jsonSchemaHover, jsonSchemaLinter, stateExtensions } from "codemirror-json-schema";
import metaSchema from "./metaSchema.draft-07.json";

export const schemaEditorExtensions: Extension[] = [
  linter(jsonSchemaLinter(), { needsRefresh: handleRefresh, delay: 300 }),
  jsonLanguage.data.of({ autocomplete: jsonCompletion() }),
  hoverTooltip(jsonSchemaHover()),
  stateExtensions(metaSchema as never),
];

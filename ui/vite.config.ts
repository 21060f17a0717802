/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

// codemirror-json-schema renders schema descriptions as Markdown with shiki, which it starts
// loading (grammars, themes and a WebAssembly engine) the moment it is imported, and it brings
// YAML and JSON5 parsers for modes Quarry does not use. Quarry shows descriptions as plain text
// and edits JSON only, so those three internal modules are swapped for small ones here.
function trimJsonSchemaEditor(): Plugin {
  const local = (f: string) => fileURLToPath(new URL(`./src/lib/${f}`, import.meta.url));
  const swaps: Array<[RegExp, string]> = [
    [/utils\/markdown(\.js)?$/, local("schemaDescription.ts")],
    [/\/(json5|yaml)-parser(\.js)?$/, local("schemaParsersJsonOnly.ts")],
  ];
  return {
    name: "quarry:trim-json-schema-editor",
    enforce: "pre",
    resolveId(source, importer) {
      if (!importer || !importer.includes("codemirror-json-schema")) return null;
      for (const [pattern, replacement] of swaps) if (pattern.test(source)) return replacement;
      return null;
    },
  };
}

// @codemirror/lang-jinja parses the text between tags as HTML; Quarry's templates are prompts
// over plain text, so its HTML base is swapped for plain text (and the HTML, CSS and JavaScript
// parsers stay out of the bundle).
function jinjaOverPlainText(): Plugin {
  const plain = fileURLToPath(new URL("./src/lib/plainTextBase.ts", import.meta.url));
  return {
    name: "quarry:jinja-over-plain-text",
    enforce: "pre",
    resolveId(source, importer) {
      return importer?.includes("@codemirror/lang-jinja") && source === "@codemirror/lang-html" ? plain : null;
    },
  };
}

// `npm run dev` talks to a running `quarry serve` (QUARRY_URL, e.g. http://127.0.0.1:7878).
const backend = process.env.QUARRY_URL ?? "http://127.0.0.1:7878";

export default defineConfig({
  plugins: [trimJsonSchemaEditor(), jinjaOverPlainText(), react()],
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: {
      "/api/events": { target: backend.replace(/^http/, "ws"), ws: true, changeOrigin: true },
      "/api": { target: backend, changeOrigin: true },
    },
  },
  test: {
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    environment: "node",
  },
});

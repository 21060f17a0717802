/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";

// codemirror-json-schema renders schema descriptions as Markdown with shiki, which it starts
// loading (grammars, themes and a WebAssembly engine) the moment it is imported. Quarry shows
// descriptions as plain text, so its Markdown module is swapped for a small one here.
function plainSchemaDescriptions(): Plugin {
  const replacement = fileURLToPath(new URL("./src/lib/schemaDescription.ts", import.meta.url));
  return {
    name: "quarry:plain-schema-descriptions",
    enforce: "pre",
    resolveId(source, importer) {
      if (importer && importer.includes("codemirror-json-schema") && /utils\/markdown(\.js)?$/.test(source)) {
        return replacement;
      }
      return null;
    },
  };
}

// `npm run dev` talks to a running `quarry serve` (QUARRY_URL, e.g. http://127.0.0.1:7878).
const backend = process.env.QUARRY_URL ?? "http://127.0.0.1:7878";

export default defineConfig({
  plugins: [plainSchemaDescriptions(), react()],
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

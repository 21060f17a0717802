// ESLint flat config: JavaScript and TypeScript rules, React hooks, and accessibility checks
// for JSX. The generated bindings are not linted (they are written by the Rust side).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import jsxA11y from "eslint-plugin-jsx-a11y";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "src/bindings/", "e2e/out/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.{ts,tsx}"],
    languageOptions: { globals: globals.browser },
    plugins: { "react-hooks": reactHooks, "jsx-a11y": jsxA11y },
    rules: {
      // The hooks rules; the React Compiler's rules do not apply (the compiler is not used).
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
      ...jsxA11y.flatConfigs.recommended.rules,
      // Scrollable logs take focus so the keyboard can scroll them.
      "jsx-a11y/no-noninteractive-tabindex": ["error", { tags: [], roles: ["tabpanel", "log", "region"] }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@tauri-apps/*"],
              message: "Only src/platform/tauri.ts talks to Tauri.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/platform/tauri.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // The browser tests run in node but pass functions to page.evaluate, which run in the page.
    files: ["e2e/**/*.mjs", "*.config.{js,ts}"],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);

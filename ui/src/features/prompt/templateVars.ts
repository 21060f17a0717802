// The variables a set of Jinja templates uses, read from the templates' syntax tree (the same
// parser that highlights them): names read in `{{ }}` and `{% %}`, less those the templates
// define themselves (`{% set %}`, `{% for x in … %}`, macro arguments) and Jinja's globals.
import { jinjaLanguage } from "@codemirror/lang-jinja";

const GLOBALS = new Set([
  "loop", "range", "dict", "lipsum", "cycler", "joiner", "namespace", "super", "self", "varargs", "kwargs", "caller",
  "true", "false", "none", "True", "False", "None",
]);

/** Variable names in the order they first appear. */
export function templateVariables(templates: readonly string[]): string[] {
  const used: string[] = [];
  const defined = new Set<string>();
  for (const text of templates) {
    if (!text.includes("{{") && !text.includes("{%")) continue;
    const tree = jinjaLanguage.parser.parse(text);
    tree.iterate({
      enter(n) {
        if (n.name === "Definition") defined.add(text.slice(n.from, n.to));
        else if (n.name === "VariableName") {
          const name = text.slice(n.from, n.to);
          if (!used.includes(name)) used.push(name);
        }
      },
    });
  }
  return used.filter((n) => !defined.has(n) && !GLOBALS.has(n));
}

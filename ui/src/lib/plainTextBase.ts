// Stands in for @codemirror/lang-html inside @codemirror/lang-jinja (vite.config.ts): Quarry's
// templates are prompts over plain text, and HTML as the text between Jinja tags would bring the
// HTML, CSS and JavaScript parsers (~150 kB parsed at every start) for nothing.
import { LanguageSupport, StreamLanguage } from "@codemirror/language";

const plainText = new LanguageSupport(
  StreamLanguage.define<null>({
    name: "text",
    startState: () => null,
    token(stream) {
      stream.skipToEnd();
      return null;
    },
  }),
);

/** What lang-jinja calls for its base language: plain text. */
export function html(): LanguageSupport {
  return plainText;
}

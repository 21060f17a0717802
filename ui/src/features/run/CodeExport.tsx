// The draft as code, in the Request tab: curl (the very request the preview shows, streaming
// included, from a POSIX shell), a Python program for instructor, or a Rust program on
// quarry-engine (written by the backend's `export_code` as the draft changes; nothing is sent).
// Long strings are cut in what is shown; Copy and Download take the whole text.
import { useCallback, useMemo } from "react";
import type { CodeLanguage, ExportCode } from "../../api/types";
import { exportCode } from "../../api/queries";
import { useFollowDraft, type Made } from "../../api/follow";
import type { Draft } from "../../state/draft";
import { CodeEditor } from "../../components/CodeEditor";
import { CopyButton } from "../../components/CopyButton";
import { ErrorNote } from "../../components/ErrorNote";
import { downloadText } from "../../components/download";
import { useStoredChoice } from "../../components/useStoredChoice";
import { buildRequest } from "./buildRequest";
import { cutLongStrings } from "./model/longStrings";
import { CutNote } from "./CutNote";

interface Language {
  id: CodeLanguage;
  label: string;
  /** The code's accessible name. */
  name: string;
  about: string;
}

const LANGUAGES: readonly Language[] = [
  { id: "curl", label: "curl", name: "curl command", about: "The same request from a POSIX shell: the key is read from the environment, never written here." },
  { id: "python", label: "Python", name: "Python program", about: "A Python program for instructor that makes this extraction and prints the validated object as JSON; it reads the key from the environment." },
  { id: "rust", label: "Rust", name: "Rust program", about: "A Rust program on quarry-engine (Quarry's own engine) that makes this extraction and prints the validated object as JSON; it reads the key from the environment." },
];
const IDS = LANGUAGES.map((l) => l.id);
/** The name `export_code` gives a curl command, for the one taken from the preview. */
const CURL_FILE = "request.sh";
/** Strings longer than this (a file as a data URL) are cut in what is shown. */
const SHOW_MAX = 2_000;
/**
 * A program is read, not watched while typing: it is written once typing pauses, so it does
 * not compete with the request preview (which follows every keystroke) for the backend and the
 * page.
 */
const SETTLE_MS = 150;

/** `curl`: the preview's own, which is what Run sends (export_code's would not stream). */
export function CodeExport({ curl }: { curl: string }) {
  const [chosen, choose] = useStoredChoice<CodeLanguage>("quarry.codeLanguage", IDS, "curl");
  const language = LANGUAGES.find((l) => l.id === chosen)!;
  return (
    <section className="request-part" aria-labelledby="request-code">
      <div className="row gap wrap">
        <h3 id="request-code">As code</h3>
        <fieldset className="segmented">
          <legend className="visually-hidden">Language</legend>
          {LANGUAGES.map((l) => (
            <label key={l.id} className={l.id === chosen ? "checked" : undefined}>
              <input type="radio" name="code-language" value={l.id} checked={l.id === chosen} onChange={() => choose(l.id)} />
              {l.label}
            </label>
          ))}
        </fieldset>
      </div>
      {/* Keyed: another language's program is not shown under this one's name while it is written. */}
      {language.id === "curl" ? <Code language={language} fileName={CURL_FILE} code={curl} /> : <Program key={language.id} language={language} />}
    </section>
  );
}

function Program({ language }: { language: Language }) {
  const make = useCallback(
    (d: Draft): Made<ExportCode> => {
      const built = buildRequest(d);
      return built.ok ? { ok: true, input: { request: built.command.request, schema: built.command.schema, language: language.id } } : built;
    },
    [language.id],
  );
  const program = useFollowDraft(make, exportCode, SETTLE_MS);
  if (program.error) return <ErrorNote error={program.error} title={`No ${language.name}`} />;
  if (!program.value) return <p className="dim">Writing the {language.name}…</p>;
  return <Code language={language} fileName={program.value.file_name} code={program.value.code} />;
}

function Code({ language, fileName, code }: { language: Language; fileName: string; code: string }) {
  const shown = useMemo(() => cutLongStrings(code, SHOW_MAX), [code]);
  const copy = `Copy ${language.label}`;
  return (
    <>
      <p className="dim small-text">{language.about}</p>
      <div className="row gap wrap">
        <CopyButton text={code} label={copy} />
        <button type="button" onClick={() => downloadText(fileName, code.endsWith("\n") ? code : `${code}\n`)}>
          Download {fileName}
        </button>
      </div>
      <CutNote s={shown} copy={`“${copy}”`} />
      <CodeEditor value={shown.text} label={language.name} language="text" readOnly className={`code-export-editor code-${language.id}`} />
    </>
  );
}

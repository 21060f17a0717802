// The prompt: system and user messages (Jinja templates; add, remove, reorder), files attached
// to user messages (images, PDFs, audio, text: dropped on the prompt or chosen with "Attach
// file…", typed by the backend from their bytes), saved prompts, and the variables panel for
// the names the templates read.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { CodeEditor, type Problem } from "../../components/CodeEditor";
import { ErrorNote } from "../../components/ErrorNote";
import { readFileDataUrl } from "../../components/download";
import { fmtBytes } from "../../components/format";
import { useAttachFile, useLoadPrompt, usePrompts, useSavePrompt } from "../../api/queries";
import { detailNumber, toCommandError } from "../../api/client";
import type { CommandError } from "../../api/types";
import { messageLabel, useDraft, type DraftFile, type DraftMessage } from "../../state/draft";
import { clearProblem, useProblem } from "../../state/problem";
import { VariablesPanel } from "./VariablesPanel";
import { draftFile, dropTarget, filesErrorTarget, fromMessages, kindOf, refuseFile, toMessages } from "./attachments";

type Attach = (messageId: string, files: readonly File[]) => Promise<void>;

/** A run-start error about files no longer applies once the files change. */
function filesChanged() {
  if (useProblem.getState().field === "files") clearProblem();
}

/** Attaching files to messages: each file read, typed by the backend, and added; what went wrong per message. */
function useAttach() {
  const { mutateAsync: attachFile } = useAttachFile();
  const [errors, setErrors] = useState<Record<string, CommandError[]>>({});
  const [reading, setReading] = useState<Record<string, string[]>>({});
  const attach = useCallback<Attach>(
    async (messageId, files) => {
      setErrors((e) => ({ ...e, [messageId]: [] }));
      const failed: CommandError[] = [];
      for (const f of files) {
        const refused = refuseFile(f.name, f.size);
        if (refused) {
          failed.push(refused);
          continue;
        }
        setReading((r) => ({ ...r, [messageId]: [...(r[messageId] ?? []), f.name] }));
        try {
          const dataUrl = await readFileDataUrl(f).catch((e: unknown) => {
            const err: CommandError = {
              code: "invalid_setting",
              message: `\`${f.name}\` could not be read (${e instanceof Error ? e.message : String(e)})`,
              details: { setting: "files", hint: "check that the file is still there and readable, then attach it again" },
            };
            throw err;
          });
          const part = await attachFile({ name: f.name, data_url: dataUrl });
          const cur = useDraft.getState().messages.find((x) => x.id === messageId);
          if (cur) {
            useDraft.getState().setMessage(messageId, { files: [...cur.files, draftFile(part, f.name, f.size)] });
            filesChanged();
          }
        } catch (e) {
          failed.push(toCommandError(e));
        } finally {
          setReading((r) => {
            const list = [...(r[messageId] ?? [])];
            list.splice(list.indexOf(f.name), 1);
            return { ...r, [messageId]: list };
          });
        }
      }
      setErrors((e) => ({ ...e, [messageId]: failed }));
    },
    [attachFile],
  );
  const dismiss = useCallback((messageId: string, i: number) => setErrors((e) => ({ ...e, [messageId]: (e[messageId] ?? []).filter((_, j) => j !== i) })), []);
  return { attach, errors, reading, dismiss };
}

/** The files of one message as chips (name, kind, size, remove), what is being read, and what could not be attached or sent. */
function Attachments({ m, label, errors, reading, runProblem, onDismiss }: { m: DraftMessage; label: string; errors: CommandError[]; reading: string[]; runProblem: CommandError | null; onDismiss: (i: number) => void }) {
  const list = useRef<HTMLUListElement>(null);
  // The place of the chip just removed from the keyboard or mouse, to move focus once it is gone.
  const removedAt = useRef<number | null>(null);
  useLayoutEffect(() => {
    const i = removedAt.current;
    if (i === null) return;
    removedAt.current = null;
    // Focus stays in the list: on the chip that took this one's place, else the one before, else "Attach file…".
    const buttons = list.current?.querySelectorAll<HTMLButtonElement>("button[data-remove]");
    const next = buttons?.[i] ?? buttons?.[i - 1] ?? document.getElementById(`attach-${m.id}`);
    next?.focus();
  }, [m.files, m.id]);
  const remove = (f: DraftFile, i: number) => {
    removedAt.current = i;
    useDraft.getState().setMessage(m.id, { files: m.files.filter((x) => x.id !== f.id) });
    filesChanged();
  };
  return (
    <div className="attachments-area">
      {m.files.length ? (
        <ul ref={list} className="attachments" aria-label={`Files attached to ${label}`}>
          {m.files.map((f, i) => {
            const kind = kindOf(f.part);
            return (
              <li key={f.id} className="chip" data-kind={kind}>
                {f.part.type === "image" ? <img src={f.part.url} alt="" /> : null}
                <span className="chip-kind">{kind}</span>
                <span className="chip-name" title={f.name}>
                  {f.name}
                </span>
                {f.size !== null ? <span className="chip-size">{fmtBytes(f.size)}</span> : <span className="chip-size">by address</span>}
                <button type="button" className="ghost small chip-remove" data-remove onClick={() => remove(f, i)} aria-label={`Remove ${f.name}`} title={`Remove ${f.name}`}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      {reading.length ? (
        <p className="dim small-text" role="status">
          Attaching {reading.join(", ")}…
        </p>
      ) : null}
      {errors.map((e, i) => (
        <ErrorNote key={i} error={e} title="Not attached" onDismiss={() => onDismiss(i)} />
      ))}
      {runProblem ? <ErrorNote error={runProblem} title="Not sent" /> : null}
    </div>
  );
}

interface MessageEditorProps {
  m: DraftMessage;
  index: number;
  count: number;
  attach: Attach;
  errors: CommandError[];
  reading: string[];
  onDismiss: (i: number) => void;
  dropping: boolean;
}

function MessageEditor({ m, index, count, attach, errors, reading, onDismiss, dropping }: MessageEditorProps) {
  const messages = useDraft((s) => s.messages);
  const { setMessage, removeMessage, moveMessage } = useDraft.getState();
  const problem = useProblem((s) => s.error);
  const field = useProblem((s) => s.field);
  const input = useRef<HTMLInputElement>(null);
  const label = messageLabel(messages, m.id);
  // A template error points at its message (1-based) and line.
  const mine = problem && (field === `msg:${m.id}` || (detailNumber(problem, "message") === index + 1 && detailNumber(problem, "line") !== null)) ? problem : null;
  // An error about files (at run start) shows by the files it is about.
  const filesProblem = problem && field === "files" && filesErrorTarget(problem, messages) === m.id ? problem : null;
  const problems = useMemo<Problem[]>(() => {
    const line = mine ? detailNumber(mine, "line") : null;
    return mine && line !== null ? [{ line, message: mine.message }] : [];
  }, [mine]);
  const errId = `msg-err-${m.id}`;
  const isUser = m.role === "user";

  return (
    <div className={`message${mine || filesProblem ? " has-problem" : ""}${dropping ? " drop-target" : ""}`} data-role={m.role} data-message-id={m.id}>
      <div className="message-head">
        <span className="message-role">{label}</span>
        <div className="row gap">
          <button type="button" className="ghost small" onClick={() => moveMessage(m.id, -1)} disabled={index === 0} aria-label={`Move ${label} up`}>
            ↑
          </button>
          <button type="button" className="ghost small" onClick={() => moveMessage(m.id, 1)} disabled={index === count - 1} aria-label={`Move ${label} down`}>
            ↓
          </button>
          {isUser ? (
            <>
              <button type="button" id={`attach-${m.id}`} className="ghost small" onClick={() => input.current?.click()} aria-label={`Attach file to ${label}`} title="Images, PDFs, audio or text files (or drop them on the prompt)">
                Attach file…
              </button>
              <input
                ref={input}
                type="file"
                multiple
                hidden
                tabIndex={-1}
                data-attach-for={label}
                aria-label={`Files to attach to ${label}`}
                onChange={(e) => {
                  const files = Array.from(e.target.files ?? []);
                  e.target.value = "";
                  void attach(m.id, files);
                }}
              />
            </>
          ) : null}
          <button type="button" className="ghost small" onClick={() => removeMessage(m.id)} aria-label={`Remove ${label}`}>
            Remove
          </button>
        </div>
      </div>
      <CodeEditor
        value={m.text}
        onChange={(text) => setMessage(m.id, { text })}
        label={label}
        language="jinja"
        problems={problems}
        invalid={!!mine}
        describedBy={mine ? errId : undefined}
        placeholder={m.role === "system" ? "Instructions for the model" : "The request, with {{ variables }}"}
        className="message-editor"
      />
      {mine ? <ErrorNote error={mine} id={errId} /> : null}
      {isUser || m.files.length ? <Attachments m={m} label={label} errors={errors} reading={reading} runProblem={filesProblem} onDismiss={onDismiss} /> : null}
    </div>
  );
}

/** Whether a drag carries files (not text or a link). */
const hasFiles = (e: { dataTransfer: DataTransfer | null }) => Array.from(e.dataTransfer?.types ?? []).includes("Files");
/** A file input takes the files dropped on it itself (a variable read from a file). */
const onFileInput = (e: { target: EventTarget | null }) => e.target instanceof HTMLInputElement && e.target.type === "file";

/** Files dropped beside the prompt are refused, not opened by the browser in place of Quarry. */
function useRefuseStrayDrops() {
  useEffect(() => {
    const refuse = (e: globalThis.DragEvent) => {
      if (e.defaultPrevented || !hasFiles(e) || onFileInput(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "none";
    };
    window.addEventListener("dragover", refuse);
    window.addEventListener("drop", refuse);
    return () => {
      window.removeEventListener("dragover", refuse);
      window.removeEventListener("drop", refuse);
    };
  }, []);
}

export function PromptPanel() {
  const messages = useDraft((s) => s.messages);
  const promptName = useDraft((s) => s.promptName);
  const { addMessage, set } = useDraft.getState();
  const prompts = usePrompts();
  const save = useSavePrompt();
  const load = useLoadPrompt();
  const [note, setNote] = useState<string | null>(null);
  const { attach, errors, reading, dismiss } = useAttach();
  // While files are dragged over the prompt: the user message they would go to.
  const [dragTarget, setDragTarget] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [dropError, setDropError] = useState<string | null>(null);
  useRefuseStrayDrops();

  const hovered = (e: DragEvent) => (e.target instanceof Element ? (e.target.closest<HTMLElement>(".message[data-message-id]")?.dataset.messageId ?? null) : null);
  // Capture: the editors inside (CodeMirror) would otherwise insert a dropped file's bytes as text.
  const onDragOver = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    if (onFileInput(e)) {
      setDragging(false);
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    e.dataTransfer.dropEffect = "copy";
    setDragging(true);
    setDragTarget(dropTarget(useDraft.getState().messages, hovered(e)));
  };
  const onDragLeave = (e: DragEvent) => {
    const to = e.relatedTarget;
    if (!(to instanceof Node && e.currentTarget.contains(to))) setDragging(false);
  };
  const onDrop = (e: DragEvent) => {
    if ((!hasFiles(e) && !e.dataTransfer?.files.length) || onFileInput(e)) return;
    e.preventDefault();
    e.stopPropagation();
    setDragging(false);
    const files = Array.from(e.dataTransfer.files);
    const target = dropTarget(useDraft.getState().messages, hovered(e));
    if (!target) {
      setDropError("Files go in a user message: add one (Add user message), then drop the files again.");
      return;
    }
    setDropError(null);
    void attach(target, files);
  };
  const targetLabel = dragTarget ? messageLabel(messages, dragTarget) : null;

  return (
    <section
      className={`pane-section prompt-panel${dragging ? " dropping" : ""}`}
      aria-labelledby="prompt-heading"
      onDragEnterCapture={onDragOver}
      onDragOverCapture={onDragOver}
      onDragLeaveCapture={onDragLeave}
      onDropCapture={onDrop}
    >
      {dragging ? (
        <div className="drop-banner" aria-hidden="true">
          {targetLabel ? `Drop to attach to ${targetLabel}` : "Add a user message to attach files"}
        </div>
      ) : null}
      <header className="section-head">
        <h2 id="prompt-heading">Prompt</h2>
        <div className="row gap wrap">
          <label className="inline">
            <span>Saved prompt</span>
            <select aria-label="Saved prompt"
              value=""
              disabled={!prompts.data?.length}
              onChange={(e) => {
                const name = e.target.value;
                if (!name) return;
                load.mutate(name, {
                  onSuccess: (list) => {
                    set({ messages: fromMessages(list), promptName: name });
                    setNote(`Opened the prompt ${name}.`);
                  },
                });
              }}
            >
              <option value="">{prompts.data?.length ? "open…" : "none yet"}</option>
              {(prompts.data ?? []).map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name} (v{p.latest})
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <div className="row gap wrap">
        <label className="inline">
          <span>Prompt name</span>
          <input value={promptName} onChange={(e) => set({ promptName: e.target.value })} placeholder="e.g. extract-invoice" spellCheck={false} />
        </label>
        <button
          type="button"
          disabled={!promptName.trim() || save.isPending}
          onClick={() => save.mutate({ name: promptName.trim(), messages: toMessages(useDraft.getState().messages) }, { onSuccess: (r) => setNote(`Saved ${promptName.trim()} as version ${r.version}.`) })}
        >
          Save prompt
        </button>
        {note ? (
          <span className="note ok" role="status">
            {note}
          </span>
        ) : null}
      </div>
      {save.error ? <ErrorNote error={save.error} /> : null}
      {load.error ? <ErrorNote error={load.error} /> : null}
      <div className="messages">
        {messages.map((m, i) => (
          <MessageEditor
            key={m.id}
            m={m}
            index={i}
            count={messages.length}
            attach={attach}
            errors={errors[m.id] ?? []}
            reading={reading[m.id] ?? []}
            onDismiss={(j) => dismiss(m.id, j)}
            dropping={dragging && dragTarget === m.id}
          />
        ))}
      </div>
      {dropError && !messages.some((m) => m.role === "user") ? (
        <p className="field-error" role="alert">
          {dropError}
        </p>
      ) : null}
      <div className="row gap">
        <button type="button" className="small" onClick={() => addMessage("system")}>
          Add system message
        </button>
        <button type="button" className="small" onClick={() => addMessage("user")}>
          Add user message
        </button>
      </div>
      <VariablesPanel />
    </section>
  );
}

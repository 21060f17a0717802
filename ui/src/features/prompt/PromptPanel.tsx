// The prompt: system and user messages (Jinja templates; add, remove, reorder), images on user
// messages, saved prompts, and the variables panel for the names the templates read.
import { useMemo, useState } from "react";
import { CodeEditor, type Problem } from "../../components/CodeEditor";
import { ErrorNote } from "../../components/ErrorNote";
import { readFileDataUrl } from "../../components/download";
import { useLoadPrompt, usePrompts, useSavePrompt } from "../../api/queries";
import { detailNumber } from "../../api/client";
import type { Message } from "../../api/types";
import { messageLabel, newMessageId, useDraft, type DraftMessage } from "../../state/draft";
import { useProblem } from "../../state/problem";
import { VariablesPanel } from "./VariablesPanel";

const IMAGE_LIMIT = 20 * 1024 * 1024;

function toMessages(list: DraftMessage[]): Message[] {
  return list.map((m) => ({ role: m.role, content: [{ type: "text", text: m.text }, ...m.images.map((i) => ({ type: "image" as const, url: i.url }))] }));
}

function fromMessages(list: Message[]): DraftMessage[] {
  return list
    .filter((m) => m.role === "system" || m.role === "user")
    .map((m) => ({
      id: newMessageId(),
      role: m.role as "system" | "user",
      text: m.content.filter((p) => p.type === "text").map((p) => (p.type === "text" ? p.text : "")).join("\n"),
      images: m.content.flatMap((p, i) => (p.type === "image" ? [{ name: `image ${i}`, url: p.url }] : [])),
    }));
}

function MessageEditor({ m, index, count }: { m: DraftMessage; index: number; count: number }) {
  const messages = useDraft((s) => s.messages);
  const { setMessage, removeMessage, moveMessage } = useDraft.getState();
  const problem = useProblem((s) => s.error);
  const field = useProblem((s) => s.field);
  const [imageError, setImageError] = useState<string | null>(null);
  const label = messageLabel(messages, m.id);
  // A template error points at its message (1-based) and line.
  const mine = problem && (field === `msg:${m.id}` || (detailNumber(problem, "message") === index + 1 && detailNumber(problem, "line") !== null)) ? problem : null;
  const problems = useMemo<Problem[]>(() => {
    const line = mine ? detailNumber(mine, "line") : null;
    return mine && line !== null ? [{ line, message: mine.message }] : [];
  }, [mine]);
  const errId = `msg-err-${m.id}`;

  const attach = async (files: FileList | null) => {
    setImageError(null);
    for (const f of Array.from(files ?? [])) {
      if (!/^image\/(png|jpeg|gif|webp)$/.test(f.type)) {
        setImageError(`${f.name} is not a PNG, JPEG, GIF or WebP image`);
        continue;
      }
      if (f.size > IMAGE_LIMIT) {
        setImageError(`${f.name} is larger than 20 MiB`);
        continue;
      }
      const url = await readFileDataUrl(f);
      const cur = useDraft.getState().messages.find((x) => x.id === m.id);
      if (cur) setMessage(m.id, { images: [...cur.images, { name: f.name, url }] });
    }
  };

  return (
    <div className={`message${mine ? " has-problem" : ""}`} data-role={m.role}>
      <div className="message-head">
        <span className="message-role">{label}</span>
        <div className="row gap">
          <button type="button" className="ghost small" onClick={() => moveMessage(m.id, -1)} disabled={index === 0} aria-label={`Move ${label} up`}>
            ↑
          </button>
          <button type="button" className="ghost small" onClick={() => moveMessage(m.id, 1)} disabled={index === count - 1} aria-label={`Move ${label} down`}>
            ↓
          </button>
          {m.role === "user" ? (
            <label className="ghost small file-button">
              Attach image
              <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" multiple onChange={(e) => { void attach(e.target.files); e.target.value = ""; }} aria-label={`Attach an image to ${label}`} />
            </label>
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
      {imageError ? <p className="field-error" role="alert">{imageError}</p> : null}
      {m.images.length ? (
        <ul className="images" aria-label={`Images attached to ${label}`}>
          {m.images.map((img, i) => (
            <li key={i}>
              <img src={img.url} alt={img.name} />
              <span>{img.name}</span>
              <button type="button" className="ghost small" onClick={() => setMessage(m.id, { images: m.images.filter((_, j) => j !== i) })} aria-label={`Remove image ${img.name}`}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function PromptPanel() {
  const messages = useDraft((s) => s.messages);
  const promptName = useDraft((s) => s.promptName);
  const { addMessage, set } = useDraft.getState();
  const prompts = usePrompts();
  const save = useSavePrompt();
  const load = useLoadPrompt();
  const [note, setNote] = useState<string | null>(null);

  return (
    <section className="pane-section prompt-panel" aria-labelledby="prompt-heading">
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
          <MessageEditor key={m.id} m={m} index={i} count={messages.length} />
        ))}
      </div>
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

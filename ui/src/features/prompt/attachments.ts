// Files attached to user messages, as pure logic: the size the window takes, what a part is
// called and how big it is, the messages a prompt is saved as (and read back from), and which
// message an error about files belongs to.
import type { CommandError, Message, Part } from "../../api/types";
import { newFileId, newMessageId, type DraftFile, type DraftMessage } from "../../state/draft";

export const MIB = 1024 * 1024;
/**
 * The largest file the window attaches. Requests to Quarry's local bridge are capped at 64 MiB
 * and base64 makes a file a third larger, so 45 MiB leaves room for the rest of the request.
 */
export const MAX_FILE_BYTES = 45 * MIB;

/** The kinds of file, as people name them. */
export type FileKind = "Image" | "PDF" | "Audio" | "Text";

export function kindOf(p: Part): FileKind {
  switch (p.type) {
    case "image":
      return "Image";
    case "document":
      return "PDF";
    case "audio":
      return "Audio";
    case "text":
      return "Text";
  }
}

const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;

function filesError(message: string, hint: string): CommandError {
  return { code: "invalid_setting", message, details: { setting: "files", hint } };
}

/** Why a file is refused before it is read (too large, empty), or null when it can be attached. */
export function refuseFile(name: string, size: number): CommandError | null {
  if (size > MAX_FILE_BYTES) {
    return filesError(
      `\`${name}\` is ${mib(size)}; the workbench attaches files of at most 45 MiB (its requests are capped at 64 MiB, and a file grows by a third when it is sent)`,
      `send it from the command line instead: \`quarry extract --file ${name}\` takes files of up to 100 MB`,
    );
  }
  if (size === 0) return filesError(`\`${name}\` is empty: there is nothing to send`, "attach a file that has something in it");
  return null;
}

/** The decoded size of a `data:` URL's bytes, or null for an address. */
export function dataUrlBytes(url: string): number | null {
  const m = /^data:[^,]*;base64,/.exec(url);
  if (!m) return null;
  const b64 = url.length - m[0].length;
  const pad = url.endsWith("==") ? 2 : url.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((b64 * 3) / 4) - pad);
}

/** The bytes a part sends, when known. */
export function partBytes(p: Part): number | null {
  return p.type === "text" ? new TextEncoder().encode(p.text).length : dataUrlBytes(p.url);
}

/** A name for a part that carries none (images, text, reopened prompts): from its address, or its kind and number. */
export function partName(p: Part, n: number): string {
  if (p.type !== "text" && p.type !== "image" && p.name) return p.name;
  if (p.type !== "text" && !p.url.startsWith("data:")) {
    const last = p.url.split(/[?#]/)[0]!.split("/").filter(Boolean).pop();
    if (last) return decodeURIComponent(last);
  }
  return `${kindOf(p).toLowerCase()} ${n}`;
}

/** A part as a one-line label in a message's text (`[PDF invoice.pdf]`), for views of the request. */
export function partLabel(p: Part, n = 1): string {
  return p.type === "text" ? p.text : `[${kindOf(p)} ${partName(p, n)}]`;
}

export function draftFile(part: Part, name: string, size: number | null = partBytes(part)): DraftFile {
  return { id: newFileId(), name, size, part };
}

/** A message's content as sent: its text (the template), then its files in order. */
export function contentOf(m: DraftMessage): Part[] {
  return [{ type: "text", text: m.text }, ...m.files.map((f) => f.part)];
}

/** The draft's messages as a prompt is saved: files included (the history stores each large value once). */
export function toMessages(list: readonly DraftMessage[]): Message[] {
  return list.map((m) => ({ role: m.role, content: contentOf(m) }));
}

/**
 * A saved prompt's messages as the draft's: the first text part is the message's text, every
 * later part (an image, PDF, audio, or the text of an attached text file) is a file again.
 */
export function fromMessages(list: readonly Message[]): DraftMessage[] {
  return list
    .filter((m) => m.role === "system" || m.role === "user")
    .map((m) => {
      const first = m.content[0]?.type === "text" ? m.content[0] : null;
      const rest = first ? m.content.slice(1) : m.content;
      const counts = new Map<FileKind, number>();
      const files = rest.map((p) => {
        const k = kindOf(p);
        counts.set(k, (counts.get(k) ?? 0) + 1);
        return draftFile(p, partName(p, counts.get(k)!));
      });
      return { id: newMessageId(), role: m.role as "system" | "user", text: first?.text ?? "", files };
    });
}

/** The user message files dropped on the prompt go to: the one under the pointer, else the last. */
export function dropTarget(messages: readonly DraftMessage[], hovered: string | null): string | null {
  const users = messages.filter((m) => m.role === "user");
  return users.find((m) => m.id === hovered)?.id ?? users[users.length - 1]?.id ?? null;
}

/**
 * The message an error about files (`details.setting === "files"`) belongs to: the one holding
 * a file the message names (in backquotes), else the last user message with files, else the
 * last user message.
 */
export function filesErrorTarget(error: CommandError, messages: readonly DraftMessage[]): string | null {
  const named = new Set([...error.message.matchAll(/`([^`]+)`/g)].map((x) => x[1]!));
  const withNamed = messages.find((m) => m.files.some((f) => named.has(f.name)));
  if (withNamed) return withNamed.id;
  const users = messages.filter((m) => m.role === "user");
  const withFiles = users.filter((m) => m.files.length > 0);
  return (withFiles[withFiles.length - 1] ?? users[users.length - 1])?.id ?? null;
}

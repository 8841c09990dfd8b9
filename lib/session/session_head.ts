/**
 * What `list` needs of a session, read from the head of its file only: the meta, the first
 * user message, and the item count when the whole file fits in the head. Never loads a
 * large journal whole (BENCH.md B5).
 */
import * as fs from "node:fs";
import {
  formatIssue,
  isContextText,
  isDocument,
  normalizeMeta,
  type RolloutFormat,
  SessionMeta,
} from "../schemas/mod.ts";
import { formatOfFirstRecord } from "../formats/mod.ts";
import { isZstd, nodeFileSystem, zstdHead } from "../runtime/mod.ts";
import { isObject, parseJson, plainError } from "../base/mod.ts";

/** The bytes read from the start of a journal. */
export const HEAD_BYTES = 256 * 1024;

/** A session's head; `items` is null when the file is larger than the head. */
export type SessionHead =
  | {
    ok: true;
    format: RolloutFormat;
    meta: SessionMeta;
    items: number | null;
    firstUserText: string | null;
  }
  | { ok: false; message: string };

function parse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

const PREVIEW_CHARS = 80;

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function shorten(text: string, max = PREVIEW_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The text of a user message item, or null for anything else (and for Codex's context blobs). */
export function userText(item: unknown): string | null {
  if (!isObject(item) || item.type !== "message" || item.role !== "user") return null;
  if (!Array.isArray(item.content)) return null;
  const texts: string[] = [];
  for (const part of item.content) {
    if (isObject(part) && typeof part.text === "string") texts.push(part.text);
  }
  const text = texts.join(" ").trim();
  // Context Codex injects is no first message (the same rule as the event_msg mirrors).
  if (text === "" || isContextText(text)) return null;
  return text;
}

function readHead(file: string): { text: string; whole: boolean } {
  // Without blocking: a FIFO in a home (or named as a session) would wait for a writer forever.
  // A FIFO, device or folder is refused here (ENOTREG, EISDIR).
  const fd = nodeFileSystem.open(file, "read");
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, HEAD_BYTES);
    const buffer = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, buffer, done, length - done, done);
      if (n <= 0) break;
      done += n;
    }
    let head: Uint8Array = buffer.subarray(0, done);
    let whole = done === size;
    if (isZstd(head)) {
      // Codex's cold storage (.jsonl.zst): its head is the head of the decompressed file.
      // Only the head is decompressed (SPEC §7), from a prefix of the file.
      const plain = zstdHead((want) => {
        const into = new Uint8Array(Math.min(want, size));
        let got = 0;
        while (got < into.length) {
          const n = fs.readSync(fd, into, got, into.length - got, got);
          if (n <= 0) break;
          got += n;
        }
        return into.subarray(0, got);
      }, HEAD_BYTES + 1) ?? new Uint8Array(0);
      head = plain.subarray(0, HEAD_BYTES);
      whole = plain.length <= HEAD_BYTES;
    }
    const text = new TextDecoder().decode(head).replace(/^\uFEFF/, "");
    return { text, whole };
  } finally {
    fs.closeSync(fd);
  }
}

function metaOf(raw: unknown, format: RolloutFormat): SessionMeta | string {
  const value = format === "codex_jsonl_2025" || isDocument(format)
    ? raw
    : isObject(raw)
    ? raw.payload
    : undefined;
  if (!isObject(value)) return "the session meta is not an object";
  const normalized = normalizeMeta(value);
  const meta = SessionMeta.safeParse(normalized);
  return meta.success ? meta.data : formatIssue(meta.error, normalized);
}

/** Reads the head of a rollout file. I/O errors are returned as `{ ok: false }` too. */
export function readSessionHead(file: string): SessionHead {
  let head: { text: string; whole: boolean };
  try {
    head = readHead(file);
  } catch (error) {
    return { ok: false, message: plainError(error) };
  }
  const newline = head.text.indexOf("\n");
  const first = parse(newline < 0 ? head.text : head.text.slice(0, newline));
  const format = first === undefined ? null : formatOfFirstRecord(first);
  if (format === null || isDocument(format)) return documentHead(file, head, first !== undefined);
  const meta = metaOf(first, format);
  if (typeof meta === "string") return { ok: false, message: `line 1: ${meta}` };
  const lines = head.text.split("\n");
  lines.pop();
  let items = 0;
  let firstUserText: string | null = null;
  for (let i = 1; i < lines.length; i++) {
    const value = parse(lines[i]!);
    if (!isObject(value)) continue;
    let item: unknown;
    if (format === "codex_jsonl_2025") item = value.record_type === undefined ? value : undefined;
    else item = value.type === "response_item" ? value.payload : undefined;
    if (item === undefined) continue;
    items++;
    firstUserText ??= userText(item);
    if (!head.whole && firstUserText !== null) break;
  }
  return { ok: true, format, meta, items: head.whole ? items : null, firstUserText };
}

/** `lineIsJson`: line 1 alone is JSON (then a file that is no document is JSON lines). */
function documentHead(
  file: string,
  head: { text: string; whole: boolean },
  lineIsJson: boolean,
): SessionHead {
  const text = head.whole ? head.text : fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  const doc = parse(text);
  if (doc === undefined) {
    return {
      ok: false,
      message: lineIsJson
        ? "not a rollout (line 1 is not a session meta)"
        : "not a rollout (neither JSON lines nor a JSON document)",
    };
  }
  const format = formatOfFirstRecord(doc);
  if (format === null || !isDocument(format) || !isObject(doc) || !Array.isArray(doc.items)) {
    return { ok: false, message: "not a rollout (line 1 is not a session meta)" };
  }
  const meta = metaOf(doc.session, format);
  if (typeof meta === "string") return { ok: false, message: `session: ${meta}` };
  let firstUserText: string | null = null;
  for (const item of doc.items) {
    firstUserText = userText(item);
    if (firstUserText !== null) break;
  }
  return { ok: true, format, meta, items: doc.items.length, firstUserText };
}

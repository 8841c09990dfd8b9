/**
 * Session titles the way Codex keeps thread names: `<home>/session_index.jsonl`, one
 * `{"id","thread_name","updated_at"}` line per rename, the newest line for an id winning.
 * This file reads them (streamed) and checks titles; `thread_name_writer.ts` writes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { isObject, type LineSink, LineSplitter, parseJson } from "../base/mod.ts";
import { errnoOf, formatIssue, ioError } from "../schemas/mod.ts";

/** One line of the file, as Codex's `SessionIndexEntry` writes it (unknown fields ignored). */
export const SessionIndexEntry = z.object({
  id: z.string().min(1),
  thread_name: z.string(),
  updated_at: z.string(),
});
export type SessionIndexEntry = z.infer<typeof SessionIndexEntry>;

/** A title is at most this many characters (Unicode code points), after trimming. */
export const MAX_TITLE_CHARS = 256;
const MAX_LINE_BYTES = 1 << 20;
const CHUNK = 1 << 16;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Control characters, line and paragraph separators, lone surrogates, bidi overrides. */
export const NOT_ONE_LINE = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u202a-\u202e\u2066-\u2069]/u;

/** `<home>/session_index.jsonl`. */
export function sessionIndexPath(home: string): string {
  return path.join(home, "session_index.jsonl");
}

/** Text quoted for a message (its start, if long), every character not plain text escaped. */
export function quoted(text: string): string {
  const start = text.length > 100 ? `${text.slice(0, 100)}…` : text;
  return JSON.stringify(start).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A title trimmed and checked: one line of text, not empty, not too long. */
export function checkTitle(
  title: string,
): { ok: true; title: string } | { ok: false; error: string } {
  const bad = NOT_ONE_LINE.exec(title);
  if (bad !== null) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    return {
      ok: false,
      error: `Cannot use the title ${
        quoted(title)
      }: it holds U+${code}, and a title is one line of text without control characters`,
    };
  }
  const trimmed = title.trim();
  if (trimmed === "") return { ok: false, error: "Cannot use an empty title" };
  const chars = [...trimmed].length;
  if (chars > MAX_TITLE_CHARS) {
    return {
      ok: false,
      error: `Cannot use a title of ${chars} characters: the most is ${MAX_TITLE_CHARS}`,
    };
  }
  return { ok: true, title: trimmed };
}

/** A session's title as the newest entry for its id says; null: a blank name, none. */
export interface ThreadName {
  /** The session id (a UUID in lower case, as Codex compares them). */
  id: string;
  /** Trimmed; null when the entry's name is blank (the session has no title). */
  name: string | null;
  updated_at: string;
}

/** How far a read got: the file (its inode), and its bytes and lines read. */
export interface IndexPosition {
  ino: number;
  offset: number;
  line: number;
  /**
   * The bytes before `offset` (up to 64, as hex): a file rewritten in place (same inode, as
   * an editor may) holds others there, and is read again from its start.
   */
  tail?: string;
}

/**
 * Whether the file at `file` still ends where `position` was taken, with the same bytes before
 * it: nothing was added, and it was not rewritten in place. (False when it cannot be read.)
 */
export function endsAt(file: string, position: IndexPosition): boolean {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const stat = fs.fstatSync(fd);
      if (stat.ino !== position.ino || stat.size !== position.offset) return false;
      return position.tail === undefined || tailBefore(fd, position.offset) === position.tail;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** How many bytes before a position a tail holds: what must be unchanged for the file not to have been rewritten there. */
export const TAIL_BYTES = 64;

/** The bytes of up to TAIL_BYTES before `offset` in the file open at `fd`, as hex. */
export function tailBefore(fd: number, offset: number): string {
  const length = Math.min(TAIL_BYTES, offset);
  const bytes = new Uint8Array(length);
  const got = fs.readSync(fd, bytes, 0, length, offset - length);
  return Array.from(bytes.subarray(0, got), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What {@linkcode readThreadNames} found. */
export interface ThreadNamesRead {
  /** The newest entry of each id read, in the order of those entries. */
  names: ThreadName[];
  /** Where the next read starts: after the last complete line. */
  position: IndexPosition;
  /**
   * Read from the file's start (no position was given, or the file was replaced or cut since):
   * `names` is all there is, and names read before no longer count.
   */
  whole: boolean;
  /** Lines that are no entry (blank lines aside), numbered in the file. */
  skipped: { line: number; message: string }[];
  /** An unfinished last line (a write in progress, or a crash): left for the next read. */
  tornTail: { line: number; offset: number; bytes: number } | null;
}

/** Codex compares ids as UUIDs: one spelling for each. */
export function idKey(id: string): string {
  return UUID.test(id) ? id.toLowerCase() : id;
}

/** What one line says: an entry, nothing (blank), or why it is no entry. */
export function entryOf(text: string): SessionIndexEntry | null | string {
  if (text.trim() === "") return null;
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    return "not JSON";
  }
  if (!isObject(value)) return "not a JSON object";
  const entry = SessionIndexEntry.safeParse(value);
  return entry.success ? entry.data : formatIssue(entry.error, value);
}

/** Feeds the file from `start` to its end through the line splitter; says how it ended. */
export function scanFile(
  fd: number,
  start: number,
  sink: LineSink,
): ReturnType<LineSplitter["end"]> & { lines: number } {
  const splitter = new LineSplitter(sink, { maxLineBytes: MAX_LINE_BYTES });
  const buffer = new Uint8Array(CHUNK);
  for (let position = start;;) {
    const n = fs.readSync(fd, buffer, 0, CHUNK, position);
    if (n <= 0) break;
    splitter.push(buffer.subarray(0, n));
    position += n;
  }
  return { ...splitter.end(), lines: splitter.lines };
}

/** A descriptor of the index file for reading, or null when there is none. */
export function openIndex(file: string): number | null {
  try {
    return fs.openSync(file, "r");
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === "ENOENT" || errno === "ENOTDIR") return null;
    throw ioError("read", file, error);
  }
}

/**
 * Reads the titles of `<home>/session_index.jsonl`, streamed: the whole file, or only what was
 * appended after `after` (the `position` of an earlier read) while it is the same file. Lines
 * that are no entry and an unfinished last line are reported, never taken. A missing file
 * has no names.
 */
export function readThreadNames(home: string, after?: IndexPosition): ThreadNamesRead {
  const file = sessionIndexPath(home);
  const fd = openIndex(file);
  if (fd === null) {
    return {
      names: [],
      position: { ino: 0, offset: 0, line: 0 },
      whole: true,
      skipped: [],
      tornTail: null,
    };
  }
  try {
    const stat = fs.fstatSync(fd);
    const same = after !== undefined && after.ino === stat.ino && after.offset <= stat.size &&
      (after.tail === undefined || tailBefore(fd, after.offset) === after.tail);
    const from = same ? after! : { ino: stat.ino, offset: 0, line: 0 };
    const names = new Map<string, ThreadName>();
    const skipped: ThreadNamesRead["skipped"] = [];
    const end = scanFile(fd, from.offset, {
      line: (text, lineNo) => {
        const entry = entryOf(text);
        if (typeof entry === "string") skipped.push({ line: from.line + lineNo, message: entry });
        if (entry === null || typeof entry === "string") return;
        const id = idKey(entry.id);
        const name = entry.thread_name.trim();
        names.delete(id);
        names.set(id, { id, name: name === "" ? null : name, updated_at: entry.updated_at });
      },
      bad: (lineNo, reason) =>
        skipped.push({
          line: from.line + lineNo,
          message: reason === "invalid_utf8" ? "not valid UTF-8" : "line is too long",
        }),
    });
    const tail = end.tail;
    return {
      names: [...names.values()],
      position: {
        ino: stat.ino,
        offset: from.offset + end.complete,
        line: from.line + end.lines,
        tail: tailBefore(fd, from.offset + end.complete),
      },
      whole: from.offset === 0,
      skipped,
      tornTail: tail === null ? null : {
        line: from.line + tail.line,
        offset: from.offset + tail.offset,
        bytes: tail.length,
      },
    };
  } catch (error) {
    throw ioError("read", file, error);
  } finally {
    fs.closeSync(fd);
  }
}

/** The names of `<home>/session_index.jsonl`: session id -> its current title. */
export function threadNames(home: string): Map<string, string> {
  const titles = new Map<string, string>();
  for (const { id, name } of readThreadNames(home).names) if (name !== null) titles.set(id, name);
  return titles;
}

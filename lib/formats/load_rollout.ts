/**
 * Reads any of the five rollout formats (SPEC §2.3) into a SavedSession and a report of every
 * piece of damage met. Never modifies the file and never takes its lock.
 */
import { LineSplitter } from "../base/mod.ts";
import { errnoOf, ioError, isDocument, RolloutError, type RolloutFormat } from "../schemas/mod.ts";
import { type FileSystem, nodeFileSystem, readAll } from "../runtime/mod.ts";
import { formatOfFirstRecord } from "./detect_format.ts";
import { LineLoader, type SkippedLine } from "./line_loader.ts";
import type { LoadedRollout, LoadReport } from "./loaded_rollout.ts";
import { BOM_WARNING, invalidRollout, readDocument, tryParseJson } from "./read_document.ts";

export type { SkippedLine } from "./line_loader.ts";
export type { LoadedRollout, LoadReport } from "./loaded_rollout.ts";

/** The default cap on one line, in bytes (SPEC §3). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Options of {@linkcode loadRollout}. */
export interface LoadOptions {
  fs?: FileSystem;
  /** Cap on one line in bytes (default {@linkcode DEFAULT_MAX_LINE_BYTES}). */
  maxLineBytes?: number;
  /** Test-only (writer mutant `no_newline_required`): take a last line without `\n` as whole. */
  acceptUnterminatedLine?: boolean;
}

const CHUNK = 1 << 20;
const NEWLINE = 10;
const CUT_META = "the file ends inside its first line (no usable session meta)";

/**
 * Reads the rollout at `path`. Throws a {@linkcode RolloutError}: `invalid_rollout` when it
 * is no rollout (empty, another kind of file, no usable meta), `not_found`, or `io_error`.
 */
export function loadRollout(path: string, options: LoadOptions = {}): LoadedRollout {
  const fsys = options.fs ?? nodeFileSystem;
  const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let fd: number;
  try {
    fd = fsys.open(path, "read");
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === "EISDIR") throw invalidRollout(path, "it is a folder");
    if (errno === "ENOTREG") throw invalidRollout(path, "it is not a regular file");
    throw ioError("load rollout", path, error);
  }
  try {
    return loadFromFd({ fsys, fd, path, max, unterminated: options.acceptUnterminatedLine });
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    throw ioError("load rollout", path, error);
  } finally {
    fsys.close(fd);
  }
}

interface Source {
  fsys: FileSystem;
  fd: number;
  path: string;
  max: number;
  unterminated?: boolean | undefined;
}

function loadFromFd(src: Source): LoadedRollout {
  if (src.fsys.size(src.fd) === 0) throw invalidRollout(src.path, "the file is empty");
  const first = readFirstLine(src);
  if (first.tooLong) {
    throw invalidRollout(src.path, `line 1 is longer than the limit of ${src.max} bytes`);
  }
  const text = first.text.trim();
  if (!text.startsWith("{")) {
    throw invalidRollout(src.path, "not a rollout (line 1 is not a JSON object)");
  }
  const parsed = tryParseJson(text);
  if (!parsed.ok) {
    if (!first.terminated) throw invalidRollout(src.path, CUT_META);
    return loadDocument(src);
  }
  const format = formatOfFirstRecord(parsed.value);
  if (format === null) {
    throw invalidRollout(src.path, "not a rollout (line 1 is not a session meta)");
  }
  if (isDocument(format)) return loadDocument(src);
  if (!first.terminated) throw invalidRollout(src.path, CUT_META);
  return loadLines(src, format);
}

/** The first line's text, decoded leniently: only for detecting the format. */
function readFirstLine(src: Source): { text: string; terminated: boolean; tooLong: boolean } {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let position = 0;
  for (;;) {
    const buffer = new Uint8Array(CHUNK);
    const n = src.fsys.read(src.fd, buffer, position);
    if (n <= 0) return { text: text + decoder.decode(), terminated: false, tooLong: false };
    const got = buffer.subarray(0, n);
    const newline = got.indexOf(NEWLINE);
    const length = position + (newline < 0 ? n : newline);
    if (length > src.max) return { text: "", terminated: false, tooLong: true };
    if (newline >= 0) {
      text += decoder.decode(got.subarray(0, newline));
      return { text, terminated: true, tooLong: false };
    }
    text += decoder.decode(got, { stream: true });
    position += n;
  }
}

function loadDocument(src: Source): LoadedRollout {
  return readDocument(readAll(src.fsys, src.fd), src.path);
}

function loadLines(src: Source, format: RolloutFormat): LoadedRollout {
  const loader = new LineLoader(format);
  const splitter = new LineSplitter(loader, { maxLineBytes: src.max });
  const buffer = new Uint8Array(CHUNK);
  let position = 0;
  let last = NEWLINE;
  for (;;) {
    const n = src.fsys.read(src.fd, buffer, position);
    if (n <= 0) break;
    splitter.push(buffer.subarray(0, n));
    position += n;
    last = buffer[n - 1]!;
  }
  if (src.unterminated === true && last !== NEWLINE) splitter.push(new Uint8Array([NEWLINE]));
  const end = splitter.end();
  if (loader.meta === null) {
    throw invalidRollout(src.path, `line 1 is not a usable session meta: ${loader.metaError}`);
  }
  const warnings: string[] = [];
  if (end.bom) warnings.push(BOM_WARNING);
  if (end.crlf > 0) warnings.push(`${end.crlf} line(s) end in CRLF`);
  warnings.push(...loader.warnings);
  if (loader.skipped.length > 0) fillOffsets(src, loader.skipped);
  const torn = end.tail === null
    ? null
    : { line: end.tail.line, offset: end.tail.offset, bytes: end.tail.length };
  return {
    path: src.path,
    format,
    saved: { session: loader.meta, items: loader.items, state: loader.state },
    report: {
      format,
      torn_tail: torn,
      skipped_lines: loader.skipped,
      skipped_types: loader.skippedTypes,
      warnings,
    },
    rawMeta: loader.rawMeta,
    rawItems: [],
    end: Math.min(end.complete, position),
    nextOrdinal: loader.nextOrdinal,
  };
}

/** Second pass, only for damaged files: the byte offset of each skipped line. */
function fillOffsets(src: Source, skipped: SkippedLine[]): void {
  const wanted = new Map<number, SkippedLine[]>();
  for (const entry of skipped) {
    if (entry.line === null) continue;
    const list = wanted.get(entry.line) ?? [];
    list.push(entry);
    wanted.set(entry.line, list);
  }
  const buffer = new Uint8Array(CHUNK);
  let position = 0;
  let lineNo = 1;
  let lineStart = 0;
  for (;;) {
    const n = src.fsys.read(src.fd, buffer, position);
    if (n <= 0) return;
    const got = buffer.subarray(0, n);
    let at = 0;
    for (;;) {
      const entries = wanted.get(lineNo);
      if (entries !== undefined) {
        for (const entry of entries) entry.offset = lineStart;
        wanted.delete(lineNo);
        if (wanted.size === 0) return;
      }
      const newline = got.indexOf(NEWLINE, at);
      if (newline < 0) break;
      lineNo++;
      lineStart = position + newline + 1;
      at = newline + 1;
    }
    position += n;
  }
}

/** One line per piece of damage in a load report, for the CLI's stderr. */
export function describeDamage(report: LoadReport): string[] {
  const out: string[] = [];
  if (report.torn_tail !== null) {
    const t = report.torn_tail;
    out.push(`line ${t.line} (byte ${t.offset}): torn tail of ${t.bytes} byte(s) ignored`);
  }
  for (const s of report.skipped_lines) {
    out.push(
      s.line === null ? `${s.message}: skipped` : `line ${s.line} (byte ${s.offset}): ${s.message}`,
    );
  }
  for (const [type, count] of Object.entries(report.skipped_types)) {
    out.push(`${count} record(s) of type "${type}" skipped`);
  }
  out.push(...report.warnings);
  return out;
}

/**
 * Reads any of the five rollout formats (SPEC §2.3) into a SavedSession and a report of every
 * piece of damage met. Never modifies the file and never takes its lock.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { isUtf8 } from "node:buffer";
import { isObject, LineSplitter } from "../base/mod.ts";
import {
  describe,
  errnoOf,
  ioError,
  isDocument,
  isSystemError,
  plainError,
  RolloutError,
  type RolloutFormat,
} from "../schemas/mod.ts";
import {
  type FileSystem,
  isZstd,
  memoryRelief,
  nodeFileSystem,
  noteRead,
  readAll,
  zstdCutShort,
  zstdDecompress,
  ZstdTooLarge,
  zstdToTempFile,
} from "../runtime/mod.ts";
import { formatOfFirstRecord } from "./detect_format.ts";
import {
  type HistoryBase,
  type InheritedHistory,
  LineLoader,
  MISSING_INHERITANCE,
  type RolloutVisitor,
  type SkippedLine,
} from "./line_loader.ts";
import { findRolloutById, sessionsRootOf } from "./rollout_files.ts";
import type { LoadedRollout, LoadReport } from "./loaded_rollout.ts";
import { BOM_WARNING, invalidRollout, readDocument, tryParseJson } from "./read_document.ts";

export type {
  HistoryBase,
  RolloutVisitor,
  SkippedLine,
  SourceRecord,
  TimelineEntry,
} from "./line_loader.ts";
export type { LoadedRollout, LoadReport } from "./loaded_rollout.ts";

/** The default cap on one line, in bytes (SPEC §3). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Options of {@linkcode loadRollout}. */
export interface LoadOptions {
  fs?: FileSystem;
  /** Cap on one line in bytes (default {@linkcode DEFAULT_MAX_LINE_BYTES}). */
  maxLineBytes?: number;
  /** Keep every response item too (`allItems`), besides the effective history. */
  all?: boolean;
  /** Keep every record as stored (`records`), for lossless transforms. */
  records?: boolean;
  /** Keep the items and history markers in file order (`timeline`), for `show`. */
  timeline?: boolean;
  /** Read only this many bytes (the prefix a fork inherits). */
  endByte?: number;
  /** Called with what is read, in file order (see {@linkcode streamRollout}). */
  visit?: RolloutVisitor;
  /**
   * `count`: the effective history is counted (`itemCount`), not kept: `saved.items` stays
   * empty and memory does not grow with the file. `refs`: also where each of its items is
   * stored (`historyRefs`), for {@linkcode replayHistory}.
   */
  history?: "keep" | "count" | "refs";
  /** Read the history a fork inherits (`history_base`); default true. */
  inherit?: boolean;
  /** Keep the records of the history a fork inherits (`inheritedRecords`), for a copy. */
  inheritedRecords?: boolean;
  /**
   * The most a `.jsonl.zst` may decompress to: read whole (loadRollout), 1 GiB by default;
   * streamed through a temporary file (streamRollout), the free space there less 1 GiB.
   */
  zstdMaxBytes?: number;
  /** Told after every chunk: bytes read, of how many, and lines read (a progress line). */
  progress?: ((read: number, total: number, lines: number) => void) | null;
  /**
   * What reads the file keeps nothing of what is parsed and builds little per record (`validate`,
   * a line copy): the collections that keep memory flat can come less often (SPEC §7).
   */
  lean?: boolean;
  /**
   * Line files: asked after every chunk read; true stops the read there. The result is then
   * `partial`: it describes the whole lines read so far, not the file (a copy that learns what
   * it needs from the first lines, then reads the file once as it writes).
   */
  until?: () => boolean;
  /** The descriptor of a compressed rollout's decompressed copy, read in its place (streamRollout). */
  plainCopy?: number;
}

const CHUNK = 1 << 20;
const NEWLINE = 10;
const CUT_META = "the file ends inside its first line (no usable session meta)";
/** How deep a chain of forks inheriting each other's history is followed. */
const MAX_INHERITANCE = 64;

/**
 * Reads the rollout at `path`. Throws a {@linkcode RolloutError}: `invalid_rollout` when it
 * is no rollout (empty, another kind of file, no usable meta), `not_found`, or `io_error`.
 * A zstd-compressed rollout (Codex's `.jsonl.zst`) is read like the plain file.
 */
export function loadRollout(path: string, options: LoadOptions = {}): LoadedRollout {
  return runSync(loadSteps(path, options, []));
}

/**
 * Reads the rollout at `path` as {@linkcode loadRollout} does, handing what it reads to
 * `options.visit` as it goes and awaiting `between()` after every MiB read, so a consumer can
 * write out what it was given (and the memory held stays bounded, SPEC §7). With `history:
 * "count"` and no lists asked for, nothing grows with the file.
 */
export async function streamRollout(
  path: string,
  options: LoadOptions & { between: () => Promise<void> | void },
): Promise<LoadedRollout> {
  // A compressed rollout is unpacked piece by piece into a temporary file first, and that is
  // read: memory stays bounded whatever the size (SPEC §7).
  const copy = options.fs === undefined && startsZstdFile(path)
    ? await plainCopyOf(path, options.zstdMaxBytes)
    : null;
  const steps = loadSteps(path, copy === null ? options : { ...options, plainCopy: copy }, []);
  try {
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
      await options.between();
    }
  } finally {
    // A `between` that failed (a copy's write did) leaves the read where it stood: it is ended,
    // so that it closes the file (nothing is left to end after a read that finished or threw).
    steps.return(undefined as never);
  }
}

/**
 * Decompressed copies of the compressed rollouts read by this process, by path, size and
 * time of change: a command that reads a file twice (load, export) decompresses it once. Each
 * is an unnamed file, gone when the process ends.
 */
const plainCopies = new Map<string, number>();

/**
 * A compressed rollout could not be unpacked into the temporary folder: no fault of the file,
 * and every compressed rollout would fail alike (a command stops at it, `validate` too).
 */
export class TemporaryCopyFailed extends RolloutError {
  constructor(message: string, cause: unknown) {
    super("io_error", message, { cause });
  }
}

/** Whether the file at `path` starts a zstd frame (false when it cannot be read: the load says why). */
function startsZstdFile(path: string): boolean {
  try {
    const fd = nodeFileSystem.open(path, "read");
    try {
      const head = new Uint8Array(4);
      return nodeFileSystem.read(fd, head, 0) === 4 && isZstd(head);
    } finally {
      nodeFileSystem.close(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The descriptor of the unpacked copy of the compressed rollout at `path`, made on first use
 * and kept for the process (see {@linkcode streamRollout}).
 */
export async function plainCopyOf(path: string, maxBytes?: number): Promise<number> {
  const stat = fs.statSync(path);
  const key = `${nodePath.resolve(path)}\0${stat.size}\0${stat.mtimeMs}`;
  const cached = plainCopies.get(key);
  if (cached !== undefined) return cached;
  try {
    const fd = await zstdToTempFile(path, {
      relieve: memoryRelief(),
      ...(maxBytes === undefined ? {} : { maxBytes }),
    });
    plainCopies.set(key, fd);
    return fd;
  } catch (error) {
    if (error instanceof ZstdTooLarge) {
      throw invalidRollout(
        path,
        `${error.message}, more than the free space of the temporary folder; decompress it where there is room (zstd -d "${path}") and read the .jsonl`,
      );
    }
    // A system error is no fault of the rollout: said as an I/O failure, so that nothing
    // calls the file damaged; one of the temporary copy (its folder missing, full, read-only)
    // names that folder, and fails every compressed rollout alike (TemporaryCopyFailed).
    if (isSystemError(error)) {
      const where = (error as { path?: unknown }).path;
      if (typeof where === "string" && nodePath.resolve(where) !== nodePath.resolve(path)) {
        throw new TemporaryCopyFailed(
          `Cannot decompress rollout "${path}": its temporary copy at "${where}" failed: ${
            plainError(error)
          }; set TMPDIR to a folder with room`,
          error,
        );
      }
      throw ioError("decompress rollout", path, error);
    }
    throw invalidRollout(path, `it is not readable zstd (${describe(error)})`);
  }
}

/** Reading as steps: each `yield` comes after a chunk of the file was read. */
type Steps<T> = Generator<void, T, void>;

function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

function* loadSteps(path: string, options: LoadOptions, chain: string[]): Steps<LoadedRollout> {
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
    // The decompressed copy of a compressed rollout (streamRollout) is read in its place.
    const from = options.plainCopy ?? fd;
    let bytes: Bytes = {
      size: Math.min(fsys.size(from), options.endByte ?? Infinity),
      read: (into, position) => fsys.read(from, into, position),
    };
    const compressed = options.plainCopy !== undefined || startsZstd(bytes);
    if (compressed && options.plainCopy === undefined) {
      bytes = decompressed(path, readAll(fsys, fd), options.endByte, options.zstdMaxBytes);
    }
    return yield* loadBytes({
      bytes,
      path,
      max,
      options,
      inherit: options.inherit === false
        ? () => ({ error: "not read" })
        : (base) =>
          inheritedHistory(path, base, { options, chain: [...chain, nodePath.resolve(path)] }),
      compressed,
    });
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    throw ioError("load rollout", path, error);
  } finally {
    fsys.close(fd);
  }
}

/** Random access to a rollout's bytes: the file itself, or its decompressed content. */
interface Bytes {
  size: number;
  read(into: Uint8Array, position: number): number;
}

function startsZstd(bytes: Bytes): boolean {
  const head = new Uint8Array(4);
  return bytes.size >= 4 && bytes.read(head, 0) === 4 && isZstd(head);
}

function decompressed(
  path: string,
  file: Uint8Array,
  endByte: number | undefined,
  maxBytes: number | undefined,
): Bytes {
  let plain: Uint8Array;
  try {
    const cut = zstdCutShort(file);
    if (cut !== null) throw new Error(cut);
    plain = zstdDecompress(file, maxBytes);
  } catch (error) {
    if (error instanceof ZstdTooLarge) {
      throw invalidRollout(
        path,
        `${error.message}, more than rollout holds in memory; decompress it first (zstd -d "${path}") and read the .jsonl`,
      );
    }
    throw invalidRollout(path, `it is not readable zstd (${describe(error)})`);
  }
  return {
    size: Math.min(plain.length, endByte ?? Infinity),
    read: (into, position) => {
      const piece = plain.subarray(position, Math.min(plain.length, position + into.length));
      into.set(piece);
      return piece.length;
    },
  };
}

/**
 * The effective history of the prefix a fork inherits (Codex's `history_base`): the rollout
 * whose file name holds `base.thread_id`, in the same `sessions` folder, read up to
 * `end_byte_offset`.
 */
function inheritedHistory(
  path: string,
  base: HistoryBase,
  ctx: { options: LoadOptions; chain: string[] },
): InheritedHistory | { error: string } {
  if (ctx.chain.length > MAX_INHERITANCE) return { error: "the chain of forks is too long" };
  const found = findRolloutById(sessionsRootOf(path), base.thread_id);
  if (found === null) return { error: "no file of that id in the sessions folder" };
  if (ctx.chain.includes(nodePath.resolve(found))) {
    return { error: `"${found}" inherits from itself` };
  }
  try {
    const parent = runSync(loadSteps(
      found,
      {
        ...(ctx.options.fs === undefined ? {} : { fs: ctx.options.fs }),
        ...(ctx.options.maxLineBytes === undefined
          ? {}
          : { maxLineBytes: ctx.options.maxLineBytes }),
        endByte: base.end_byte_offset,
        ...(ctx.options.records === true || ctx.options.inheritedRecords === true
          ? { records: true }
          : {}),
      },
      ctx.chain,
    ));
    // What the parent could not inherit in turn is missing here too: said, not lost quietly.
    const missing = parent.report.warnings.filter((w) => w.startsWith(MISSING_INHERITANCE));
    const warnings = missing.length === 0 ? {} : { warnings: missing };
    if (parent.records === undefined) return { items: parent.saved.items, ...warnings };
    // Its own inherited records, then its records after its meta.
    const records = [...parent.inheritedRecords ?? [], ...parent.records.slice(1)];
    return { items: parent.saved.items, records, ...warnings };
  } catch (error) {
    return { error: describe(error) };
  }
}

interface Source {
  bytes: Bytes;
  path: string;
  max: number;
  options: LoadOptions;
  inherit: (
    base: HistoryBase,
  ) => InheritedHistory | { error: string };
  compressed: boolean;
}

function* loadBytes(src: Source): Steps<LoadedRollout> {
  if (src.bytes.size === 0) {
    // /proc and /sys files report no size and still have content.
    const probe = new Uint8Array(1);
    if (src.bytes.read(probe, 0) > 0) {
      throw invalidRollout(
        src.path,
        "it reports no size but has content (a /proc or /sys file), so it is no rollout",
      );
    }
    throw invalidRollout(src.path, "the file is empty");
  }
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
  return yield* loadLines(src, format);
}

/** The first line's text, decoded leniently: only for detecting the format. */
function readFirstLine(src: Source): { text: string; terminated: boolean; tooLong: boolean } {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let position = 0;
  for (;;) {
    const buffer = new Uint8Array(Math.min(CHUNK, Math.max(0, src.bytes.size - position)));
    const n = buffer.length === 0 ? 0 : src.bytes.read(buffer, position);
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

function readBytes(bytes: Bytes): Uint8Array {
  const out = new Uint8Array(bytes.size);
  let done = 0;
  while (done < bytes.size) {
    const n = bytes.read(out.subarray(done), done);
    if (n <= 0) break;
    done += n;
  }
  return out.subarray(0, done);
}

function loadDocument(src: Source): LoadedRollout {
  noteRead(src.bytes.size);
  const loaded = visitDocument(src, readDocument(readBytes(src.bytes), src.path));
  loaded.compressed = src.compressed;
  // A document is held whole anyway (SPEC §7): its items are their own references.
  if (src.options.history === "refs") {
    loaded.historyRefs = loaded.saved.items.map((item) => ({ item }));
  }
  if (src.options.all === true) loaded.allItems = [...loaded.saved.items];
  if (src.options.timeline === true) {
    loaded.timeline = loaded.saved.items.map((item) => ({ kind: "item" as const, item }));
  }
  if ((src.options.history ?? "keep") !== "keep") loaded.saved.items = [];
  return loaded;
}

/** Hands a document's meta and items to the visitor: a document is read whole (SPEC §7). */
function visitDocument(src: Source, loaded: LoadedRollout): LoadedRollout {
  const visit = src.options.visit;
  if (visit === undefined) return loaded;
  visit.meta?.(loaded.saved.session, loaded.rawMeta, loaded.format);
  for (const item of loaded.saved.items) {
    visit.item?.(item);
    visit.timeline?.({ kind: "item", item });
  }
  return loaded;
}

function* loadLines(src: Source, format: RolloutFormat): Steps<LoadedRollout> {
  const loader = new LineLoader(format, {
    all: src.options.all === true,
    records: src.options.records === true,
    timeline: src.options.timeline === true,
    inherit: src.inherit,
    history: src.options.history ?? "keep",
    ...(src.options.visit === undefined ? {} : { visit: src.options.visit }),
  });
  const splitter = new LineSplitter(loader, { maxLineBytes: src.max });
  const buffer = new Uint8Array(CHUNK);
  const relieve = memoryRelief({ lean: src.options.lean === true });
  const lineStarts: Array<[number, number]> | null = src.options.history === "refs" ? [] : null;
  let position = 0;
  let last = NEWLINE;
  let stopped = false;
  while (position < src.bytes.size) {
    const room = buffer.subarray(0, Math.min(CHUNK, src.bytes.size - position));
    const n = src.bytes.read(room, position);
    if (n <= 0) break;
    noteRead(n);
    splitter.push(buffer.subarray(0, n));
    if (lineStarts !== null && splitter.lines + 1 !== lineStarts.at(-1)?.[0]) {
      lineStarts.push([splitter.lines + 1, splitter.complete]);
    }
    position += n;
    last = buffer[n - 1]!;
    relieve();
    src.options.progress?.(position, src.bytes.size, splitter.lines);
    if (position < src.bytes.size && src.options.until?.() === true) {
      stopped = true;
      break;
    }
    yield;
  }
  // A whole record that only lacks its `\n` (an editor stripped it, or a crash came between
  // the record's bytes and its line end) is kept; only a part of a record is a torn tail.
  // NUL bytes after it are what a crash leaves of its unsynced line end (the file grew, its
  // data never reached the disk): they are not part of it, and `end` stops before them, so
  // the writer cuts them before it adds the line end.
  // A read stopped early has no last line: the unfinished one is simply not read yet.
  const pending = stopped || last === NEWLINE ? null : splitter.pending();
  const record = pending === null ? 0 : withoutTrailingNuls(pending.bytes);
  const lineEndMissing = pending !== null && record > 0 &&
      isWholeRecord(pending.bytes.subarray(0, record))
    ? { line: pending.line, offset: pending.offset }
    : undefined;
  const nuls = lineEndMissing === undefined ? 0 : pending!.bytes.length - record;
  if (lineEndMissing !== undefined) splitter.endPending(record);
  const end = splitter.end();
  if (loader.meta === null) {
    throw invalidRollout(src.path, `line 1 is not a usable session meta: ${loader.metaError}`);
  }
  const warnings: string[] = [];
  if (end.bom) warnings.push(BOM_WARNING);
  if (end.crlf > 0) warnings.push(`${end.crlf} line(s) end in CRLF`);
  warnings.push(...loader.warnings);
  if (loader.skipped.length > 0 || loader.ordinalErrors.length > 0) {
    fillOffsets(src, [...loader.skipped, ...loader.ordinalErrors]);
  }
  // The NUL bytes after a kept record are reported as the torn tail they are: ignored, and
  // cut by the next write (or a repair).
  const torn = nuls > 0
    ? { line: lineEndMissing!.line, offset: lineEndMissing!.offset + record, bytes: nuls }
    : end.tail === null || stopped
    ? null
    : { line: end.tail.line, offset: end.tail.offset, bytes: end.tail.length };
  const { history } = loader;
  return {
    path: src.path,
    format,
    saved: {
      session: loader.meta,
      items: (src.options.history ?? "keep") === "keep" ? loader.items : [],
      state: loader.state,
    },
    itemCount: loader.items.length,
    ...(history.refs === null ? {} : { historyRefs: history.refs }),
    ...(lineStarts === null ? {} : { lineStarts }),
    report: {
      format,
      torn_tail: torn,
      skipped_lines: loader.skipped,
      skipped_types: loader.skippedTypes,
      warnings,
      ...(lineEndMissing === undefined ? {} : { line_end_missing: lineEndMissing }),
      ...(loader.ordinalErrors.length === 0 ? {} : { ordinal_errors: loader.ordinalErrors }),
      ...(history.compacted + history.rolledBack + history.inherited === 0 ? {} : {
        history: {
          compacted: history.compacted,
          rolled_back: history.rolledBack,
          inherited: history.inherited,
        },
      }),
    },
    recordTypes: loader.recordTypes,
    turnInstructions: loader.turnInstructions,
    rawMeta: loader.rawMeta,
    rawItems: [],
    end: lineEndMissing === undefined
      ? Math.min(end.complete, position)
      : lineEndMissing.offset + record,
    nextOrdinal: loader.nextOrdinal,
    historyMode: loader.historyMode,
    compressed: src.compressed,
    ...(stopped ? { partial: true as const } : {}),
    ...(loader.allItems === null ? {} : { allItems: loader.allItems }),
    ...(loader.records === null ? {} : { records: loader.records }),
    ...(loader.inheritedRecords === null ? {} : { inheritedRecords: loader.inheritedRecords }),
    ...(loader.timeline === null ? {} : { timeline: loader.timeline }),
  };
}

/** The length of `bytes` without the NUL bytes at its end. */
function withoutTrailingNuls(bytes: Uint8Array): number {
  let length = bytes.length;
  while (length > 0 && bytes[length - 1] === 0) length--;
  return length;
}

/** Whether an unterminated last line is a whole JSON object (so no write was cut inside it). */
function isWholeRecord(bytes: Uint8Array): boolean {
  if (!isUtf8(bytes)) return false;
  const parsed = tryParseJson(new TextDecoder().decode(bytes));
  return parsed.ok && isObject(parsed.value);
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
    const n = position >= src.bytes.size ? 0 : src.bytes.read(buffer, position);
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

/** What the loader says of a whole last record without its `\n`. */
export function lineEndMissingText(at: { line: number; offset: number }): string {
  return `line ${at.line} (byte ${at.offset}): the last record has no line end; it is kept, and the next write adds the line end first`;
}

/** One line per piece of damage in a load report, for the CLI's stderr. */
export function describeDamage(report: LoadReport): string[] {
  const out: string[] = [];
  if (report.torn_tail !== null) {
    const t = report.torn_tail;
    out.push(`line ${t.line} (byte ${t.offset}): torn tail of ${t.bytes} byte(s) ignored`);
  }
  if (report.line_end_missing !== undefined) out.push(lineEndMissingText(report.line_end_missing));
  for (const s of report.skipped_lines) {
    out.push(
      s.line === null ? `${s.message}: skipped` : `line ${s.line} (byte ${s.offset}): ${s.message}`,
    );
  }
  for (const s of report.ordinal_errors ?? []) {
    out.push(`line ${s.line} (byte ${s.offset}): ${s.message} (the record is kept)`);
  }
  // Records of other types (event_msg, turn_context, ...) are read, not damage (SPEC §6).
  out.push(...report.warnings);
  return out;
}

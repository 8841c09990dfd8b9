/**
 * Reads any of the five rollout formats (SPEC §2.3) into a SavedSession and a report of every
 * piece of damage met. Never modifies the file and never takes its lock.
 */
import { ioError, RolloutError } from "./errors.ts";
import { type FileSystem, nodeFileSystem, readAll } from "./file_system.ts";
import { formatOfFirstRecord, isDocument, type RolloutFormat } from "./format.ts";
import { formatIssue } from "./issue_path.ts";
import { checkItem, type ResponseItem } from "./items.ts";
import { LineSplitter } from "./line_splitter.ts";
import { EnvelopeLine, LegacyMetaLine, LegacyStateLine } from "./record_lines.ts";
import type { SavedSession } from "./saved_session.ts";
import { SessionDocument } from "./saved_session.ts";
import { normalizeMeta, SessionMeta, SessionState, withoutNulls } from "./session_meta.ts";

/** The default cap on one line, in bytes (SPEC §3). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A line (or document item) that was not loaded. `line`/`offset` are null for documents. */
export interface SkippedLine {
  line: number | null;
  offset: number | null;
  message: string;
}

/** Everything the loader passed over, so nothing is skipped silently. */
export interface LoadReport {
  format: RolloutFormat;
  /** An unterminated last line: what a crash leaves; ignored. */
  torn_tail: { line: number; offset: number; bytes: number } | null;
  skipped_lines: SkippedLine[];
  /** Record types that are not ours (`turn_context`, `event_msg`, ...), counted. */
  skipped_types: Record<string, number>;
  warnings: string[];
}

/** A loaded rollout, with what a writer needs to continue it in its own format. */
export interface LoadedRollout {
  path: string;
  format: RolloutFormat;
  saved: SavedSession;
  report: LoadReport;
  /** The meta exactly as stored (rewritten as is by the document writer). */
  rawMeta: Record<string, unknown>;
  /** Document formats: every stored item, also the ones that failed their schema. */
  rawItems: unknown[];
  /** Line formats: bytes up to the end of the last complete line. */
  end: number;
  /** Journal: the ordinal of the next line. */
  nextOrdinal: number;
}

/** Options of {@linkcode loadRollout}. */
export interface LoadOptions {
  fs?: FileSystem;
  maxLineBytes?: number;
}

const CHUNK = 1 << 20;
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function fail(path: string, reason: string): RolloutError {
  return new RolloutError("invalid_rollout", `Cannot load rollout "${path}": ${reason}`);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads the rollout at `path`. Throws a {@linkcode RolloutError} when it is no rollout. */
export function loadRollout(path: string, options: LoadOptions = {}): LoadedRollout {
  const fsys = options.fs ?? nodeFileSystem;
  const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let fd: number;
  try {
    fd = fsys.open(path, "read");
  } catch (error) {
    throw ioError("load rollout", path, error);
  }
  try {
    return loadFromFd({ fsys, fd, path, max });
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
}

function loadFromFd(src: Source): LoadedRollout {
  const size = src.fsys.size(src.fd);
  if (size === 0) throw fail(src.path, "the file is empty");
  const first = readFirstLine(src);
  const text = first.text.replace(/^\uFEFF/, "").trim();
  if (!text.startsWith("{")) throw fail(src.path, "not a rollout (line 1 is not a JSON object)");
  const parsed = tryParse(text);
  const format = parsed.ok ? formatOfFirstRecord(parsed.value) : null;
  if (format === null || isDocument(format)) {
    if (!parsed.ok && first.terminated === false && format === null && first.wholeFile) {
      throw fail(src.path, "the file ends inside its first line (a torn write)");
    }
    if (parsed.ok && format === null) {
      throw fail(src.path, "line 1 is not a session meta record");
    }
    return loadDocument(src);
  }
  if (!first.terminated) {
    throw fail(src.path, "the file ends inside its first line (a torn write); no usable meta");
  }
  return loadLines(src, format);
}

/** The first line's text (up to `\n`, the cap, or the end of the file). */
function readFirstLine(src: Source): { text: string; terminated: boolean; wholeFile: boolean } {
  const parts: Uint8Array[] = [];
  let position = 0;
  for (;;) {
    const buffer = new Uint8Array(Math.min(CHUNK, src.max + 1));
    const n = src.fsys.read(src.fd, buffer, position);
    if (n <= 0) break;
    const got = buffer.subarray(0, n);
    const newline = got.indexOf(10);
    if (newline >= 0) {
      parts.push(got.subarray(0, newline));
      return { text: decodeLoose(parts), terminated: true, wholeFile: false };
    }
    parts.push(got);
    position += n;
    if (position > src.max) break;
  }
  return { text: decodeLoose(parts), terminated: false, wholeFile: true };
}

function decodeLoose(parts: Uint8Array[]): string {
  const decoder = new TextDecoder("utf-8");
  return parts.map((p) => decoder.decode(p, { stream: true })).join("") + decoder.decode();
}

function loadDocument(src: Source): LoadedRollout {
  const bytes = readAll(src.fsys, src.fd);
  const warnings: string[] = [];
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    throw fail(src.path, "the document is not valid UTF-8");
  }
  if (text.startsWith("\uFEFF")) {
    text = text.slice(1);
    warnings.push("the file starts with a byte order mark");
  }
  const parsed = tryParse(text);
  if (!parsed.ok) throw fail(src.path, "not a rollout (neither JSON lines nor a JSON document)");
  const doc = SessionDocument.safeParse(parsed.value);
  if (!doc.success) throw fail(src.path, formatIssue(doc.error, parsed.value));
  const format: RolloutFormat = doc.data.state === undefined ? "codex_ts_document" : "document";
  const rawMeta = doc.data.session;
  const meta = SessionMeta.safeParse(normalizeMeta(rawMeta));
  if (!meta.success) throw fail(src.path, formatIssue(meta.error, rawMeta, "session"));
  const state = SessionState.safeParse(withoutNulls(doc.data.state ?? {}));
  if (!state.success) throw fail(src.path, formatIssue(state.error, doc.data.state, "state"));
  const items: ResponseItem[] = [];
  const skipped: SkippedLine[] = [];
  doc.data.items.forEach((raw, index) => {
    const check = checkItem(raw, `items[${index}]`);
    if (check.ok) items.push(check.item);
    else skipped.push({ line: null, offset: null, message: check.message });
  });
  return {
    path: src.path,
    format,
    saved: { session: meta.data, items, state: state.data },
    report: { format, torn_tail: null, skipped_lines: skipped, skipped_types: {}, warnings },
    rawMeta,
    rawItems: doc.data.items,
    end: bytes.length,
    nextOrdinal: 0,
  };
}

/** Builds a SavedSession from the lines of a JSONL rollout, recording all it skips. */
class LineLoader {
  readonly format: RolloutFormat;
  readonly items: ResponseItem[] = [];
  readonly skipped: SkippedLine[] = [];
  readonly skippedTypes: Record<string, number> = {};
  meta: SessionMeta | null = null;
  rawMeta: Record<string, unknown> = {};
  metaError = "";
  state: SessionState = {};
  nextOrdinal = 0;

  constructor(format: RolloutFormat) {
    this.format = format;
  }

  line(text: string, lineNo: number): void {
    const parsed = tryParse(text);
    if (!parsed.ok) return this.skip(lineNo, text.trim() === "" ? "empty line" : "not JSON");
    if (!isObject(parsed.value)) return this.skip(lineNo, "not a JSON object");
    if (lineNo === 1) return this.readMeta(parsed.value);
    if (this.format === "codex_jsonl_2025") return this.readLegacy(parsed.value, lineNo);
    return this.readEnvelope(parsed.value, lineNo);
  }

  bad(lineNo: number, reason: "invalid_utf8" | "too_long"): void {
    this.skip(lineNo, reason === "invalid_utf8" ? "not valid UTF-8" : "line is too long");
  }

  skip(lineNo: number, message: string): void {
    if (lineNo === 1) this.metaError = message;
    else this.skipped.push({ line: lineNo, offset: null, message });
    this.nextOrdinal++;
  }

  readMeta(value: Record<string, unknown>): void {
    let raw: unknown = value;
    let where = "";
    if (this.format !== "codex_jsonl_2025") {
      const envelope = EnvelopeLine.safeParse(value);
      if (!envelope.success) {
        this.metaError = formatIssue(envelope.error, value);
        return;
      }
      if (this.format === "journal" && envelope.data.ordinal !== 0) {
        this.skipped.push({ line: 1, offset: null, message: "ordinal of session_meta is not 0" });
      }
      raw = envelope.data.payload;
      where = "payload";
    } else {
      const legacy = LegacyMetaLine.safeParse(value);
      if (!legacy.success) {
        this.metaError = formatIssue(legacy.error, value);
        return;
      }
    }
    if (!isObject(raw)) {
      this.metaError = `${where}: expected an object`;
      return;
    }
    const meta = SessionMeta.safeParse(normalizeMeta(raw));
    if (!meta.success) {
      this.metaError = formatIssue(meta.error, raw, where);
      return;
    }
    this.meta = meta.data;
    this.rawMeta = raw;
    this.nextOrdinal = 1;
  }

  readEnvelope(value: Record<string, unknown>, lineNo: number): void {
    const envelope = EnvelopeLine.safeParse(value);
    if (!envelope.success) return this.skip(lineNo, formatIssue(envelope.error, value));
    const line = envelope.data;
    if (this.format === "journal" && !this.checkOrdinal(line.ordinal, lineNo)) return;
    switch (line.type) {
      case "response_item": {
        const check = checkItem(line.payload, "payload");
        if (check.ok) this.items.push(check.item);
        else this.skipped.push({ line: lineNo, offset: null, message: check.message });
        return;
      }
      case "state": {
        const raw = isObject(line.payload) ? withoutNulls(line.payload) : line.payload;
        const state = SessionState.safeParse(raw);
        if (state.success) this.state = state.data;
        else {this.skipped.push({
            line: lineNo,
            offset: null,
            message: formatIssue(state.error, raw, "payload"),
          });}
        return;
      }
      default:
        this.skippedTypes[line.type] = (this.skippedTypes[line.type] ?? 0) + 1;
    }
  }

  /** Journal ordinals grow by one per line: a repeat is dropped, a gap is reported. */
  checkOrdinal(ordinal: number | undefined, lineNo: number): boolean {
    const expected = this.nextOrdinal;
    if (ordinal === undefined) {
      this.skip(lineNo, "ordinal is missing");
      return false;
    }
    if (ordinal < expected) {
      this.skipped.push({
        line: lineNo,
        offset: null,
        message: `ordinal ${ordinal} repeats an earlier line (expected ${expected})`,
      });
      return false;
    }
    if (ordinal > expected) {
      this.skipped.push({
        line: lineNo,
        offset: null,
        message: `ordinal jumps from ${expected - 1} to ${ordinal}: ${
          ordinal - expected
        } record(s) missing`,
      });
    }
    this.nextOrdinal = ordinal + 1;
    return true;
  }

  readLegacy(value: Record<string, unknown>, lineNo: number): void {
    if (value.record_type === "state") {
      const state = LegacyStateLine.safeParse(value);
      if (!state.success) return this.skip(lineNo, formatIssue(state.error, value));
      const id = state.data.previous_response_id;
      this.state = typeof id === "string" ? { previous_response_id: id } : {};
      return;
    }
    if (typeof value.record_type === "string") {
      this.skippedTypes[value.record_type] = (this.skippedTypes[value.record_type] ?? 0) + 1;
      return;
    }
    const check = checkItem(value, "(item)");
    if (check.ok) this.items.push(check.item);
    else this.skipped.push({ line: lineNo, offset: null, message: check.message });
  }
}

function loadLines(src: Source, format: RolloutFormat): LoadedRollout {
  const loader = new LineLoader(format);
  const splitter = new LineSplitter(loader, { maxLineBytes: src.max });
  const buffer = new Uint8Array(CHUNK);
  let position = 0;
  for (;;) {
    const n = src.fsys.read(src.fd, buffer, position);
    if (n <= 0) break;
    splitter.push(buffer.subarray(0, n));
    position += n;
  }
  const end = splitter.end();
  if (loader.meta === null) {
    throw fail(src.path, `line 1 is not a usable session meta: ${loader.metaError || "missing"}`);
  }
  const warnings: string[] = [];
  if (end.bom) warnings.push("the file starts with a byte order mark");
  if (end.crlf > 0) warnings.push(`${end.crlf} line(s) end in CRLF`);
  if (loader.skipped.length > 0) fillOffsets(src, loader.skipped);
  const torn = end.tail === null
    ? null
    : { line: end.tail.line, offset: end.tail.offset, bytes: end.tail.bytes.length };
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
    end: end.complete,
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
    if (n <= 0) break;
    let at = 0;
    for (;;) {
      for (const entry of wanted.get(lineNo) ?? []) entry.offset = lineStart;
      wanted.delete(lineNo);
      if (wanted.size === 0) return;
      const newline = buffer.subarray(0, n).indexOf(10, at);
      if (newline < 0) break;
      lineNo++;
      lineStart = position + newline + 1;
      at = newline + 1;
    }
    position += n;
  }
}

/** A one-line description of a load report's damage, for the CLI's stderr. */
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

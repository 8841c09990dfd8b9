/**
 * `rollout redact` (SPEC §9): rewrites a stored rollout with its secrets replaced, under its
 * writer lock. A first read finds and counts them; only then, if there are any, the original
 * gets a second name (`PATH.unredacted-<time>`, unless not kept) and a second read writes the
 * redacted copy that replaces PATH atomically. Every record stays, byte for byte, except the
 * string values that held a secret. Lines are streamed: any size in bounded memory. An archive
 * (`.jsonl.zst`) is read as it is decompressed, and restored to its `.jsonl` before a rewrite.
 */
import * as fs from "node:fs";
import { LineSplitter } from "../base/mod.ts";
import { DEFAULT_MAX_LINE_BYTES, loadRollout } from "../formats/mod.ts";
import {
  mayHoldSecret,
  type RedactionCounts,
  redactJsonText,
  redactText,
} from "../redaction/mod.ts";
import {
  ioError,
  isDocument,
  isSystemError,
  RolloutError,
  type RolloutFormat,
} from "../schemas/mod.ts";
import { nodeFileSystem, zstdFilePieces } from "../runtime/mod.ts";
import {
  atomicReplace,
  atomicWrite,
  plainPathOf,
  type Put,
  restoreRollout,
  WriterLock,
} from "../store/mod.ts";
import { keepOriginal } from "./keep_original.ts";

/** What a redaction found and did. */
export interface RedactResult {
  path: string;
  format: RolloutFormat;
  /** Secrets found, by rule. */
  counts: RedactionCounts;
  /** Lines of a line file (1 for a document). */
  records: number;
  /** Of those, the ones holding a secret. */
  changed: number;
  /** Where the original is kept; null when nothing was rewritten or it was not kept. */
  original: string | null;
  /** True when only counted (`--dry-run`): nothing was changed. */
  dryRun: boolean;
  /** A dry run's note that a writer holds the session (a real run is refused then), or null. */
  heldBy: string | null;
  /** The archive (`.jsonl.zst`) restored to `path` before it was redacted, or null. */
  restoredFrom: string | null;
}

/** Progress callback of one read: bytes read, bytes in all, lines so far. */
type Tick = (read: number, total: number, lines: number) => void;

/** Options of {@linkcode redactRollout}. */
export interface RedactOptions {
  pid: number;
  now: Date;
  /** Count only; change nothing (no lock is taken: a reader). */
  dryRun?: boolean;
  /** Keep the original as `PATH.unredacted-<time>` (default true). */
  keep?: boolean;
  /** Progress of the first read (finding) and of the second (writing). */
  progress?: (phase: "finding" | "writing") => Tick | null;
}

/** One line or document, redacted: a JSON text in its strings only, other text as text. */
function redactRecordText(text: string, counts: RedactionCounts): string {
  if (!mayHoldSecret(text)) return text;
  try {
    JSON.parse(text);
  } catch {
    return redactText(text, counts); // a damaged line: no structure to keep
  }
  return redactJsonText(text, counts);
}

/**
 * Redacts lines as their bytes come, handing each to `put` (null: count only). Lines that are
 * not UTF-8 or too long cannot be rewritten faithfully: `refused` says which.
 */
class LineRedactor {
  records = 0;
  changed = 0;
  refused: string | null = null;
  readonly #put: Put | null;
  readonly #counts: RedactionCounts;
  readonly #splitter: LineSplitter;

  constructor(put: Put | null, counts: RedactionCounts) {
    this.#put = put;
    this.#counts = counts;
    this.#splitter = new LineSplitter({
      // Given back as it was: its `\r\n`, and line 1's byte order mark.
      line: (text, _lineNo, form) =>
        this.#take(text, form.cr ? "\r\n" : "\n", form.bom ? "\ufeff" : ""),
      bad: (lineNo, reason) => {
        this.refused ??= `line ${lineNo} is ${
          reason === "too_long" ? `longer than ${DEFAULT_MAX_LINE_BYTES} bytes` : "not valid UTF-8"
        }`;
      },
    }, { maxLineBytes: DEFAULT_MAX_LINE_BYTES });
  }

  get lines(): number {
    return this.#splitter.lines;
  }

  #take(text: string, end: string, bom = ""): void {
    this.records++;
    const clean = redactRecordText(text, this.#counts);
    if (clean !== text) this.changed++;
    this.#put?.(bom + clean + end);
  }

  /** Takes the next bytes; false once a line was refused (read no further). */
  push(bytes: Uint8Array): boolean {
    this.#splitter.push(bytes);
    return this.refused === null;
  }

  /** The end of the input: the counts, or an error naming the line that was refused. */
  finish(file: string): { records: number; changed: number } {
    const { tail } = this.#splitter.end();
    if (this.refused === null && tail !== null) {
      // A torn tail stays one (redacted): the next writer cuts it, as it would have.
      if (tail.bytes === null) this.refused = `line ${tail.line} is too long`;
      else {
        try {
          // (Its bytes as they are: a byte order mark or `\r` stays.)
          const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
          this.#take(decoder.decode(tail.bytes), "");
        } catch {
          this.refused = `line ${tail.line} is not valid UTF-8`;
        }
      }
    }
    if (this.refused !== null) {
      throw new RolloutError(
        "invalid_rollout",
        `Cannot redact "${file}": ${this.refused}; rollout repair can rewrite it first`,
      );
    }
    return { records: this.records, changed: this.changed };
  }
}

/** A descriptor of `file` open to read, or an error naming it. */
function openToRead(file: string): number {
  try {
    return fs.openSync(file, "r");
  } catch (error) {
    throw ioError("read rollout", file, error);
  }
}

/** Reads the lines of `file`, redacting each, and hands them to `put` (null: count only). */
function redactLines(
  file: string,
  put: Put | null,
  counts: RedactionCounts,
  tick: Tick | null,
): { records: number; changed: number } {
  const lines = new LineRedactor(put, counts);
  const fd = openToRead(file);
  try {
    const total = fs.fstatSync(fd).size;
    const buffer = new Uint8Array(1 << 20);
    let read = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      read += n;
      if (!lines.push(buffer.subarray(0, n))) break;
      tick?.(read, total, lines.lines);
    }
  } catch (error) {
    throw ioError("read rollout", file, error);
  } finally {
    fs.closeSync(fd);
  }
  return lines.finish(file);
}

/** The secrets of an archived rollout (`.jsonl.zst`), counted as it is decompressed. */
async function countArchived(
  file: string,
  counts: RedactionCounts,
  tick: Tick | null,
): Promise<{ records: number; changed: number }> {
  const lines = new LineRedactor(null, counts);
  const fd = openToRead(file);
  try {
    const total = fs.fstatSync(fd).size;
    let read = 0;
    for await (const piece of zstdFilePieces(fd)) {
      read += piece.length;
      if (!lines.push(piece)) break;
      tick?.(Math.min(read, total), total, lines.lines);
    }
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    if (isSystemError(error)) throw ioError("read rollout", file, error);
    throw new RolloutError(
      "invalid_rollout",
      `Cannot redact "${file}": zstd cannot decompress it (${(error as Error).message})`,
    );
  } finally {
    fs.closeSync(fd);
  }
  return lines.finish(file);
}

/** Takes the writer lock of `file` for a rewrite, with a `locked` error that says why. */
function lockFor(file: string, pid: number): WriterLock {
  try {
    return WriterLock.acquire(file, { pid });
  } catch (error) {
    if (!(error instanceof RolloutError) || error.code !== "locked") throw error;
    throw new RolloutError(
      "locked",
      `Cannot redact "${file}": a writer holds it (${
        WriterLock.heldBy(file) ?? "another process"
      }); run redact once that session is closed`,
      { cause: error },
    );
  }
}

/** Finds the secrets of the rollout `file` and, unless a dry run, rewrites it without them. */
export async function redactRollout(file: string, options: RedactOptions): Promise<RedactResult> {
  if (plainPathOf(file) !== null) return await redactArchived(file, options);
  const dryRun = options.dryRun === true;
  const lock = dryRun ? null : lockFor(file, options.pid);
  try {
    // What the file is: a rollout (anything else is refused unchanged), and which format.
    const loaded = loadRollout(file, { history: "count" });
    if (loaded.compressed) {
      throw new RolloutError(
        "invalid_rollout",
        `Cannot redact "${file}": it holds zstd-compressed data under a plain name; rename it to end in .jsonl.zst, then redact it`,
      );
    }
    const counts: RedactionCounts = {};
    const result: RedactResult = {
      path: file,
      format: loaded.format,
      counts,
      records: 0,
      changed: 0,
      original: null,
      dryRun,
      heldBy: dryRun ? WriterLock.heldBy(file) : null,
      restoredFrom: null,
    };
    const document = isDocument(loaded.format);
    let text = "";
    if (document) {
      text = readText(file);
      result.records = 1;
      result.changed = redactRecordText(text, counts) === text ? 0 : 1;
    } else {
      Object.assign(result, redactLines(file, null, counts, options.progress?.("finding") ?? null));
    }
    if (dryRun || result.changed === 0) return result;
    if (options.keep !== false) {
      result.original = keepOriginal(file, { now: options.now, as: "unredacted" });
    }
    try {
      if (document) {
        const bytes = new TextEncoder().encode(redactRecordText(text, {}));
        atomicReplace(nodeFileSystem, file, { bytes, sync: true });
      } else {
        const tick = options.progress?.("writing") ?? null;
        await atomicWrite(nodeFileSystem, file, { sync: true }, (put) => {
          redactLines(file, put, {}, tick);
        });
      }
    } catch (error) {
      if (error instanceof RolloutError) throw error;
      throw ioError("replace rollout", file, error);
    }
    return result;
  } finally {
    lock?.release();
  }
}

/**
 * An archived rollout (`.jsonl.zst`): its secrets counted as it is decompressed; when it holds
 * some and this is no dry run, it is restored to its `.jsonl` (as a writer restores it, safely)
 * and that is redacted. An archive without secrets stays as it is.
 */
async function redactArchived(file: string, options: RedactOptions): Promise<RedactResult> {
  const plain = plainPathOf(file)!;
  const loaded = loadRollout(file, { history: "count" });
  const counts: RedactionCounts = {};
  const found = await countArchived(file, counts, options.progress?.("finding") ?? null);
  const dryRun = options.dryRun === true;
  if (dryRun || found.changed === 0) {
    return {
      path: file,
      format: loaded.format,
      counts,
      ...found,
      original: null,
      dryRun,
      heldBy: dryRun ? WriterLock.heldBy(plain) : null,
      restoredFrom: null,
    };
  }
  const restored = await restoreRollout(file, { pid: options.pid });
  if (restored.status === "skipped") {
    throw new RolloutError(
      "locked",
      `Cannot redact "${file}": ${restored.message}; run redact once that is done`,
    );
  }
  return { ...(await redactRollout(plain, options)), restoredFrom: file };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw ioError("read rollout", file, error);
  }
}

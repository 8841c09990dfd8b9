/**
 * `rollout redact` (SPEC §9): rewrites a stored rollout with its secrets replaced, under its
 * writer lock. A first read finds and counts them; only then, if there are any, the original
 * gets a second name (`PATH.unredacted-<time>`, unless not kept) and a second read writes the
 * redacted copy that replaces PATH atomically. Every record stays, byte for byte, except the
 * string values that held a secret. Lines are streamed: any size in bounded memory.
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
import { ioError, isDocument, RolloutError, type RolloutFormat } from "../schemas/mod.ts";
import { nodeFileSystem } from "../runtime/mod.ts";
import { atomicReplace, atomicWrite, type Put, WriterLock } from "../store/mod.ts";
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
 * Reads the lines of `file`, redacting each, and hands them to `put` (null: count only).
 * Lines that are not UTF-8 or too long cannot be rewritten faithfully: refused.
 */
function redactLines(
  file: string,
  put: Put | null,
  counts: RedactionCounts,
  tick: Tick | null,
): { records: number; changed: number } {
  let records = 0;
  let changed = 0;
  let refused: string | null = null;
  const take = (text: string, end: string) => {
    records++;
    const clean = redactRecordText(text, counts);
    if (clean !== text) changed++;
    put?.(clean + end);
  };
  const splitter = new LineSplitter({
    line: (text) => take(text, "\n"),
    bad: (lineNo, reason) => {
      refused ??= `line ${lineNo} is ${
        reason === "too_long" ? `longer than ${DEFAULT_MAX_LINE_BYTES} bytes` : "not valid UTF-8"
      }`;
    },
  }, { maxLineBytes: DEFAULT_MAX_LINE_BYTES });
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (error) {
    throw ioError("read rollout", file, error);
  }
  try {
    const total = fs.fstatSync(fd).size;
    const buffer = new Uint8Array(1 << 20);
    let read = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      read += n;
      splitter.push(buffer.subarray(0, n));
      if (refused !== null) break;
      tick?.(read, total, splitter.lines);
    }
  } catch (error) {
    throw ioError("read rollout", file, error);
  } finally {
    fs.closeSync(fd);
  }
  const { tail } = splitter.end();
  if (refused === null && tail !== null) {
    // A torn tail stays one (redacted): the next writer cuts it, as it would have.
    if (tail.bytes === null) refused = `line ${tail.line} is too long`;
    else {
      try {
        take(new TextDecoder("utf-8", { fatal: true }).decode(tail.bytes), "");
      } catch {
        refused = `line ${tail.line} is not valid UTF-8`;
      }
    }
  }
  if (refused !== null) {
    throw new RolloutError(
      "invalid_rollout",
      `Cannot redact "${file}": ${refused}; rollout repair can rewrite it first`,
    );
  }
  return { records, changed };
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
  const dryRun = options.dryRun === true;
  const lock = dryRun ? null : lockFor(file, options.pid);
  try {
    // What the file is: a rollout (anything else is refused unchanged), and which format.
    const loaded = loadRollout(file, { history: "count" });
    if (loaded.compressed) {
      throw new RolloutError(
        "invalid_rollout",
        `Cannot redact "${file}": it is zstd-compressed (Codex's cold storage); restore it first (zstd -d --rm "${file}"), then redact the .jsonl`,
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

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw ioError("read rollout", file, error);
  }
}

/**
 * `rollout repair` (SPEC §5): rewrites a damaged rollout with what can be read. The original
 * gets a second name (`PATH.corrupt-<time>`, a hard link) before the clean copy replaces PATH
 * atomically, so a crash at any point leaves PATH readable and the original kept.
 */
import * as fs from "node:fs";
import { atomicReplace, WriterLock } from "../store/mod.ts";
import {
  describeDamage,
  documentItemText,
  encodeDocument,
  type LoadedRollout,
  loadRollout,
  type SkippedLine,
} from "../formats/mod.ts";
import { LineSplitter, parseJson } from "../base/mod.ts";
import { checkItem, errnoOf, ioError, isDocument } from "../schemas/mod.ts";
import { nodeFileSystem } from "../runtime/mod.ts";

/** What a repair did. */
export interface RepairResult {
  loaded: LoadedRollout;
  /** Null when the file had no damage and was left alone. */
  original: string | null;
  /** Items in the clean copy. */
  kept: number;
  /** What was left out, one line each. */
  dropped: string[];
  /** Findings that were fixed without dropping anything (renumbered ordinals). */
  fixed: string[];
}

const GAP = /^ordinal jumps /;
const encoder = new TextEncoder();

/** Repairs `file` under its writer lock. Throws when it is no rollout at all (nothing changed). */
export function repairRollout(file: string, options: { pid: number; now: Date }): RepairResult {
  const lock = WriterLock.acquire(file, { pid: options.pid });
  try {
    const loaded = loadRollout(file);
    const report = loaded.report;
    if (report.torn_tail === null && report.skipped_lines.length === 0) {
      return { loaded, original: null, kept: loaded.saved.items.length, dropped: [], fixed: [] };
    }
    const isFix = (s: SkippedLine) => s.line === 1 || GAP.test(s.message);
    const dropList = report.skipped_lines.filter((s) => !isFix(s));
    const fixed = report.skipped_lines.filter(isFix)
      .map((s) => `line ${s.line} (byte ${s.offset}): ${s.message}; renumbered`);
    const bytes = isDocument(loaded.format) ? cleanDocument(loaded) : cleanLines(loaded, dropList);
    const none = { ...report, torn_tail: null, skipped_lines: [], skipped_types: {}, warnings: [] };
    const dropped = [
      ...describeDamage({ ...none, skipped_lines: dropList }),
      ...describeDamage({ ...none, torn_tail: report.torn_tail }),
    ];
    const original = keepOriginal(file, options.now);
    try {
      atomicReplace(nodeFileSystem, file, { bytes, sync: true });
    } catch (error) {
      throw ioError("replace rollout", file, error);
    }
    return { loaded, original, kept: loaded.saved.items.length, dropped, fixed };
  } finally {
    lock.release();
  }
}

function cleanDocument(loaded: LoadedRollout): Uint8Array {
  const kept = loaded.rawItems.filter((raw, i) => checkItem(raw, `items[${i}]`).ok);
  const state = loaded.saved.state;
  const keepState = loaded.format === "document" || state.previous_response_id !== undefined;
  const text = encodeDocument({
    meta: loaded.rawMeta,
    itemTexts: kept.map(documentItemText),
    state: keepState ? state : null,
  });
  return encoder.encode(text);
}

/** The readable lines of a line-format file; journal ordinals renumbered from 0. */
function cleanLines(loaded: LoadedRollout, dropList: readonly SkippedLine[]): Uint8Array {
  const drop = new Set(dropList.map((s) => s.line));
  const journal = loaded.format === "journal";
  const out: string[] = [];
  const splitter = new LineSplitter({
    line(text, lineNo) {
      if (lineNo !== 1 && drop.has(lineNo)) return;
      if (!journal) {
        out.push(`${text}\n`);
        return;
      }
      const record = parseJson(text) as Record<string, unknown>;
      record.ordinal = out.length;
      out.push(`${JSON.stringify(record)}\n`);
    },
    bad() {
      // Undecodable and oversized lines are left out; the load report lists them already.
    },
  }, { maxLineBytes: Number.MAX_SAFE_INTEGER });
  const fd = fs.openSync(loaded.path, "r");
  try {
    const buffer = new Uint8Array(1 << 20);
    let position = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (n <= 0) break;
      splitter.push(buffer.subarray(0, n));
      position += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  splitter.end();
  return encoder.encode(out.join(""));
}

/** Gives the original a second name beside it; a copy where hard links are not possible. */
function keepOriginal(file: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 0; n < 100; n++) {
    const name = `${file}.corrupt-${stamp}${n === 0 ? "" : `-${n}`}`;
    try {
      fs.linkSync(file, name);
      return name;
    } catch (error) {
      const code = errnoOf(error);
      if (code === "EEXIST") continue;
      if (code !== "EPERM" && code !== "EXDEV" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") {
        throw ioError("keep the original of", file, error);
      }
    }
    copyDurably(file, name);
    return name;
  }
  throw ioError("keep the original of", file, Object.assign(new Error("too many copies"), {}));
}

function copyDurably(from: string, to: string): void {
  try {
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
    const fd = fs.openSync(to, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw ioError("keep the original of", from, error);
  }
}

/**
 * `rollout repair` (SPEC §5): rewrites a damaged rollout with what can be read. The original
 * gets a second name (`PATH.corrupt-<time>`, a hard link) before the clean copy replaces PATH
 * atomically, so a crash at any point leaves PATH readable and the original kept.
 */
import * as fs from "node:fs";
import { atomicReplace, atomicWrite, WriterLock } from "../store/mod.ts";
import {
  describeDamage,
  documentItemText,
  encodeDocument,
  encodeRecordLines,
  type LoadedRollout,
  loadRollout,
  RecordLineEncoder,
} from "../formats/mod.ts";
import { checkItem, ioError, isDocument, RolloutError } from "../schemas/mod.ts";
import { nodeFileSystem } from "../runtime/mod.ts";
import { keepOriginal } from "./keep_original.ts";
import { salvage } from "./salvage.ts";

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

const encoder = new TextEncoder();

/**
 * Repairs `file` under its writer lock. Throws when it is no rollout at all (nothing changed).
 * A line file keeps every record it holds, whatever its type (SPEC §6): only lines that are
 * no record at all and a torn tail go; a paginated file's ordinals are renumbered.
 */
export async function repairRollout(
  file: string,
  options: {
    pid: number;
    now: Date;
    /** A progress line's callback, for each read (SPEC §7). */
    progress?: ((read: number, total: number, lines: number) => void) | null;
  },
): Promise<RepairResult> {
  const lock = WriterLock.acquire(file, { pid: options.pid });
  try {
    let loaded: LoadedRollout;
    try {
      // Counted, not kept: the clean copy is written from a second read (SPEC §7).
      loaded = loadRollout(file, { history: "count", progress: options.progress ?? null });
    } catch (error) {
      // No usable meta, or a document that does not parse: save what can be read, if anything.
      if (!(error instanceof RolloutError) || error.code !== "invalid_rollout") throw error;
      const saved = salvageFile(file, options.now);
      if (saved === null) throw error;
      return saved;
    }
    if (loaded.compressed) {
      throw new RolloutError(
        "invalid_rollout",
        `Cannot repair "${file}": it is zstd-compressed (Codex's cold storage); decompress it first (zstd -d --rm "${file}"), then repair the .jsonl`,
      );
    }
    const report = loaded.report;
    // A record whose item fails its schema is one Codex cannot decode either (the item
    // types rollout checks are Codex's, with Codex's required fields): it goes too.
    const dropList = report.skipped_lines;
    const ordinals = report.ordinal_errors ?? [];
    const document = isDocument(loaded.format);
    const lineEnd = report.line_end_missing;
    const damaged = report.torn_tail !== null || ordinals.length > 0 || dropList.length > 0 ||
      lineEnd !== undefined;
    if (!damaged) {
      return { loaded, original: null, kept: loaded.itemCount, dropped: [], fixed: [] };
    }
    const fixed = ordinals.map((s) =>
      `line ${s.line} (byte ${s.offset}): ${s.message}; renumbered`
    );
    if (lineEnd !== undefined) {
      fixed.push(`line ${lineEnd.line} (byte ${lineEnd.offset}): the missing line end was added`);
    }
    const skipped = new Set(dropList.map((s) => s.line));
    const none = { ...report, torn_tail: null, skipped_lines: [], skipped_types: {}, warnings: [] };
    const { ordinal_errors: _o, line_end_missing: _e, ...quiet } = none;
    const dropped = [
      ...describeDamage({ ...quiet, skipped_lines: dropList }),
      ...describeDamage({ ...quiet, torn_tail: report.torn_tail }),
    ];
    const original = keepOriginal(file, { now: options.now, as: "corrupt" });
    try {
      if (document) {
        atomicReplace(nodeFileSystem, file, { bytes: cleanDocument(loaded), sync: true });
      } else {
        await atomicWrite(nodeFileSystem, file, { sync: true }, (put) => {
          cleanLines(loaded, skipped, put, options.progress ?? null);
        });
      }
    } catch (error) {
      if (error instanceof RolloutError) throw error;
      throw ioError("replace rollout", file, error);
    }
    return { loaded, original, kept: loaded.itemCount, dropped, fixed };
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

/**
 * Every record of a line file, re-encoded as stored: Codex 2025 lines bare, enveloped lines
 * with their timestamps and fields (a line that needs no change as it is, byte for byte); a
 * paginated file's ordinals renumbered from its start. Read again from the file and handed to
 * `put` record by record.
 */
function cleanLines(
  loaded: LoadedRollout,
  skipped: ReadonlySet<number | null>,
  put: (text: string) => void,
  progress: ((read: number, total: number, lines: number) => void) | null,
): void {
  const bare = loaded.format === "codex_jsonl_2025";
  const base = loaded.rawMeta.history_base;
  const start = typeof base === "object" && base !== null &&
      typeof (base as { end_ordinal_exclusive?: unknown }).end_ordinal_exclusive === "number"
    ? (base as { end_ordinal_exclusive: number }).end_ordinal_exclusive
    : 0;
  const encoder = new RecordLineEncoder({
    meta: loaded.rawMeta,
    fallbackTimestamp: loaded.saved.session.timestamp,
    ordinals: loaded.historyMode === "paginated" ? { renumber: true, start } : { renumber: false },
    mirrors: false,
  });
  loadRollout(loaded.path, {
    history: "count",
    inherit: false,
    progress,
    visit: {
      record: (record, text) => {
        if (skipped.has(record.line)) return;
        if (bare) put(`${JSON.stringify(record.payload)}\n`);
        else if (record.line === 1) put(encoder.meta(record));
        else encoder.put(record, text, put);
      },
    },
  });
}

/**
 * Rewrites `file` with what `salvage` saves of it, keeping the original beside it; null when
 * nothing of a rollout can be read from it (the file is left alone).
 */
function salvageFile(file: string, now: Date): RepairResult | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const saved = salvage(file, text);
  if (saved === null) return null;
  const meta = saved.kind === "lines" ? { ...saved.meta, history_mode: "paginated" } : saved.meta;
  const bytes = encoder.encode(
    saved.kind === "document"
      ? encodeDocument({
        meta,
        itemTexts: saved.items.map(documentItemText),
        state: saved.state ?? {},
      })
      : encodeRecordLines(
        saved.records.map((r) => ({ ...r, line: 0, ordinal: undefined, extra: null, bare: false })),
        {
          meta,
          fallbackTimestamp: saved.meta.timestamp,
          ordinals: { renumber: true, start: 0 },
          mirrors: false,
        },
      ).text,
  );
  const original = keepOriginal(file, { now, as: "corrupt" });
  try {
    atomicReplace(nodeFileSystem, file, { bytes, sync: true });
  } catch (error) {
    throw ioError("replace rollout", file, error);
  }
  return {
    loaded: loadRollout(file),
    original,
    kept: saved.items.length,
    dropped: [],
    fixed: [`the session meta could not be read; rebuilt with ${saved.rebuilt.join(" and ")}`],
  };
}

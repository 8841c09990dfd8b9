/**
 * Writes a copy of a loaded rollout to a new file (convert, export -o, fork) through the
 * recorder, so the copy is synced, 0600, locked while written and never replaces an existing
 * file. A line copy keeps every record (SPEC §6); a document keeps the effective history.
 */
import {
  encodeRecordLines,
  hasMessageEvents,
  historyPrefix,
  type LoadedRollout,
  type SourceRecord,
} from "../../formats/mod.ts";
import type { Io } from "../../runtime/mod.ts";
import type { SessionMeta } from "../../schemas/mod.ts";
import { codexMetaOf, RolloutRecorder } from "../../store/mod.ts";
import { refuseExisting } from "./context.ts";

/** What a copy changes or leaves out, for the command's report. */
export interface CopyResult {
  path: string;
  id: string;
  /** Meta fields filled in for Codex (SPEC §6). */
  filled: string[];
  /** What a document could not hold, or null. */
  left: string | null;
}

function recordOf(type: string, payload: unknown): SourceRecord {
  return {
    line: 0,
    type,
    timestamp: undefined,
    payload,
    ordinal: undefined,
    extra: null,
    bare: false,
  };
}

/**
 * Every record of `loaded` as stored, the records of the history it inherits (Codex's
 * `history_base`) first after its meta, so a copy holds the whole conversation; a document's
 * stored items and state as records.
 */
export function recordsOf(loaded: LoadedRollout): SourceRecord[] {
  if (loaded.records !== undefined) {
    const [meta, ...own] = loaded.records;
    return [...(meta === undefined ? [] : [meta]), ...loaded.inheritedRecords ?? [], ...own];
  }
  // Every stored item, also one its schema refuses: a copy drops nothing.
  const items = loaded.rawItems.length > 0 ? loaded.rawItems : loaded.saved.items;
  const records = [
    recordOf("session_meta", loaded.rawMeta),
    ...items.map((item) => recordOf("response_item", item)),
  ];
  if (loaded.saved.state.previous_response_id !== undefined) {
    records.push(recordOf("state", loaded.saved.state));
  }
  return records;
}

/**
 * The records of the first `keep` items of the effective history. Where that history was
 * rewritten (compaction, rollback, an inherited prefix) the file's records cannot be cut at
 * item `keep`: the items themselves are recorded then, after the meta.
 */
export function forkRecords(loaded: LoadedRollout, keep: number): SourceRecord[] {
  const records = recordsOf(loaded);
  if (keep === loaded.saved.items.length) return records;
  if (loaded.report.history === undefined && loaded.records !== undefined) {
    return historyPrefix(records, keep);
  }
  return [
    records[0]!,
    ...loaded.saved.items.slice(0, keep).map((item) => recordOf("response_item", item)),
  ];
}

/** The lines of a lossless copy as a Codex paginated rollout, and its meta. */
export function copyLines(
  loaded: LoadedRollout,
  options: {
    records?: readonly SourceRecord[];
    meta?: Record<string, unknown>;
    now: Date;
    cwd: string;
  },
): { text: string; nextOrdinal: number; meta: Record<string, unknown>; filled: string[] } {
  const records = options.records ?? recordsOf(loaded);
  const fresh = options.meta !== undefined;
  const { meta, filled } = codexMetaOf(options.meta ?? loaded.rawMeta, {
    now: options.now,
    cwd: options.cwd,
    fresh,
  });
  const encoded = encodeRecordLines(records, {
    meta,
    fallbackTimestamp: loaded.saved.session.timestamp,
    ordinals: { renumber: true, start: 0 },
    mirrors: !hasMessageEvents(records),
  });
  return { ...encoded, meta, filled };
}

/** What turning `loaded` into a document leaves out, in words, or null. */
function documentLosses(loaded: LoadedRollout): string | null {
  const parts = Object.entries(loaded.recordTypes)
    .filter(([type]) => !["session_meta", "response_item", "state", "meta"].includes(type))
    .map(([type, n]) => `${n} ${type}`);
  const history = loaded.report.history;
  const superseded = history === undefined ? 0 : history.compacted + history.rolled_back;
  if (parts.length === 0 && superseded === 0) return null;
  const records = parts.length === 0 ? "" : `${parts.join(", ")} record(s)`;
  const items = superseded === 0
    ? ""
    : `${superseded} item(s) no longer in the history (compaction, rollback)`;
  return [records, items].filter((x) => x !== "").join("; ");
}

/** Writes a copy of `loaded` to `target` (or a new dated path in `home`). */
export async function writeCopy(
  loaded: LoadedRollout,
  options: {
    home: string;
    format: "jsonl" | "json";
    target?: string;
    io: Io;
    /** A fork's new meta (a fresh id and start are given to it). */
    meta?: Record<string, unknown>;
    /** A fork's records (a prefix of the file's). */
    records?: readonly SourceRecord[];
    /** A fork's items and state (its effective history). */
    saved?: { items: LoadedRollout["saved"]["items"]; state: LoadedRollout["saved"]["state"] };
  },
): Promise<CopyResult> {
  if (options.target !== undefined) refuseExisting(options.target);
  const saved = { ...loaded.saved, ...options.saved };
  const now = new Date();
  const where = options.target === undefined ? {} : { path: options.target };
  if (options.format === "json") {
    // A fork's meta has no id and start yet: the recorder gives it its own.
    const recorder = await RolloutRecorder.create({
      home: options.home,
      format: "json",
      meta: (options.meta ?? saved.session) as Partial<SessionMeta>,
      items: saved.items,
      state: saved.state,
      pid: options.io.pid,
      ...where,
    });
    await recorder.close();
    return { path: recorder.path!, id: recorder.id, filled: [], left: documentLosses(loaded) };
  }
  const lines = copyLines(loaded, {
    ...(options.records === undefined ? {} : { records: options.records }),
    ...(options.meta === undefined ? {} : { meta: options.meta }),
    now,
    cwd: options.io.cwd,
  });
  const recorder = await RolloutRecorder.create({
    home: options.home,
    format: "jsonl",
    meta: lines.meta as SessionMeta,
    items: saved.items,
    state: saved.state,
    lines: { text: lines.text, nextOrdinal: lines.nextOrdinal },
    pid: options.io.pid,
    clock: () => now,
    ...where,
  });
  await recorder.close();
  return { path: recorder.path!, id: recorder.id, filled: lines.filled, left: null };
}

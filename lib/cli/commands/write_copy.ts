/**
 * Copies of a rollout (convert, export, fork), written as the source is read so a rollout of
 * any size is copied in bounded memory (SPEC §7). A first read learns what the copy needs (the
 * meta, the counts, where the effective history lies, whether Codex's message events are
 * there); a second streams the records or the items into the copy. A line copy of the whole
 * file needs only the first lines for that: its first read stops at the first message event,
 * and the copy's read is the only whole one. A line copy keeps every record, and a record it
 * does not change is copied as stored (SPEC §6); a document keeps the effective history. A new
 * file is synced, 0600, locked while written and never replaces an existing one.
 */
import process from "node:process";
import { MAX_NESTING, nestsDeeperThan } from "../../base/mod.ts";
import {
  documentHead,
  documentItemText,
  documentTail,
  HistoryPrefix,
  isMessageEvent,
  type LoadedRollout,
  type PrefixTarget,
  RecordLineEncoder,
  replayHistory,
  type SourceRecord,
  streamRollout,
} from "../../formats/mod.ts";
import type { Io } from "../../runtime/mod.ts";
import {
  type RedactionCounts,
  redactJsonText,
  type Redactor,
  redactValue,
} from "../../redaction/mod.ts";
import type { ResponseItem, SessionMeta, SessionState } from "../../schemas/mod.ts";
import { codexMetaOf, createStreamedRollout, type Put } from "../../store/mod.ts";
import { refuseExisting, reportDamage } from "./context.ts";
import { Progress } from "./progress.ts";

/** What a copy changes or leaves out, for the command's report. */
export interface CopyResult {
  path: string;
  id: string;
  /** The source as read whole (by the copy itself when the first read stopped early). */
  source: LoadedRollout;
  /** Meta fields filled in for Codex (SPEC §6). */
  filled: string[];
  /** What a document could not hold, or null. */
  left: string | null;
}

/** A rollout read once for copying; the second read happens as the copy is written. */
export interface CopySource {
  /**
   * The first read: whole, or only the first lines (`partial`) for a line copy of the whole
   * file, whose own read then reports the damage.
   */
  first: LoadedRollout;
  io: Io;
  /** Line files: the source's first record (its meta), whose timestamp the copy keeps. */
  metaRecord: SourceRecord | undefined;
  /** The line of the first Codex message event, if any (then no mirrors are added). */
  firstEventLine: number | null;
  /** The progress line of the command (on a terminal). */
  progress: Progress;
  /** Redacts every record, item and meta of the copy (`export`); null copies them as stored. */
  redactor: Redactor | null;
}

/** `value` redacted by the copy's redactor, if it has one. */
function clean<T>(src: CopySource, value: T): T {
  return src.redactor === null ? value : src.redactor.value(value);
}

/**
 * A record with its payload (and other fields) redacted by the copy's redactor, if any;
 * `counts`: where its secrets are counted instead of the redactor's (already counted).
 */
function cleanRecord(
  src: CopySource,
  record: SourceRecord,
  counts?: RedactionCounts,
): SourceRecord {
  if (src.redactor === null) return record;
  const redact = <T>(value: T): T =>
    counts === undefined ? src.redactor!.value(value) : redactValue(value, counts);
  const payload = redact(record.payload);
  const extra = redact(record.extra);
  return payload === record.payload && extra === record.extra
    ? record
    : { ...record, payload, extra };
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
 * The first read of `file` for a copy; its damage goes to stderr. `stdout`: the copy goes to
 * stdout (no progress line when that is a terminal); `redactor`: the copy is redacted;
 * `lines`: the copy will be a line copy of the whole file, so the read stops once line 1 and a
 * message event are read (then the copy's read reports the damage, after it). A fork that
 * inherits history (`history_base`) is read whole: the copy's read does not read the parent
 * again, so it could neither count the inherited items nor say why they are missing.
 */
export async function readForCopy(
  file: string,
  io: Io,
  options: { stdout?: boolean; redactor?: Redactor | null; lines?: boolean } = {},
): Promise<CopySource> {
  let metaRecord: SourceRecord | undefined;
  let firstEventLine: number | null = null;
  let inherits = false;
  const progress = new Progress(io, options);
  const first = await streamRollout(file, {
    between: () => {},
    history: "refs",
    inheritedRecords: true,
    progress: progress.phase("reading"),
    ...(options.lines === true ? { until: () => firstEventLine !== null && !inherits } : {}),
    visit: {
      meta: (_meta, raw) => {
        inherits = raw.history_base !== undefined;
      },
      record: (record) => {
        if (record.line === 1) metaRecord = record;
        if (firstEventLine === null && isMessageEvent(record)) firstEventLine = record.line;
      },
    },
  });
  progress.done();
  if (first.partial !== true) await reportDamage(io, first);
  if (first.inheritedRecords?.some(isMessageEvent)) firstEventLine = 0;
  return { first, io, metaRecord, firstEventLine, progress, redactor: options.redactor ?? null };
}

/** Records of a document source (held whole): its meta, every stored item, its state. */
function documentRecords(loaded: LoadedRollout): SourceRecord[] {
  // Every stored item, also one its schema refuses, but one nesting too deep to be written
  // again (reported when the document was read).
  const items = loaded.rawItems.filter((item) => !nestsDeeperThan(item, MAX_NESTING));
  const records = [
    recordOf("session_meta", loaded.rawMeta),
    ...items.map((item) => recordOf("response_item", item)),
  ];
  if (loaded.saved.state.previous_response_id !== undefined) {
    records.push(recordOf("state", loaded.saved.state));
  }
  return records;
}

/** How a copy of the first `keep` items is made from a line file. */
type LinePlan =
  | { kind: "all" }
  | { kind: "prefix"; keep: number; endLine: number | null }
  | { kind: "items"; keep: number };

async function linePlan(src: CopySource, keep: number | undefined): Promise<LinePlan> {
  const { first } = src;
  if (keep === undefined) return { kind: "all" };
  if (first.partial === true) throw new Error("a cut copy needs a whole first read");
  if (keep === first.itemCount) return { kind: "all" };
  // Where a compaction or rollback rewrote the history, the records are cut where the history
  // is the first `keep` items, if it ever is. Where it never is (the cut falls inside what a
  // compaction replaced), or the file inherits a prefix, the items themselves are recorded,
  // after the meta.
  const history = first.report.history;
  if (history !== undefined && history.inherited > 0) return { kind: "items", keep };
  // A compaction rewrites the history even when it replaced nothing (one at the start brings
  // its replacement items): counting items is then no measure of where the cut falls.
  const rewritten = history !== undefined || (first.recordTypes.compacted ?? 0) > 0;
  const target = rewritten ? await targetOf(src, keep) : null;
  const prefix = new HistoryPrefix(keep, target);
  let endLine: number | null = null;
  await streamRollout(first.path, {
    between: () => {},
    history: "count",
    inherit: false,
    progress: src.progress.phase("finding the fork point"),
    visit: {
      record: (record) => {
        if (endLine === null && record.line !== 1 && !prefix.take(record)) endLine = record.line;
      },
    },
  });
  src.progress.done();
  if (target !== null && !prefix.reached) return { kind: "items", keep };
  return { kind: "prefix", keep, endLine };
}

/** The first `keep` items of the effective history, as a fork's prefix must rebuild them. */
async function targetOf(src: CopySource, keep: number): Promise<PrefixTarget> {
  const { createHash } = process.getBuiltinModule("node:crypto") as typeof import("node:crypto");
  const digest = (item: unknown) =>
    createHash("sha256").update(JSON.stringify(item)).digest("base64");
  const digests: string[] = [];
  await replayHistory(src.first, {
    between: () => {},
    progress: src.progress.phase("finding the fork point"),
    item: (item) => {
      if (digests.length < keep) digests.push(digest(item));
    },
  });
  src.progress.done();
  return { digests, digest };
}

/**
 * Writes the lines of a lossless copy as a Codex paginated rollout to `put`: every record of
 * the source (the first `keep` items' worth for a fork), the records of the history it
 * inherits first after its meta, so the copy holds the whole conversation. Returns the source
 * as read whole: by this copy when the first read was partial (its damage then reported).
 */
export async function copyLinesTo(
  src: CopySource,
  put: Put,
  options: {
    /** The copy's meta, as {@linkcode copyMeta} made it. */
    meta: Record<string, unknown>;
    keep?: number;
    /** Awaited after every MiB read (stdout is written then). */
    between?: () => Promise<void> | void;
  },
): Promise<LoadedRollout> {
  const { first } = src;
  const { meta } = options;
  const between = options.between ?? (() => {});
  const document = first.historyMode === null;
  const plan: LinePlan = document
    ? (options.keep === undefined || options.keep === first.itemCount
      ? { kind: "all" }
      : { kind: "items", keep: options.keep })
    : await linePlan(src, options.keep);
  const events = src.firstEventLine !== null &&
    (plan.kind !== "prefix" || plan.endLine === null || src.firstEventLine < plan.endLine);
  const encoder = new RecordLineEncoder({
    meta,
    fallbackTimestamp: first.saved.session.timestamp,
    ordinals: { renumber: true, start: 0 },
    mirrors: plan.kind === "items" || !events,
  });
  const documentSource = document ? documentRecords(first) : null;
  put(encoder.meta(documentSource?.[0] ?? src.metaRecord));
  if (plan.kind === "items") {
    // The first items of the effective history, recorded after the meta.
    const record = (item: ResponseItem) =>
      put(encoder.record(recordOf("response_item", clean(src, item))));
    await replayFirst(src, plan.keep, between, record);
    return first;
  }
  if (documentSource !== null) {
    for (const record of documentSource.slice(1)) put(encoder.record(cleanRecord(src, record)));
    return first;
  }
  for (const record of first.inheritedRecords ?? []) put(encoder.record(cleanRecord(src, record)));
  const endLine = plan.kind === "prefix" ? plan.endLine : null;
  const read = await streamRollout(first.path, {
    history: "count",
    inherit: false,
    // Written as read, mostly: little is built per record (not so when each is redacted).
    lean: src.redactor === null,
    between,
    progress: src.progress.phase("copying"),
    visit: {
      record: (record, text) => {
        if (record.line === 1 || (endLine !== null && record.line >= endLine)) return;
        // A stored response id continues the parent's later conversation: a cut copy has none.
        if (endLine !== null && record.type === "state") return;
        if (src.redactor === null) return encoder.put(record, text, put);
        if (text === undefined) return encoder.put(cleanRecord(src, record), undefined, put);
        // A redacted copy redacts the line as stored: every string value in its text is
        // checked (a line with a key twice holds more than its parsed value), and a line with
        // no secret is copied byte for byte, its numbers and spacing kept. The record, cleaned
        // only when the line changed, is what is written should the line not be reusable.
        const redacted = redactJsonText(text, src.redactor.counts);
        const cleaned = redacted === text ? record : cleanRecord(src, record, {});
        encoder.put(cleaned, redacted, put);
      },
    },
  });
  src.progress.done();
  if (first.partial !== true) return first;
  await reportDamage(src.io, read);
  return read;
}

/** The meta of a line copy, fit for Codex (SPEC §6), and the fields filled in for it. */
export function copyMeta(
  src: CopySource,
  options: { meta?: Record<string, unknown>; now: Date; cwd: string },
): { meta: Record<string, unknown>; filled: string[] } {
  return codexMetaOf(options.meta ?? src.first.rawMeta, {
    now: options.now,
    cwd: options.cwd,
    fresh: options.meta !== undefined,
  });
}

/** The first `keep` items of the effective history. */
async function replayFirst(
  src: CopySource,
  keep: number,
  between: () => Promise<void> | void,
  each: (item: ResponseItem) => void,
): Promise<void> {
  let n = 0;
  await replayHistory(src.first, {
    between,
    progress: src.progress.phase("copying"),
    item: (item) => {
      if (n++ < keep) each(item);
    },
  });
  src.progress.done();
}

/** What turning the source into a document leaves out, in words, or null. */
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

/** Writes a copy of `src` to `target` (or a new dated path in `home`). */
export async function writeCopy(
  src: CopySource,
  options: {
    home: string;
    format: "jsonl" | "json";
    target?: string;
    io: Io;
    /** A fork's new meta (a fresh id and start are given to it). */
    meta?: Record<string, unknown>;
    /** A fork: the first `keep` items of the effective history. */
    keep?: number;
  },
): Promise<CopyResult> {
  if (options.target !== undefined) refuseExisting(options.target);
  const { first } = src;
  const now = new Date();
  const where = options.target === undefined ? {} : { path: options.target };
  if (options.format === "json") {
    // A document is written from a whole first read (`replayHistory` refuses a partial one).
    const keep = options.keep ?? first.itemCount;
    const state: SessionState = keep === first.itemCount ? first.saved.state : {};
    // A fork's meta has no id and start yet: a new one is given.
    const copy = await createStreamedRollout({
      home: options.home,
      format: "json",
      meta: clean(src, options.meta ?? first.saved.session) as Partial<SessionMeta>,
      pid: options.io.pid,
      ...where,
      write: async (meta, put, between) => {
        put(documentHead(meta));
        let n = 0;
        await replayFirst(src, keep, between, (item) => {
          put(`${n++ === 0 ? "\n" : ",\n"}${documentItemText(clean(src, item))}`);
        });
        put(documentTail(clean(src, state), n));
      },
    });
    return { ...copy, source: first, filled: [], left: documentLosses(first) };
  }
  // The copy's first line is this meta; the file is named after its id and start.
  const { meta: copied, filled } = copyMeta(src, {
    ...(options.meta === undefined ? {} : { meta: options.meta }),
    now,
    cwd: options.io.cwd,
  });
  const meta = clean(src, copied);
  let source = first;
  const copy = await createStreamedRollout({
    home: options.home,
    format: "jsonl",
    meta: meta as Partial<SessionMeta>,
    pid: options.io.pid,
    clock: () => now,
    ...where,
    write: async (_named, put, between) => {
      const cut = options.keep === undefined ? {} : { keep: options.keep };
      source = await copyLinesTo(src, put, { meta, ...cut, between });
    },
  });
  return { ...copy, source, filled, left: null };
}

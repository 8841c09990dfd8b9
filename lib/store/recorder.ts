/**
 * RolloutRecorder: the serialized, crash-safe writer of one rollout (SPEC §3). Operations
 * commit in arrival order; whatever queues while a commit runs joins the next one (group
 * commit); a promise resolves only once its bytes are synced.
 */
import * as path from "node:path";
import { compressedPathOf, plainPathOf, restoreRollout } from "./archive.ts";
import { assertAbsent, removeStaleTemps } from "./atomic_replace.ts";
import { DocumentSink } from "./document_sink.ts";
import { byteLength } from "../base/mod.ts";
import {
  ioError,
  isDocument,
  itemPlace,
  type ItemsPlace,
  payloadValue,
  plainError,
  type PreparedItems,
  prepareItems,
  type ResponseItem,
  RolloutError,
  type RolloutFormat,
  type SavedSession,
  type SessionMeta,
  type SessionState,
} from "../schemas/mod.ts";
import { type FileSystem, isZstd, nodeFileSystem } from "../runtime/mod.ts";
import {
  DEFAULT_MAX_LINE_BYTES,
  type LoadedRollout,
  loadRollout,
  statePayload,
} from "../formats/mod.ts";
import { JournalSink } from "./journal_sink.ts";
import { redactPrepared } from "./redact_prepared.ts";
import { redactingScrub, redactValue } from "../redaction/mod.ts";
import { sessionPath } from "./paths.ts";
import type { PendingRecord, Sink } from "./sink.ts";
import { buildMeta, createDocument, createJournal, makeFolders } from "./new_rollout.ts";
import { WriterLock } from "./writer_lock.ts";

/** Options shared by every way of opening a recorder. */
export interface RecorderOptions {
  /** The file system (tests pass a simulated one). */
  fs?: FileSystem;
  /** Sync each commit (default). `false` is `--no-fsync`: safe from a process crash only. */
  sync?: boolean;
  /** Cap on one encoded line in bytes (default 64 MiB). */
  maxLineBytes?: number;
  /**
   * Journal batches of at least this many bytes are synced on a worker thread while the event
   * loop goes on (default 16 KiB); smaller ones sync inline.
   */
  backgroundSyncBytes?: number;
  /** Upper bound on the bytes of one group commit (default 8 MiB; one op may exceed it). */
  maxBatchBytes?: number;
  clock?: () => Date;
  /** Take the cross-process writer lock (default true). */
  lock?: boolean;
  pid?: number;
  /**
   * Replace secrets in every item by `[REDACTED:<rule>]` before it is written (and in the
   * meta of a new session, which is marked `rollout_redact: true`). A session so marked
   * redacts whenever it is resumed, whatever this option says.
   */
  redact?: boolean;
}

/** Options of {@linkcode RolloutRecorder.create}. */
export interface CreateOptions extends RecorderOptions {
  home: string;
  /** `jsonl` (journal, default) or `json` (document). */
  format?: "jsonl" | "json";
  /** Meta fields; `id`, `timestamp`, `originator` and `cli_version` are filled in. */
  meta?: Partial<SessionMeta>;
  /** Write to this path instead of the dated one under `<home>/sessions`. */
  path?: string;
  /** Initial content (fork, convert), written as given with the meta. */
  items?: readonly ResponseItem[];
  state?: SessionState;
  /**
   * Journal only: the whole file, already encoded (a lossless copy of another rollout's
   * records, SPEC §6; its first line is `meta`), and the ordinal the next record takes.
   * `items` and `state` then only describe what those lines hold.
   */
  lines?: { text: string; nextOrdinal: number };
}

/** What `recordItems` acknowledges. */
export interface ItemsRecorded {
  recorded: number;
  dropped: { index: number; type: string }[];
  item_count: number;
  /** In a session that redacts: the secrets replaced in these items, by rule. */
  redacted?: Readonly<Record<string, number>>;
}

/** The counts of an acknowledgement that redacted nothing (shared: acks are not changed). */
const NOTHING_REDACTED: Readonly<Record<string, number>> = Object.freeze({});

/** The meta field that marks a session whose items are redacted as they are recorded. */
const REDACT_MARK = "rollout_redact";

interface QueuedOp {
  records: PendingRecord[];
  bytes: number;
  /** Called once, in order: with the failure, or with null and the item count after the op. */
  settle(error: RolloutError | null, itemCount: number): void;
}

const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;

/** Misuse of the byte options is a bug in the caller: refused before anything is touched. */
function checkOptions(options: RecorderOptions): void {
  const { maxBatchBytes, backgroundSyncBytes } = options;
  if (maxBatchBytes !== undefined && !(maxBatchBytes >= 1)) {
    throw new RangeError(`maxBatchBytes must be at least 1, got ${maxBatchBytes}`);
  }
  if (backgroundSyncBytes !== undefined && !(backgroundSyncBytes >= 0)) {
    throw new RangeError(`backgroundSyncBytes must be at least 0, got ${backgroundSyncBytes}`);
  }
}

function sameState(a: SessionState, b: SessionState): boolean {
  return a.previous_response_id === b.previous_response_id;
}

/** The serialized writer of one rollout; see the module doc. */
export class RolloutRecorder {
  readonly path: string | null;
  readonly format: RolloutFormat;
  readonly meta: SessionMeta;
  readonly #sink: Sink | null;
  readonly #lock: WriterLock | null;
  readonly #clock: (() => Date) | null;
  /** The last timestamp the default clock gave, and its millisecond. */
  #stamp = { ms: NaN, text: "" };
  readonly #maxLine: number;
  readonly #maxBatch: number;
  readonly #redact: boolean;
  /** The scrub of a session that redacts, made on first use; it counts into `#found`. */
  #scrub: ((payload: string, item: ResponseItem) => ResponseItem | null) | null = null;
  /** What the items being prepared had redacted, by rule (null: nothing yet). */
  #found: Record<string, number> | null = null;
  /** Acknowledged items; an item may be kept as its payload until `items` is read. */
  readonly #items: (ResponseItem | string | Uint8Array)[];
  /** What `items` returns: `#items` decoded, as far as it was when `items` was last read. */
  readonly #decoded: ResponseItem[] = [];
  #state: SessionState;
  #queue: QueuedOp[] = [];
  #queuedBytes = 0;
  #scheduled = false;
  /** A commit waits for its background sync; no other commit may start. */
  #inFlight = false;
  #poisoned: RolloutError | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;

  private constructor(parts: {
    path: string | null;
    format: RolloutFormat;
    meta: SessionMeta;
    sink: Sink | null;
    lock: WriterLock | null;
    items: ResponseItem[];
    state: SessionState;
    options: RecorderOptions;
  }) {
    this.path = parts.path;
    this.format = parts.format;
    this.meta = parts.meta;
    this.#sink = parts.sink;
    this.#lock = parts.lock;
    this.#items = parts.items;
    this.#state = parts.state;
    this.#clock = parts.options.clock ?? null;
    this.#maxLine = parts.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#maxBatch = parts.options.maxBatchBytes ?? DEFAULT_BATCH_BYTES;
    this.#redact = parts.options.redact === true || parts.meta[REDACT_MARK] === true;
  }

  /** Whether items are redacted before they are written (the option, or the session's mark). */
  get redacts(): boolean {
    return this.#redact;
  }

  /** The session's id. */
  get id(): string {
    return this.meta.id;
  }

  /**
   * Acknowledged items, in order. The array is brought up to date on each read (items kept
   * as payloads are decoded then), so it only ever holds decoded items.
   */
  get items(): readonly ResponseItem[] {
    const items = this.#items;
    const decoded = this.#decoded;
    for (let i = decoded.length; i < items.length; i++) {
      const entry = items[i]!;
      const item = isPayload(entry) ? payloadValue(entry) as ResponseItem : entry;
      items[i] = item;
      decoded.push(item);
    }
    return decoded;
  }

  /** How many items are acknowledged. */
  get itemCount(): number {
    return this.#items.length;
  }

  /** The acknowledged state. */
  get state(): SessionState {
    return this.#state;
  }

  /** The whole acknowledged session. */
  saved(): SavedSession {
    return { session: this.meta, items: [...this.items], state: { ...this.#state } };
  }

  /**
   * Starts a new session: takes the lock, creates the file (never over an existing one) with
   * its meta and initial content, syncs it and its folder.
   */
  static async create(options: CreateOptions): Promise<RolloutRecorder> {
    await Promise.resolve();
    checkOptions(options);
    const fsys = options.fs ?? nodeFileSystem;
    const clock = options.clock ?? (() => new Date());
    const now = clock();
    let meta = buildMeta(options.meta, now, { lines: options.format !== "json" });
    let items = [...(options.items ?? [])];
    if (options.redact === true) {
      const counts: Record<string, number> = {};
      meta = { ...redactValue(meta, counts), [REDACT_MARK]: true };
      items = redactValue(items, counts);
    }
    const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    const metaSize = byteLength(JSON.stringify(meta)) + 96;
    if (metaSize > maxLine) {
      throw new RolloutError(
        "line_too_long",
        `session meta: the encoded record is ${metaSize} bytes, above the limit of ${maxLine} bytes`,
      );
    }
    const docFormat = options.format === "json";
    const format: RolloutFormat = docFormat ? "document" : "journal";
    const target = options.path ??
      sessionPath(options.home, {
        id: meta.id,
        created: now,
        extension: docFormat ? "json" : "jsonl",
      });
    const state = options.state ?? {};
    const sync = options.sync ?? true;
    makeFolders(fsys, path.dirname(target), sync);
    const lock = options.lock === false
      ? null
      : WriterLock.acquire(target, { pid: options.pid ?? process.pid });
    try {
      const init = {
        target,
        meta,
        items,
        state,
        sync,
        backgroundSyncBytes: options.backgroundSyncBytes,
      };
      assertAbsent(fsys, target);
      const sink = docFormat
        ? createDocument(fsys, init)
        : createJournal(fsys, { ...init, timestamp: now.toISOString(), lines: options.lines });
      return new RolloutRecorder({ path: target, format, meta, sink, lock, items, state, options });
    } catch (error) {
      lock?.release();
      if (error instanceof RolloutError) throw error;
      throw ioError("create rollout", target, error);
    }
  }

  /**
   * Opens an existing rollout of any readable format for writing: takes its lock, then reads
   * it. Later records go to it in its own format. Fails without changing anything.
   * An archived session (`x.jsonl.zst`, or `x.jsonl` when only its `.zst` is left) is first
   * restored to `x.jsonl` the safe way (archive.ts) and written there: `restored` names the
   * compressed file it came from, else it is null.
   */
  static async resume(
    given: string,
    options: RecorderOptions = {},
  ): Promise<{ recorder: RolloutRecorder; loaded: LoadedRollout; restored: string | null }> {
    await Promise.resolve();
    checkOptions(options);
    const fsys = options.fs ?? nodeFileSystem;
    const sync = options.sync ?? true;
    const { file, archived } = writeTargetOf(fsys, given);
    const lock = options.lock === false ? null : lockToResume(file, options.pid ?? process.pid);
    try {
      let restored: string | null = null;
      const restore = async (packed: string) => {
        const outcome = await restoreRollout(packed, { fs: fsys, sync, lock: false });
        if (outcome.status === "restored") restored = outcome.from;
        lock?.holdFile(file);
      };
      if (archived !== null) await restore(archived);
      const load = () =>
        loadRollout(file, {
          fs: fsys,
          maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        });
      let loaded: LoadedRollout;
      try {
        loaded = load();
      } catch (error) {
        // A journal archived since it was named: only its `.zst` is left.
        const packed = compressedPathOf(file);
        const gone = error instanceof RolloutError && error.code === "not_found";
        if (!gone || !file.endsWith(".jsonl") || startsZstd(fsys, packed) !== true) throw error;
        await restore(packed);
        loaded = load();
      }
      if (loaded.compressed) {
        throw new RolloutError(
          "invalid_rollout",
          `Cannot write rollout "${file}": it holds zstd-compressed data under a plain name; rename it to end in .jsonl.zst (rollout then restores it before writing) or decompress it (zstd -d)`,
        );
      }
      // With a killed archive's copy beside a journal (the session's lock is ours: nobody is
      // writing it).
      removeStaleTemps(fsys, file.endsWith(".jsonl") ? [file, compressedPathOf(file)] : file, {
        sync,
      });
      let sink: Sink;
      if (isDocument(loaded.format)) {
        sink = new DocumentSink(fsys, {
          path: file,
          format: loaded.format,
          sync,
          meta: loaded.rawMeta,
          items: loaded.rawItems,
          state: loaded.saved.state,
        });
      } else {
        sink = new JournalSink(fsys, {
          path: file,
          format: lineFormatOf(loaded),
          sync,
          durableBytes: loaded.end,
          nextOrdinal: loaded.nextOrdinal,
          lineEndMissing: loaded.report.line_end_missing !== undefined,
          backgroundSyncBytes: options.backgroundSyncBytes,
        });
      }
      const recorder = new RolloutRecorder({
        path: file,
        format: loaded.format,
        meta: loaded.saved.session,
        sink,
        lock,
        items: [...loaded.saved.items],
        state: loaded.saved.state,
        options,
      });
      return { recorder, loaded, restored };
    } catch (error) {
      lock?.release();
      if (error instanceof RolloutError) throw error;
      throw ioError("resume rollout", file, error);
    }
  }

  /** A session kept only in memory (`disable_response_storage`): same API, no file. */
  static inMemory(
    options:
      & { meta?: Partial<SessionMeta>; items?: readonly ResponseItem[]; state?: SessionState }
      & RecorderOptions,
  ): RolloutRecorder {
    checkOptions(options);
    const now = (options.clock ?? (() => new Date()))();
    const built = buildMeta(options.meta, now, { lines: false });
    const meta = options.redact === true ? { ...built, [REDACT_MARK]: true } : built;
    return new RolloutRecorder({
      path: null,
      format: "journal",
      meta,
      sink: null,
      lock: null,
      items: [...(options.items ?? [])],
      state: options.state ?? {},
      options,
    });
  }

  /**
   * Records items. Every item is checked first: one that fails its schema rejects the whole
   * call (`invalid_submission`, naming `<where>[i].field`); an encoded line above the cap
   * rejects it with `line_too_long`. Types outside the persistence policy are dropped and
   * listed. Resolves once the items are durable. `nestingChecked` says the caller already
   * knows the items nest at most MAX_NESTING levels (the op stream checks each line).
   */
  recordItems(
    items: readonly unknown[],
    options: { where?: ItemsPlace; nestingChecked?: boolean } = {},
  ): Promise<ItemsRecorded> {
    const where = options.where ?? "items";
    const nestingChecked = options.nestingChecked === true;
    if (!this.#redact) {
      return this.recordPrepared(prepareItems(items, where, { keepItems: true, nestingChecked }));
    }
    this.#found = null;
    const scrub = this.#scrub ??= redactingScrub<ResponseItem>(() => (this.#found ??= {}));
    const prepared = prepareItems(items, where, { keepItems: true, nestingChecked, scrub });
    prepared.redacted = this.#found ?? NOTHING_REDACTED;
    return this.recordPrepared(prepared);
  }

  /**
   * {@linkcode recordItems} for items already checked and encoded by
   * {@linkcode prepareItems}, possibly on another thread. Items prepared without their values
   * are kept as their payload and decoded only when {@linkcode items} is read. The payloads
   * are written as they are: they must come from `prepareItems`, nothing checks them again.
   */
  recordPrepared(prepared: PreparedItems): Promise<ItemsRecorded> {
    return new Promise((resolve, reject) => {
      this.recordPreparedThen(prepared, (outcome) => {
        if (outcome instanceof RolloutError) reject(outcome);
        else resolve(outcome);
      });
    });
  }

  /**
   * {@linkcode recordPrepared} with a callback instead of a promise (the op stream's hot path):
   * `done` is called once, with the acknowledgement once the items are durable or with the
   * failure (at once if the items are refused).
   */
  recordPreparedThen(
    prepared: PreparedItems,
    done: (outcome: ItemsRecorded | RolloutError) => void,
  ): void {
    // Prepared without redaction (another thread) for a session that redacts: done here.
    if (this.#redact && prepared.redacted === undefined) prepared = redactPrepared(prepared);
    const { where, redacted } = prepared;
    const records: PendingRecord[] = [];
    const dropped: { index: number; type: string }[] = [];
    let bytes = 0;
    const timestamp = this.#timestamp();
    for (let index = 0; index < prepared.items.length; index++) {
      const { type, payload, item, mirror } = prepared.items[index]!;
      if (payload === null) {
        dropped.push({ index, type });
        continue;
      }
      const size = this.#lineSize(payload);
      if (size > this.#maxLine) {
        return done(
          new RolloutError(
            "line_too_long",
            `${
              itemPlace(where, index)
            }: the encoded record is ${size} bytes, above the limit of ${this.#maxLine} bytes`,
          ),
        );
      }
      bytes += size;
      // A mirror too long for a line is left out; the item itself is what matters.
      const mirrorSize = mirror === undefined || mirror === null ? 0 : this.#lineSize(mirror);
      const event = mirrorSize === 0 || mirrorSize > this.#maxLine ? null : mirror!;
      // The mirror's bytes count toward the batch, as they are written with it.
      if (event !== null) bytes += mirrorSize;
      records.push({ kind: "response_item", item, payload, mirror: event, timestamp });
    }
    if (prepared.error !== null) {
      return done(new RolloutError(prepared.error.code, prepared.error.message));
    }
    this.#enqueue({
      records,
      bytes,
      settle: (error, itemCount) => {
        if (error !== null) return done(error);
        const recorded = records.length;
        done(
          this.#redact
            ? { recorded, dropped, item_count: itemCount, redacted: redacted ?? NOTHING_REDACTED }
            : { recorded, dropped, item_count: itemCount },
        );
      },
    });
  }

  /** Records the state; a line is written only when it differs from the current one. */
  recordState(state: SessionState): Promise<SessionState> {
    const size = this.#lineSize(statePayload(state));
    if (size > this.#maxLine) {
      return Promise.reject(
        new RolloutError(
          "line_too_long",
          `previous_response_id: the encoded state is ${size} bytes, above the limit of ${this.#maxLine} bytes`,
        ),
      );
    }
    const record: PendingRecord = {
      kind: "state",
      state: { ...state },
      timestamp: this.#timestamp(),
    };
    return new Promise((resolve, reject) => {
      this.#enqueue({
        records: [record],
        bytes: size,
        settle: (error) => (error === null ? resolve(record.state) : reject(error)),
      });
    });
  }

  /** Resolves once everything queued before it is durable (or rejects with its failure). */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#enqueue({
        records: [],
        bytes: 0,
        settle: (error) => (error === null ? resolve() : reject(error)),
      });
    });
  }

  /**
   * Commits what is queued, closes the file and releases the lock. Operations started after
   * `close` are refused. Rejects if the last commits or the recovery after a failure did not
   * succeed; the lock is released anyway.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeOnce();
    return this.#closing;
  }

  async #closeOnce(): Promise<void> {
    const flushed = this.flush();
    this.#closed = true;
    let failure: unknown = null;
    try {
      await flushed;
    } catch (error) {
      failure = error;
    }
    try {
      if (this.#poisoned !== null) this.#sink?.recover();
    } catch (error) {
      failure ??= error;
    }
    try {
      this.#sink?.close();
    } catch (error) {
      failure ??= ioError("close rollout", this.path ?? "(memory)", error);
    }
    try {
      this.#lock?.release();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== null) throw failure;
  }

  /** The time of a record, ISO 8601 UTC; formatted once per millisecond with the real clock. */
  #timestamp(): string {
    if (this.#clock !== null) return this.#clock().toISOString();
    const ms = Date.now();
    if (ms !== this.#stamp.ms) this.#stamp = { ms, text: new Date(ms).toISOString() };
    return this.#stamp.text;
  }

  #lineSize(payload: string | Uint8Array): number {
    const overhead = 96;
    if (typeof payload !== "string") return payload.length + overhead;
    if (payload.length * 3 + overhead <= this.#maxLine) return payload.length + overhead;
    return byteLength(payload) + overhead;
  }

  #enqueue(op: QueuedOp): void {
    if (this.#closed) {
      op.settle(new RolloutError("io_error", `Rollout "${this.path ?? "(memory)"}" is closed`), 0);
      return;
    }
    this.#queue.push(op);
    this.#queuedBytes += op.bytes;
    // A caller queueing a full batch without yielding gets it committed at once (synced
    // inline), so a burst never holds much more than one batch in memory.
    if (this.#queuedBytes >= this.#maxBatch && !this.#inFlight) {
      while (this.#queuedBytes >= this.#maxBatch) this.#commit(this.#takeBatch(), "inline");
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => void this.#drain());
  }

  /** Removes the next batch from the queue: at least one op, at most `maxBatchBytes`. */
  #takeBatch(): QueuedOp[] {
    let take = 1;
    let bytes = this.#queue[0]!.bytes;
    while (take < this.#queue.length && bytes + this.#queue[take]!.bytes <= this.#maxBatch) {
      bytes += this.#queue[take]!.bytes;
      take++;
    }
    this.#queuedBytes -= bytes;
    return this.#queue.splice(0, take);
  }

  /** Commits the queue batch by batch; a batch whose sync runs in the background is awaited. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const pending = this.#commit(this.#takeBatch(), "either");
      if (pending !== undefined) {
        this.#inFlight = true;
        await pending;
        this.#inFlight = false;
      }
    }
    this.#scheduled = false;
  }

  #commit(batch: QueuedOp[], sync: "inline" | "either"): Promise<void> | undefined {
    if (this.#poisoned !== null) {
      try {
        this.#sink?.recover();
        this.#poisoned = null;
      } catch (error) {
        const failure = new RolloutError(
          "io_error",
          `Cannot write rollout "${this.path}": an earlier write failed, and bringing the file back to its last acknowledged state failed too: ${
            plainError(error)
          }; nothing acknowledged is lost; fix the cause, then resume the session`,
          { cause: error },
        );
        for (const op of batch) op.settle(failure, 0);
        return;
      }
    }
    const records: PendingRecord[] = [];
    const added: (ResponseItem | string | Uint8Array)[] = [];
    let state = this.#state;
    for (const op of batch) {
      for (const record of op.records) {
        if (record.kind === "response_item") added.push(record.item ?? record.payload);
        else if (sameState(record.state, state)) continue;
        else state = record.state;
        records.push(record);
      }
    }
    const committed = () => {
      this.#state = state;
      this.#settleAll(batch);
      for (const item of added) this.#items.push(item);
    };
    let pending: void | Promise<void>;
    try {
      pending = this.#sink?.commit(records, { inlineSync: sync === "inline" });
    } catch (error) {
      this.#fail(batch, error);
      return;
    }
    if (pending === undefined) {
      committed();
      return;
    }
    return pending.then(committed, (error: unknown) => this.#fail(batch, error));
  }

  /** Rejects every op of a batch that was not committed; the next batch recovers first. */
  #fail(batch: readonly QueuedOp[], error: unknown): void {
    const failure = error instanceof RolloutError
      ? error
      : ioError("write rollout", this.path ?? "(memory)", error);
    this.#poisoned = failure;
    for (const op of batch) op.settle(failure, 0);
  }

  /** Acknowledges every op of a batch (whose items are not yet in `#items`) in order. */
  #settleAll(batch: readonly QueuedOp[]): void {
    let count = this.#items.length;
    for (const op of batch) {
      for (const record of op.records) if (record.kind === "response_item") count++;
      op.settle(null, count);
    }
  }
}

/**
 * The writer lock of a rollout being resumed. One in a folder that does not exist is answered
 * as a missing file is (`not_found`, "Cannot load rollout"), not as a lock that failed.
 */
function lockToResume(file: string, pid: number): WriterLock {
  try {
    return WriterLock.acquire(file, { pid });
  } catch (error) {
    if (error instanceof RolloutError && error.code === "not_found") {
      throw ioError("load rollout", file, error.cause);
    }
    throw error;
  }
}

/**
 * Where a writer given `given` writes, and the archive to restore there first (null: none).
 * A `*.zst` holding zstd (judged by content, as every reader does) is written as its plain
 * file, restored first; so is a `*.zst` already restored by someone else. Anything else is
 * written as it is (a `*.jsonl` archived meanwhile is restored when loading finds it gone).
 */
function writeTargetOf(fsys: FileSystem, given: string): { file: string; archived: string | null } {
  const plain = plainPathOf(given);
  if (plain === null) return { file: given, archived: null };
  const zstd = startsZstd(fsys, given);
  if (zstd === true) return { file: plain, archived: given };
  if (zstd === null && startsZstd(fsys, plain) !== null) return { file: plain, archived: null };
  return { file: given, archived: null };
}

/** Whether `file` starts a zstd frame; null when it cannot be opened (the load says why). */
function startsZstd(fsys: FileSystem, file: string): boolean | null {
  let fd: number;
  try {
    fd = fsys.open(file, "read");
  } catch {
    return null;
  }
  try {
    const head = new Uint8Array(4);
    return fsys.read(fd, head, 0) === 4 && isZstd(head);
  } finally {
    fsys.close(fd);
  }
}

/** Whether an entry of the recorder's items is an encoded payload (not yet decoded). */
function isPayload(entry: ResponseItem | string | Uint8Array): entry is string | Uint8Array {
  return typeof entry === "string" || entry instanceof Uint8Array;
}

/**
 * How appended lines are encoded: a Codex paginated file gets ordinals, a legacy one none,
 * whatever its first line carried (SPEC §6: Codex decides by `history_mode`).
 */
function lineFormatOf(loaded: LoadedRollout): RolloutFormat {
  if (loaded.format === "codex_jsonl_2025") return loaded.format;
  return loaded.historyMode === "paginated" ? "journal" : "codex_envelope";
}

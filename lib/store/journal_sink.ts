/**
 * Durable append (RELIABILITY.md "The recipes") for the line formats: one buffer per batch,
 * written completely, `fdatasync`ed (big batches on a worker thread); a torn tail is cut back
 * before the first append.
 */
import { RolloutError, type RolloutFormat } from "../schemas/mod.ts";
import { type FileSystem, writeAll } from "../runtime/mod.ts";
import { BatchEncoder, statePayload } from "../formats/mod.ts";
import type { PendingRecord, Sink } from "./sink.ts";

const NEWLINE = 10;

/**
 * A batch this big means ops arrive faster than the disk syncs them: its sync runs on a worker
 * thread so the next ops are read and encoded meanwhile. A small one syncs inline, saving the
 * thread hop on the latency of an awaited commit.
 */
export const DEFAULT_BACKGROUND_SYNC_BYTES = 16 * 1024;

/** Appends batches of records to a journal, Codex enveloped or Codex 2025 JSONL file. */
export class JournalSink implements Sink {
  readonly #fs: FileSystem;
  readonly #path: string;
  readonly #format: RolloutFormat;
  readonly #sync: boolean;
  #fd: number | null = null;
  /** Bytes known to be durable: everything up to the last acknowledged line. */
  #durable: number;
  #nextOrdinal: number;
  #tailChecked = false;
  /** The file ends in a whole record without its `\n`: it is added before the first append. */
  #lineEndMissing: boolean;
  /** Whether a message's `event_msg` mirror follows it (Codex's enveloped lines, SPEC §6). */
  readonly #mirrors: boolean;
  readonly #backgroundSyncBytes: number;
  readonly #encoder: BatchEncoder;

  constructor(
    fsys: FileSystem,
    options: {
      path: string;
      format: RolloutFormat;
      sync: boolean;
      durableBytes: number;
      nextOrdinal: number;
      /** The last record lacks its `\n` (the loader kept it): add it before appending. */
      lineEndMissing?: boolean;
      /** Batches of at least this many bytes are synced off the event loop. */
      backgroundSyncBytes?: number | undefined;
    },
  ) {
    this.#fs = fsys;
    this.#path = options.path;
    this.#format = options.format;
    this.#mirrors = options.format !== "codex_jsonl_2025";
    this.#sync = options.sync;
    this.#durable = options.durableBytes;
    this.#nextOrdinal = options.nextOrdinal;
    this.#lineEndMissing = options.lineEndMissing ?? false;
    this.#backgroundSyncBytes = options.backgroundSyncBytes ?? DEFAULT_BACKGROUND_SYNC_BYTES;
    this.#encoder = new BatchEncoder(options.format);
  }

  commit(
    records: readonly PendingRecord[],
    options: { inlineSync?: boolean } = {},
  ): void | Promise<void> {
    if (records.length === 0) return;
    const fd = this.#open();
    let ordinal = this.#nextOrdinal;
    this.#encoder.discard();
    for (const record of records) {
      if (record.kind === "state") {
        const payload = statePayload(record.state);
        this.#encoder.add({ kind: "state", payload, timestamp: record.timestamp, ordinal });
        continue;
      }
      const { timestamp } = record;
      this.#encoder.add({ kind: "response_item", payload: record.payload, timestamp, ordinal });
      ordinal++;
      if (record.mirror !== null && this.#mirrors) {
        this.#encoder.add({ kind: "event_msg", payload: record.mirror, timestamp, ordinal });
        ordinal++;
      }
    }
    const bytes = this.#encoder.take();
    const length = bytes.length;
    try {
      writeAll(this.#fs, fd, bytes);
    } catch (error) {
      this.#cutAfterFailedWrite(fd);
      throw error;
    }
    const done = () => {
      this.#durable += length;
      this.#nextOrdinal = ordinal;
    };
    if (!this.#sync) return done();
    if (options.inlineSync !== true && length >= this.#backgroundSyncBytes) {
      return this.#fs.fdatasyncAsync(fd).then(done);
    }
    this.#fs.fdatasync(fd);
    done();
  }

  /**
   * Reopens the file, cuts it back to the last acknowledged line and syncs that cut; then
   * re-checks the size and that the kept part still ends a line. Never trusts an earlier sync.
   */
  recover(): void {
    this.#closeFd();
    this.#tailChecked = false;
    const fd = this.#open();
    if (this.#sync) this.#fs.fdatasync(fd);
    const size = this.#fs.size(fd);
    if (size !== this.#durable) {
      throw new RolloutError(
        "io_error",
        `Cannot recover rollout "${this.#path}": it holds ${size} bytes after the cut, expected ${this.#durable}`,
      );
    }
    if (size > 0 && !this.#lineEndMissing && this.#lastByte(size) !== NEWLINE) {
      throw new RolloutError(
        "io_error",
        `Cannot recover rollout "${this.#path}": byte ${size - 1} no longer ends a line`,
      );
    }
  }

  /**
   * A short write may have left whole lines of the refused batch (an item before its event_msg
   * mirror): they are cut at once, so no reader meets a refused record as if it had been
   * written. Best effort: when even the cut fails, `recover` cuts before anything else, and
   * the write's own error is the one reported.
   */
  #cutAfterFailedWrite(fd: number): void {
    try {
      this.#fs.truncate(fd, this.#durable);
    } catch {
      this.#tailChecked = false;
    }
  }

  #lastByte(size: number): number | undefined {
    const fd = this.#fs.open(this.#path, "read");
    try {
      const last = new Uint8Array(1);
      return this.#fs.read(fd, last, size - 1) === 1 ? last[0] : undefined;
    } finally {
      this.#fs.close(fd);
    }
  }

  close(): void {
    this.#closeFd();
  }

  /** Opens for appending and cuts anything past the last acknowledged line. */
  #open(): number {
    if (this.#fd !== null && this.#tailChecked) return this.#fd;
    if (this.#fd === null) {
      this.#fd = this.#fs.open(this.#path, "append");
      this.#fs.restrict?.(this.#fd);
    }
    const fd = this.#fd;
    const size = this.#fs.size(fd);
    if (size < this.#durable) {
      throw new RolloutError(
        "io_error",
        `Cannot append to rollout "${this.#path}": it shrank to ${size} bytes, expected at least ${this.#durable}`,
      );
    }
    if (size > this.#durable) this.#fs.truncate(fd, this.#durable);
    if (this.#lineEndMissing) this.#addLineEnd(fd);
    this.#tailChecked = true;
    return fd;
  }

  /**
   * Ends the kept last record with its `\n`, durably, before any new record: appended
   * straight after it, the next record would share its line and both would be lost to a reader.
   */
  #addLineEnd(fd: number): void {
    try {
      writeAll(this.#fs, fd, new Uint8Array([NEWLINE]));
      if (this.#sync) this.#fs.fdatasync(fd);
    } catch (error) {
      this.#cutAfterFailedWrite(fd);
      throw error;
    }
    this.#durable += 1;
    this.#lineEndMissing = false;
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = null;
    if (fd !== null) this.#fs.close(fd);
  }
}

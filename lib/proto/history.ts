/**
 * The cross-session message history (SPEC §4): `<home>/history.jsonl`, one
 * `{"session_id","ts","text"}` line per entry, appended under an `flock` on the file
 * so processes never interleave bytes. `log_id` is the file's inode, `offset` an entry index.
 */
import * as fs from "node:fs";
import { concatBytes, parseJson } from "../base/mod.ts";
import { errnoOf, HistoryEntry, ioError, RolloutError } from "../schemas/mod.ts";
import { historyPath } from "../store/mod.ts";
import { type HeldLock, lockFile, nodeFileSystem } from "../runtime/mod.ts";
import { setTimeout } from "node:timers";

const CHUNK = 1 << 16;
const NEWLINE = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Counts the complete lines in `[from, to)` and finds the end of the last one. */
function scanLines(fd: number, from: number, to: number): { lines: number; end: number } {
  const buffer = new Uint8Array(CHUNK);
  let lines = 0;
  let end = from;
  for (let position = from; position < to;) {
    const n = fs.readSync(fd, buffer, 0, Math.min(CHUNK, to - position), position);
    if (n <= 0) break;
    for (let i = 0; i < n; i++) {
      if (buffer[i] === NEWLINE) {
        lines++;
        end = position + i + 1;
      }
    }
    position += n;
  }
  return { lines, end };
}

/** Whether opening the history failed because there is none: no file, or no home folder. */
function noFile(error: unknown): boolean {
  const errno = errnoOf(error);
  return errno === "ENOENT" || errno === "ENOTDIR";
}

/** The history file of one home. */
export class History {
  readonly path: string;
  readonly #home: string;
  readonly #sync: boolean;
  /** Entries counted up to `end` bytes of the file with inode `ino`. */
  #known = { ino: -1, end: 0, count: 0 };
  /** The last append of {@linkcode appendWhenFree} asked for, settled or not. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(home: string, options: { sync: boolean }) {
    this.#home = home;
    this.path = historyPath(home);
    this.#sync = options.sync;
  }

  /**
   * `{log_id, entry_count}`; both are 0 while the file (or the home folder) does not exist.
   * Reads open without blocking and refuse anything but a regular file (a FIFO would wait for a
   * writer forever).
   */
  metadata(): { log_id: number; entry_count: number } {
    let fd: number;
    try {
      fd = nodeFileSystem.open(this.path, "read");
    } catch (error) {
      if (noFile(error)) return { log_id: 0, entry_count: 0 };
      throw ioError("read history", this.path, error);
    }
    try {
      const stat = fs.fstatSync(fd);
      return { log_id: stat.ino, entry_count: this.#count(fd, stat.ino, stat.size).count };
    } catch (error) {
      throw ioError("read history", this.path, error);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Appends an entry under the lock, synced unless `--no-fsync`, and returns where it went.
   * An unterminated last line (a writer that crashed mid-line) is cut off first.
   */
  append(entry: HistoryEntry): { log_id: number; offset: number } {
    const line = this.#prepare(entry);
    let held;
    try {
      held = lockFile(this.path, { wait: true });
    } catch (error) {
      throw ioError("lock history", this.path, error);
    }
    return this.#appendLocked(line, held);
  }

  /**
   * {@linkcode append} for the op stream: the lock is tried again and again (the other ops and
   * a signal go on meanwhile) rather than waited on in one blocking call, and given up after
   * `waitMs` with a `locked` error: a process that holds it forever cannot stall the stream.
   */
  appendWhenFree(
    entry: HistoryEntry,
    options: { waitMs: number },
  ): Promise<{ log_id: number; offset: number }> {
    // One at a time, in the order asked: each waiting op polling on its own would let a later
    // one take the lock first. The wait counts from the asking.
    const deadline = Date.now() + options.waitMs;
    const turn = this.#queue.then(() => this.#appendBy(entry, deadline, options.waitMs));
    this.#queue = turn.catch(() => {});
    return turn;
  }

  /** Appends `entry` once the lock is free, trying until `deadline`. */
  async #appendBy(
    entry: HistoryEntry,
    deadline: number,
    waitMs: number,
  ): Promise<{ log_id: number; offset: number }> {
    const line = this.#prepare(entry);
    for (let pause = 2;; pause = Math.min(2 * pause, 100)) {
      let held;
      try {
        held = lockFile(this.path, { wait: false });
      } catch (error) {
        throw ioError("lock history", this.path, error);
      }
      if (held !== null) return this.#appendLocked(line, held);
      if (Date.now() >= deadline) {
        throw new RolloutError(
          "locked",
          `Cannot append to history "${this.path}": another process has held its lock for ${
            waitMs / 1000
          } s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  /** The entry's line, once the home folder exists. */
  #prepare(entry: HistoryEntry): Uint8Array {
    const line = encoder.encode(`${JSON.stringify(HistoryEntry.parse(entry))}\n`);
    try {
      fs.mkdirSync(this.#home, { recursive: true, mode: 0o700 });
    } catch (error) {
      if (errnoOf(error) === "EEXIST" || errnoOf(error) === "ENOTDIR") {
        throw new RolloutError(
          "invalid_argument",
          `Cannot use the home "${this.#home}": it (or a folder above it) is not a folder`,
        );
      }
      throw ioError("create folder", this.#home, error);
    }
    return line;
  }

  /** Appends `line` under the lock `held`, which it releases. */
  #appendLocked(line: Uint8Array, held: HeldLock): { log_id: number; offset: number } {
    let fd = -1;
    try {
      fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_APPEND, 0o600);
      const stat = fs.fstatSync(fd);
      // A FIFO or a device in its place would take the entry and keep nothing.
      if (!stat.isFile()) throw new Error("is not a regular file");
      if ((stat.mode & 0o777) !== 0o600) fs.fchmodSync(fd, 0o600);
      const known = this.#count(fd, stat.ino, stat.size);
      if (known.end < stat.size) fs.ftruncateSync(fd, known.end);
      for (let done = 0; done < line.length;) {
        done += fs.writeSync(fd, line.subarray(done));
      }
      if (this.#sync) fs.fdatasyncSync(fd);
      this.#known = { ino: stat.ino, end: known.end + line.length, count: known.count + 1 };
      return { log_id: stat.ino, offset: known.count };
    } catch (error) {
      this.#known = { ino: -1, end: 0, count: 0 };
      throw ioError("append to history", this.path, error);
    } finally {
      if (fd >= 0) fs.closeSync(fd);
      held.release();
    }
  }

  /** The entry at `offset` of the file `logId`, or null (other file, no such entry, bad line). */
  lookup(logId: number, offset: number): HistoryEntry | null {
    let fd: number;
    try {
      fd = nodeFileSystem.open(this.path, "read");
    } catch (error) {
      if (noFile(error)) return null;
      throw ioError("read history", this.path, error);
    }
    try {
      if (fs.fstatSync(fd).ino !== logId) return null;
      const bytes = lineAt(fd, offset);
      if (bytes === null) return null;
      const parsed = HistoryEntry.safeParse(parseJson(decoder.decode(bytes)));
      return parsed.success ? parsed.data : null;
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof TypeError) return null;
      throw ioError("read history", this.path, error);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Complete lines of the file, counted incrementally while it only grows. */
  #count(fd: number, ino: number, size: number): { end: number; count: number } {
    const known = this.#known;
    const from = known.ino === ino && known.end <= size ? known : { ino, end: 0, count: 0 };
    const scan = scanLines(fd, from.end, size);
    const result = { ino, end: scan.end, count: from.count + scan.lines };
    this.#known = result;
    return result;
  }
}

/** The bytes of complete line number `index` (0-based), or null. */
function lineAt(fd: number, index: number): Uint8Array | null {
  const buffer = new Uint8Array(CHUNK);
  const parts: Uint8Array[] = [];
  let line = 0;
  for (let position = 0;;) {
    const n = fs.readSync(fd, buffer, 0, CHUNK, position);
    if (n <= 0) return null;
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buffer[i] !== NEWLINE) continue;
      if (line === index) {
        parts.push(buffer.slice(start, i));
        return concatBytes(parts);
      }
      line++;
      start = i + 1;
    }
    if (line === index) parts.push(buffer.slice(start, n));
    position += n;
  }
}

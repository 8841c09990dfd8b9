/**
 * Atomic replace (RELIABILITY.md "The recipes"): a temporary file in the same folder, written
 * completely and synced, renamed over the target, then the folder synced.
 */
import * as path from "node:path";
import { setImmediate } from "node:timers";
import { errnoOf, ioError, RolloutError } from "../schemas/mod.ts";
import { Utf8Buffer } from "../base/mod.ts";
import { type FileSystem, syncDirectory, writeAll } from "../runtime/mod.ts";

const TEMP_MARK = ".tmp-";

/** The temporary files of our own pattern that may stand beside `target`. */
export function isTempOf(target: string, name: string): boolean {
  const prefix = path.basename(target) + TEMP_MARK;
  return name.startsWith(prefix) && /^[0-9a-z]+$/.test(name.slice(prefix.length));
}

/**
 * Replaces `target` with `bytes` so that a crash leaves either the old or the new file. A new
 * target appears whole or not at all, which is how rollouts are created.
 */
export function atomicReplace(
  fsys: FileSystem,
  target: string,
  options: { bytes: Uint8Array; sync: boolean },
): void {
  const temp = openTemp(fsys, target);
  completeReplace(fsys, target, temp, options, () => writeAll(fsys, temp.fd, options.bytes));
}

/**
 * Bytes of a streamed write after which a sync of them is started, while the writing goes on.
 * Since a copy writes on worker threads, a sync every 8 MiB lets it go of its pages sooner, and
 * its next writes take them back while they are fresh: `convert` of the 1 GiB B8 rollout, nine
 * alternating runs of builds that read the setting from the environment, took 1.24 s with a
 * sync every 64 MiB, 1.22 s every 16 and 1.18 s every 8 (medians; 1.34 s for the build that
 * wrote in turn). README, Performance, has the rest.
 */
export const SYNC_AHEAD = 8 * 1024 * 1024;

/**
 * What a streamed write hands its text to. Each piece is encoded on its own: one must not end
 * between the two halves of a surrogate pair (whole lines and items never do).
 */
export type Put = (text: string) => void;

/**
 * What a streamed write awaits now and then (after each MiB it reads): a turn of the event loop
 * while a write or a sync ahead is on its way, so that its end is seen, and a wait while too
 * much is on its way. It rejects once a write or a sync ahead has failed: the reader stops.
 */
export type Between = () => Promise<void> | void;

/** Bytes of a streamed write that may be on their way to the file at once (see StreamedWrite). */
export const WRITES_AHEAD = 4 * 1024 * 1024;

/** A write on its way: it ends the file at `end` once `done`. */
interface Pending {
  end: number;
  done: boolean;
}

/**
 * Text written to an open file as it comes, encoded into buffers of a MiB used again and
 * again. Where the file system writes at a place on a worker thread (`writeAtAsync`: in Bun),
 * a full buffer is written there while this thread goes on in the next, so that the kernel's
 * copy into the page cache is not made on this thread (of a GiB, 0.46 s of its time in
 * `perf`). At most {@linkcode WRITES_AHEAD} bytes are on their way; past them, or where the
 * file system cannot, a buffer is written in turn. Writes on their way end only when the event loop turns:
 * `between` turns it, and waits while too much is on its way.
 *
 * With `sync`, every `syncAhead` bytes written a sync of them starts on a worker thread while
 * the writing goes on, so that the disk writes while this thread reads and encodes: the last
 * sync then waits for the tail only (of a GiB: 0.8 s otherwise). One at a time; it is only a
 * head start, the caller's final sync is what makes the file durable. A failure of a write or
 * a sync is kept (never left as an unhandled rejection) and fails the write at the next chance.
 */
export class StreamedWrite {
  readonly #fsys: FileSystem;
  readonly #fd: number;
  readonly #sync: boolean;
  readonly #ahead: number;
  readonly #out: Utf8Buffer;
  /** Where the next buffer goes: every byte handed over before it is written or on its way. */
  #handed = 0;
  /** Every byte before this is written. */
  #bytes = 0;
  #synced = 0;
  /** Writes on their way or written out of turn, in the file's order. */
  readonly #pending: Pending[] = [];
  /** Bytes of the writes on their way. */
  #onTheirWay = 0;
  /** Buffers whose writes have ended, to be filled again. */
  readonly #spare: Uint8Array[] = [];
  /** Called each time a write on its way ends. */
  #wake: (() => void)[] = [];
  #syncing: Promise<void> | null = null;
  #failed: { error: unknown } | null = null;
  #ending = false;
  // Set once the descriptor is about to be closed: a late `put` (a writer that did not stop)
  // fails instead of writing to it or starting a sync of it.
  #closing = false;

  /** `fd`: a file open for writing from its start, not for appending (writes go at places). */
  constructor(fsys: FileSystem, fd: number, options: { sync: boolean; syncAhead?: number }) {
    this.#fsys = fsys;
    this.#fd = fd;
    this.#sync = options.sync;
    this.#ahead = options.syncAhead ?? SYNC_AHEAD;
    this.#out = new Utf8Buffer((data, buffer) => this.#write(data, buffer));
  }

  /** Hands text over; see {@linkcode Put}. */
  readonly put: Put = (text) => this.#out.add(text);

  /**
   * A turn of the event loop while a write or a sync ahead is on its way, so that its end is
   * seen; while more than half of {@linkcode WRITES_AHEAD} is on its way, until it is less.
   * Rejects once a write or a sync ahead has failed. See {@linkcode Between}.
   */
  readonly between: Between = () => {
    if (this.#failed !== null) return Promise.reject(this.#failed.error);
    if (this.#onTheirWay > WRITES_AHEAD / 2) {
      return this.#ended(() => this.#onTheirWay <= WRITES_AHEAD / 2 || this.#failed !== null)!
        .then(() => {
          if (this.#failed !== null) throw this.#failed.error;
        });
    }
    if (this.#syncing === null && this.#onTheirWay === 0) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve));
  };

  /**
   * Writes out what is held (with no sync ahead: the caller's final sync follows) and waits for
   * the writes and the sync ahead still on their way; throws the failure of any. Returns the
   * bytes written. The descriptor may be closed once it has settled.
   */
  async finish(): Promise<number> {
    this.#ending = true;
    try {
      this.#out.flush();
    } finally {
      this.#closing = true;
    }
    await this.#settled();
    return this.#bytes;
  }

  /** After a failure: no more writes, and the writes and the sync ahead on their way have ended. */
  async abandon(): Promise<void> {
    this.#closing = true;
    await this.#settled().catch(() => {});
  }

  /** The failure of a write or a sync ahead of this file, if one failed. */
  get failure(): { error: unknown } | null {
    return this.#failed;
  }

  async #settled(): Promise<void> {
    await this.#ended(() => this.#onTheirWay === 0);
    if (this.#syncing !== null) await this.#syncing;
    if (this.#failed !== null) throw this.#failed.error;
  }

  /** Resolves once `done()` holds, looked at each time a write on its way ends. */
  #ended(done: () => boolean): Promise<void> | undefined {
    if (done()) return undefined;
    return new Promise<void>((resolve) => {
      const look = () => (done() ? resolve() : this.#wake.push(look));
      this.#wake.push(look);
    });
  }

  #write(data: Uint8Array, buffer: Uint8Array): Uint8Array | void {
    if (this.#closing) throw new Error("the file was written to after it ended");
    if (this.#failed !== null) throw this.#failed.error;
    const fsys = this.#fsys;
    const at = this.#handed;
    this.#handed += data.length;
    const pending: Pending = { end: at + data.length, done: false };
    this.#pending.push(pending);
    if (fsys.writeAt === undefined || fsys.writeAtAsync === undefined) {
      this.#keep(() => writeAll(fsys, this.#fd, data));
      pending.done = true;
      this.#advance();
      return;
    }
    if (this.#ending || this.#onTheirWay + data.length > WRITES_AHEAD) {
      this.#keep(() => writeAllAt(fsys, this.#fd, data, at));
      pending.done = true;
      this.#advance();
      return;
    }
    this.#onTheirWay += data.length;
    this.#writeAway(data, at, (ok) => {
      this.#onTheirWay -= data.length;
      this.#spare.push(buffer);
      if (ok) {
        pending.done = true;
        this.#advance();
      }
      const wake = this.#wake;
      this.#wake = [];
      for (const look of wake) look();
    });
    return this.#spare.pop() ?? new Uint8Array(buffer.length);
  }

  /**
   * Writes `data` at `at` on a worker thread, going on after a short write, then calls `ended`
   * (false after a failure, which is kept).
   */
  #writeAway(data: Uint8Array, at: number, ended: (ok: boolean) => void): void {
    const fail = (error: unknown) => {
      this.#failed ??= { error };
      ended(false);
    };
    this.#fsys.writeAtAsync!(this.#fd, data, at).then((n) => {
      if (n <= 0) fail(Object.assign(new Error("write made no progress"), { code: "EIO" }));
      else if (n < data.length) this.#writeAway(data.subarray(n), at + n, ended);
      else ended(true);
    }, fail);
  }

  /**
   * Runs a write in turn; its failure is kept, so that a caller whose writer wraps what `put`
   * throws can still tell a failed write from a failure of its own.
   */
  #keep(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.#failed ??= { error };
      throw error;
    }
  }

  /**
   * Moves the end of what is written on, past the writes at the head that have ended, and
   * starts a sync ahead when it is due.
   */
  #advance(): void {
    while (this.#pending.length > 0 && this.#pending[0]!.done) {
      this.#bytes = this.#pending.shift()!.end;
    }
    if (
      !this.#sync || this.#ending || this.#closing || this.#syncing !== null ||
      this.#failed !== null ||
      this.#bytes - this.#synced < this.#ahead
    ) {
      return;
    }
    this.#synced = this.#bytes;
    this.#syncing = this.#fsys.fdatasyncAsync(this.#fd).then(
      () => {
        this.#syncing = null;
        // What the sync wrote to the disk is let go of the page cache, so that the next
        // writes can take the pages just freed instead of fresh memory (a GiB copied after
        // other work: 1.81-2.60 s before, 1.40-1.54 s after). Only a help: a failure of it
        // must neither fail the write nor be left unhandled.
        try {
          // (No other sync has started since: `#synced` is still what this one covers.)
          this.#fsys.dropCache?.(this.#fd, this.#synced);
        } catch {
          // The pages stay cached; nothing else changes.
        }
      },
      (error: unknown) => {
        this.#syncing = null;
        this.#failed ??= { error };
      },
    );
  }
}

/** Writes every byte of `data` at `position`, looping over short writes. */
function writeAllAt(fsys: FileSystem, fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) {
    const n = fsys.writeAt!(fd, done === 0 ? data : data.subarray(done), position + done);
    if (n <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
    done += n;
  }
}

/**
 * {@linkcode atomicReplace} with content produced piece by piece (a copy of a large rollout,
 * SPEC §7): `write` hands text to `put` as it goes, written as {@linkcode StreamedWrite} says.
 * Returns the bytes written. A failure in `write` leaves no file behind.
 */
export async function atomicWrite(
  fsys: FileSystem,
  target: string,
  options: { sync: boolean; syncAhead?: number },
  write: (put: Put, between: Between) => Promise<void> | void,
): Promise<number> {
  const temp = openTemp(fsys, target);
  const out = new StreamedWrite(fsys, temp.fd, options);
  let bytes: number;
  try {
    await write(out.put, out.between);
    bytes = await out.finish();
  } catch (error) {
    // The descriptor is closed only once no write or sync of it is still on its way.
    await out.abandon();
    // A failed write of this file is what went wrong, also when the writer passed it on as a
    // failure of its own (a reader of a rollout calling `put` says it could not load it).
    const cause = out.failure === null ? error : out.failure.error;
    // Closes and removes the temporary file, and throws `cause` (never returns).
    completeReplace(fsys, target, temp, options, () => {
      throw cause;
    });
    throw cause;
  }
  completeReplace(fsys, target, temp, options, () => {});
  return bytes;
}

/** A new temporary file beside `target`, of our own pattern (`<target>.tmp-<random>`). */
export function openTemp(fsys: FileSystem, target: string): { path: string; fd: number } {
  const temp = `${target}${TEMP_MARK}${Math.random().toString(36).slice(2, 12)}`;
  return { path: temp, fd: fsys.open(temp, "create_exclusive") };
}

/**
 * Finishes a replace: `fill` writes the rest, the temporary file is synced, closed and renamed
 * over `target`, then the folder is synced. Before the rename, any failure (of `fill` too)
 * removes the temporary file.
 */
function completeReplace(
  fsys: FileSystem,
  target: string,
  temp: { path: string; fd: number },
  options: { sync: boolean },
  fill: () => void,
): void {
  let renamed = false;
  try {
    try {
      fill();
      if (options.sync) fsys.fsync(temp.fd);
    } finally {
      fsys.close(temp.fd);
    }
    fsys.rename(temp.path, target);
    renamed = true;
  } finally {
    if (!renamed) removeQuietly(fsys, temp.path);
  }
  if (options.sync) syncDirectory(fsys, path.dirname(target));
}

/** Throws `invalid_argument` if `target` exists: a rollout is never created over another. */
export function assertAbsent(fsys: FileSystem, target: string): void {
  let fd: number;
  try {
    fd = fsys.open(target, "read");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return;
    throw ioError("create rollout", target, error);
  }
  fsys.close(fd);
  throw new RolloutError("invalid_argument", `Cannot create rollout "${target}": it exists`);
}

/**
 * Removes stale temporary files of `target` (or of several targets in one folder) left by a
 * crashed writer; with `sync`, the removal is made durable so that a crash cannot bring them
 * back.
 */
export function removeStaleTemps(
  fsys: FileSystem,
  target: string | readonly string[],
  options: { sync: boolean },
): string[] {
  const targets = typeof target === "string" ? [target] : target;
  const dir = path.dirname(targets[0]!);
  const removed: string[] = [];
  for (const name of fsys.readdir(dir)) {
    if (!targets.some((t) => isTempOf(t, name))) continue;
    fsys.unlink(path.join(dir, name));
    removed.push(name);
  }
  if (removed.length > 0 && options.sync) syncDirectory(fsys, dir);
  return removed;
}

/** Unlinks a temporary file after a failure; a missing file is fine, the original error wins. */
export function removeQuietly(fsys: FileSystem, file: string): void {
  try {
    fsys.unlink(file);
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return;
    // The write already failed and that error is what the caller reports; the leftover file
    // matches our pattern and is removed the next time the rollout is opened.
  }
}

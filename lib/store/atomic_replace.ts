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

/** Bytes of a streamed write after which a sync of them is started, while the writing goes on. */
export const SYNC_AHEAD = 64 * 1024 * 1024;

/**
 * What a streamed write hands its text to. Each piece is encoded on its own: one must not end
 * between the two halves of a surrogate pair (whole lines and items never do).
 */
export type Put = (text: string) => void;

/**
 * What a streamed write awaits now and then (after each MiB it reads): a turn of the event
 * loop while a sync started ahead is running, so that its end is seen and the next can start.
 */
export type Between = () => Promise<void> | void;

/**
 * Text written to an open file as it comes: encoded into one buffer of a MiB, used again for
 * each write. With `sync`, every `syncAhead` bytes a sync of what is written so far starts on a
 * worker thread while the writing goes on, so that the disk writes while this thread reads and
 * encodes: the last sync then waits for the tail only (of a GiB: 0.8 s otherwise). One at a
 * time; it is only a head start, the caller's final sync is what makes the file durable. Its
 * failure is kept (never left as an unhandled rejection) and fails the write at the next chance.
 */
export class StreamedWrite {
  readonly #fsys: FileSystem;
  readonly #fd: number;
  readonly #sync: boolean;
  readonly #ahead: number;
  readonly #out: Utf8Buffer;
  #bytes = 0;
  #synced = 0;
  #syncing: Promise<void> | null = null;
  #failed: { error: unknown } | null = null;
  #ending = false;
  // Set once the descriptor is about to be closed: a late `put` (a writer that did not stop)
  // fails instead of writing to it or starting a sync of it.
  #closing = false;

  constructor(fsys: FileSystem, fd: number, options: { sync: boolean; syncAhead?: number }) {
    this.#fsys = fsys;
    this.#fd = fd;
    this.#sync = options.sync;
    this.#ahead = options.syncAhead ?? SYNC_AHEAD;
    this.#out = new Utf8Buffer((data) => this.#write(data));
  }

  /** Hands text over; see {@linkcode Put}. */
  readonly put: Put = (text) => this.#out.add(text);

  /** A turn of the event loop while a sync ahead runs; see {@linkcode Between}. */
  readonly between: Between = () =>
    this.#syncing === null ? undefined : new Promise<void>((resolve) => setImmediate(resolve));

  /**
   * Writes out what is held (with no sync ahead: the caller's final sync follows) and waits for
   * the sync ahead still running; throws the failure of any. Returns the bytes written. The
   * descriptor may be closed once it has settled.
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

  /** After a failure: no more writes, and the sync ahead still running has ended. */
  async abandon(): Promise<void> {
    this.#closing = true;
    await this.#settled().catch(() => {});
  }

  /** The failure of a write or a sync ahead of this file, if one failed. */
  get failure(): { error: unknown } | null {
    return this.#failed;
  }

  async #settled(): Promise<void> {
    if (this.#syncing !== null) await this.#syncing;
    if (this.#failed !== null) throw this.#failed.error;
  }

  #write(data: Uint8Array): void {
    if (this.#closing) throw new Error("the file was written to after it ended");
    if (this.#failed !== null) throw this.#failed.error;
    try {
      writeAll(this.#fsys, this.#fd, data);
    } catch (error) {
      // Kept, so that a caller whose writer wraps what `put` throws can still tell a failed
      // write from a failure of its own.
      this.#failed ??= { error };
      throw error;
    }
    this.#bytes += data.length;
    if (
      this.#sync && !this.#ending && this.#syncing === null &&
      this.#bytes - this.#synced >= this.#ahead
    ) {
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
    // The descriptor is closed only once no sync of it is still running.
    await out.abandon();
    // Closes and removes the temporary file, and throws `error` (never returns).
    completeReplace(fsys, target, temp, options, () => {
      throw error;
    });
    throw error;
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

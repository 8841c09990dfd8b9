/**
 * Atomic replace (RELIABILITY.md "The recipes"): a temporary file in the same folder, written
 * completely and synced, renamed over the target, then the folder synced.
 */
import * as path from "node:path";
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

/** What a streamed write hands its text to. */
export type Put = (text: string) => void;

/**
 * {@linkcode atomicReplace} with content produced piece by piece (a copy of a large rollout,
 * SPEC §7): `write` hands text to `put` as it goes; it is encoded into one buffer of a MiB,
 * used again for each write. Returns the bytes written. A failure in `write` leaves no file
 * behind.
 */
export async function atomicWrite(
  fsys: FileSystem,
  target: string,
  options: { sync: boolean },
  write: (put: Put) => Promise<void> | void,
): Promise<number> {
  const temp = openTemp(fsys, target);
  let bytes = 0;
  const out = new Utf8Buffer((data) => {
    writeAll(fsys, temp.fd, data);
    bytes += data.length;
  });
  try {
    await write((text) => out.add(text));
  } catch (error) {
    completeReplace(fsys, target, temp, options, () => {
      throw error;
    });
  }
  completeReplace(fsys, target, temp, options, () => out.flush());
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

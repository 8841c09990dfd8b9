/**
 * The cross-process writer lock of one rollout (SPEC §3): a `flock` on `<rollout>.lock`
 * holding the holder's pid, and one on the rollout file itself, so that another name of the
 * same file (a hard link) is refused too. The OS releases both when the holder dies; readers
 * never take them.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { errnoOf, ioError, plainError, RolloutError } from "../schemas/mod.ts";
import { type HeldLock, lockFile } from "../runtime/mod.ts";

/** The lock file that guards `rolloutPath`. */
export function lockPathOf(rolloutPath: string): string {
  return `${rolloutPath}.lock`;
}

/**
 * The rollout's path with symbolic links resolved (its folder's, when the file does not exist
 * yet), so that two names of one file share one lock.
 */
function canonicalPath(rolloutPath: string): string {
  try {
    return fs.realpathSync(rolloutPath);
  } catch (error) {
    if (errnoOf(error) !== "ENOENT") return rolloutPath;
  }
  try {
    const dir = fs.realpathSync(nodePath.dirname(rolloutPath));
    return nodePath.join(dir, nodePath.basename(rolloutPath));
  } catch {
    return rolloutPath;
  }
}

/** A held writer lock. */
export class WriterLock {
  readonly path: string;
  #held: HeldLock | null;
  /** The lock on the rollout file itself (none while the file does not exist yet). */
  #file: HeldLock | null = null;

  private constructor(path: string, held: HeldLock) {
    this.path = path;
    this.#held = held;
  }

  /**
   * Locks `rolloutPath` for writing, or throws `locked` naming the holder's pid where it
   * is known.
   */
  static acquire(rolloutPath: string, options: { pid: number }): WriterLock {
    refuseSpecialFile(rolloutPath);
    const path = lockPathOf(canonicalPath(rolloutPath));
    for (let attempt = 0; attempt < 20; attempt++) {
      let held: HeldLock | null;
      try {
        held = lockFile(path, { wait: false });
      } catch (error) {
        const folder = nodePath.dirname(rolloutPath);
        if (errnoOf(error) === "ENOENT" && !fs.existsSync(folder)) {
          throw new RolloutError(
            "not_found",
            `Cannot write rollout "${rolloutPath}": its folder "${folder}" does not exist`,
            { cause: error },
          );
        }
        throw new RolloutError(
          "io_error",
          `Cannot write rollout "${rolloutPath}": its lock file "${path}" cannot be created there: ${
            errnoOf(error) === "ENOENT" ? "the folder does not take new files" : plainError(error)
          }`,
          { cause: error },
        );
      }
      if (held === null) throw lockedError(rolloutPath, path);
      // The previous holder may have unlinked the file between our open and our lock.
      let current: number;
      try {
        current = fs.statSync(path).ino;
      } catch (error) {
        held.release();
        if (errnoOf(error) === "ENOENT") continue;
        throw ioError("lock rollout", rolloutPath, error);
      }
      if (current !== held.ino) {
        held.release();
        continue;
      }
      const lock = new WriterLock(path, held);
      try {
        lock.#file = lockRollout(rolloutPath);
        held.writeText(`${options.pid}\n`);
      } catch (error) {
        lock.release();
        if (error instanceof RolloutError) throw error;
        throw ioError("lock rollout", rolloutPath, error);
      }
      return lock;
    }
    throw lockedError(rolloutPath, path);
  }

  /**
   * Who holds the writer lock of `rolloutPath` (`process 42`, `another process`), or null when
   * nobody does. Creates nothing: for reports that must not change the folder (dry runs).
   */
  static heldBy(rolloutPath: string): string | null {
    const path = lockPathOf(canonicalPath(rolloutPath));
    let held: HeldLock | null;
    try {
      held = lockFile(path, { wait: false, existing: true });
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return null;
      throw ioError("check the lock of", rolloutPath, error);
    }
    if (held === null) return holderOf(path);
    held.release();
    return null;
  }

  /**
   * Locks the rollout file itself too, if that was not possible when the lock was taken
   * because the file did not exist yet (it was restored from its compressed form since).
   */
  holdFile(rolloutPath: string): void {
    if (this.#held === null || this.#file !== null) return;
    this.#file = lockRollout(rolloutPath);
  }

  /** Releases the lock and removes its file. Safe to call twice. */
  release(): void {
    const held = this.#held;
    if (held === null) return;
    this.#held = null;
    this.#file?.release();
    this.#file = null;
    try {
      fs.unlinkSync(this.path);
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") {
        held.release();
        throw ioError("remove lock file", this.path, error);
      }
    }
    held.release();
  }
}

/**
 * Locks the rollout file itself, if it exists: held elsewhere, it is being written under
 * another name (a hard link), by this process or another.
 */
function lockRollout(rolloutPath: string): HeldLock | null {
  let held: HeldLock | null;
  try {
    held = lockFile(rolloutPath, { wait: false, existing: true });
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return null;
    throw error;
  }
  if (held === null) {
    throw new RolloutError(
      "locked",
      `Cannot write rollout "${rolloutPath}": it is being written under another name (a hard link to the same file)`,
    );
  }
  return held;
}

/**
 * Refuses a FIFO, device, socket or folder before anything is opened: opening a FIFO would
 * wait for a writer forever (and leave a lock file behind), and none of them is a rollout.
 */
function refuseSpecialFile(rolloutPath: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(rolloutPath);
  } catch {
    return; // Missing (a new file) or unreadable: the open that follows says why.
  }
  if (stat.isFile()) return;
  const what = stat.isDirectory()
    ? "a folder"
    : stat.isFIFO()
    ? "a FIFO (named pipe)"
    : stat.isSocket()
    ? "a socket"
    : stat.isCharacterDevice() || stat.isBlockDevice()
    ? "a device"
    : "not a regular file";
  throw new RolloutError(
    "invalid_rollout",
    `Cannot write rollout "${rolloutPath}": it is ${what}, not a rollout file`,
  );
}

/** The holder named in a lock file: `process 42`, else `another process`. */
function holderOf(lockPath: string): string {
  let pid = "";
  try {
    pid = fs.readFileSync(lockPath, "utf8").trim();
  } catch {
    pid = "";
  }
  return /^\d+$/.test(pid) ? `process ${pid}` : "another process";
}

function lockedError(rolloutPath: string, lockPath: string): RolloutError {
  return new RolloutError(
    "locked",
    `Cannot write rollout "${rolloutPath}": it is locked by ${holderOf(lockPath)}`,
  );
}

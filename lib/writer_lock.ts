/**
 * The cross-process writer lock of one rollout (SPEC §3): a `flock` on `<rollout>.lock`
 * holding the holder's pid. The OS releases it when the holder dies; readers never take it.
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { errnoOf, ioError, RolloutError } from "./errors.ts";
import { type HeldLock, lockFile } from "./runtime.ts";

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

  private constructor(path: string, held: HeldLock) {
    this.path = path;
    this.#held = held;
  }

  /**
   * Locks `rolloutPath` for writing, or throws `locked` naming the holder's pid where it
   * is known.
   */
  static acquire(rolloutPath: string, options: { pid: number }): WriterLock {
    const path = lockPathOf(canonicalPath(rolloutPath));
    for (let attempt = 0; attempt < 20; attempt++) {
      let held: HeldLock | null;
      try {
        held = lockFile(path, { wait: false });
      } catch (error) {
        throw ioError("lock rollout", rolloutPath, error);
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
      try {
        held.writeText(`${options.pid}\n`);
      } catch (error) {
        held.release();
        throw ioError("lock rollout", rolloutPath, error);
      }
      return new WriterLock(path, held);
    }
    throw lockedError(rolloutPath, path);
  }

  /** Releases the lock and removes its file. Safe to call twice. */
  release(): void {
    const held = this.#held;
    if (held === null) return;
    this.#held = null;
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

function lockedError(rolloutPath: string, lockPath: string): RolloutError {
  let pid = "";
  try {
    pid = fs.readFileSync(lockPath, "utf8").trim();
  } catch {
    pid = "";
  }
  const holder = /^\d+$/.test(pid) ? `process ${pid}` : "another process";
  return new RolloutError(
    "locked",
    `Cannot write rollout "${rolloutPath}": it is locked by ${holder}`,
  );
}

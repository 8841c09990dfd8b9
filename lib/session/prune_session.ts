/**
 * Deleting one session for `prune` (SPEC §8): every file of its group, under the writer locks
 * of its rollout files, the archive before the plain file it shadows, then the folder synced.
 * A crash part-way leaves whole files only, each one readable as the session it was.
 */
import * as path from "node:path";
import { errnoOf, ioError, RolloutError } from "../schemas/mod.ts";
import { type FileSystem, nodeFileSystem, syncDirectory } from "../runtime/mod.ts";
import { heldBy, plainPathOf, WriterLock } from "../store/mod.ts";
import type { SessionGroup } from "./session_groups.ts";

/** Options of {@linkcode pruneSession}. */
export interface PruneOptions {
  /** The file system (tests pass a simulated one). */
  fs?: FileSystem;
  /** Sync the folder after the deletions (default true). */
  sync?: boolean;
  /** Take the writer locks of the session's files (default true; false in tests). */
  lock?: boolean;
  pid?: number;
}

/** What {@linkcode pruneSession} did. */
export type PruneOutcome =
  | { status: "deleted"; group: SessionGroup; deleted: string[] }
  | { status: "skipped"; group: SessionGroup; reason: "locked"; message: string };

/** The files whose writer locks guard a group: an archive is guarded by its plain name's. */
export function lockedNames(group: SessionGroup): string[] {
  return [...new Set(group.rollouts.map((file) => plainPathOf(file.path) ?? file.path))];
}

/**
 * Deletes every file of `group` unless a writer holds one of its rollout files (then nothing
 * is touched and the outcome says who). Files already gone are fine; any other failure throws
 * `io_error` naming the file, with the files before it deleted.
 */
export function pruneSession(group: SessionGroup, options: PruneOptions = {}): PruneOutcome {
  const fsys = options.fs ?? nodeFileSystem;
  const locks: WriterLock[] = [];
  try {
    if (options.lock !== false) {
      for (const file of lockedNames(group)) {
        try {
          locks.push(WriterLock.acquire(file, { pid: options.pid ?? process.pid }));
        } catch (error) {
          if (!(error instanceof RolloutError) || error.code !== "locked") throw error;
          return { status: "skipped", group, reason: "locked", message: heldBy(error) };
        }
      }
    }
    const deleted: string[] = [];
    for (const { path: file } of [...group.rollouts, ...group.sidecars]) {
      try {
        fsys.unlink(file);
        deleted.push(file);
      } catch (error) {
        if (errnoOf(error) !== "ENOENT") throw ioError("delete", file, error);
      }
    }
    const folder = path.dirname(group.stem);
    if (options.sync !== false && deleted.length > 0) {
      try {
        syncDirectory(fsys, folder);
      } catch (error) {
        throw ioError("sync folder", folder, error);
      }
    }
    return { status: "deleted", group, deleted };
  } finally {
    for (const lock of locks) lock.release();
  }
}

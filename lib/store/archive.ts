/**
 * Archive and restore (SPEC §8): a plain line rollout compressed to Codex's cold-storage form
 * `<name>.zst` beside it, and back. The new form is written aside, synced, checked byte for byte
 * against the old one, renamed into place and its folder synced before the old one is removed,
 * so a crash at any moment leaves the session readable in one of its forms, never neither.
 */
import * as path from "node:path";
import { errnoOf, ioError, isSystemError, RolloutError } from "../schemas/mod.ts";
import {
  type FileSystem,
  isZstd,
  nodeFileSystem,
  syncDirectory,
  zstdIncomplete,
} from "../runtime/mod.ts";
import { openTemp, removeQuietly, removeStaleTemps } from "./atomic_replace.ts";
import { WriterLock } from "./writer_lock.ts";
import { compareUnpacked, type Comparison, type OpenFile, zstdCopy } from "./zstd_copy.ts";

/**
 * The zstd level `archive` uses unless told otherwise: with long-distance matching it finds
 * the repeated images of a session at any level; higher levels gain a few percent on text at
 * several times the cost (measured in the README, Performance).
 */
export const DEFAULT_ARCHIVE_LEVEL = 3;
/**
 * Long-distance matching over 32 MiB (2^25) by default: a reader needs a buffer of the window
 * to decompress, and 32 MiB keeps reading an archive within the memory every command holds
 * to (64 MiB above the program itself). `--window 27` (128 MiB, the most Codex's reader and
 * `zstd -d` accept by default) also finds images repeated farther apart, at the cost of that
 * much memory for whoever reads the archive.
 */
export const ARCHIVE_WINDOW_LOG = 25;
/** The largest window an archive may use: what zstd's decoders accept without being told. */
export const MAX_ARCHIVE_WINDOW_LOG = 27;

/** Options of {@linkcode archiveRollout} and {@linkcode restoreRollout}. */
export interface ArchiveOptions {
  /** The file system (tests pass a simulated one). */
  fs?: FileSystem;
  /** Sync files and folders (default true). */
  sync?: boolean;
  /**
   * Take the session's writer lock (default true); false when the caller holds it already
   * (a writer restoring the file it is about to append to) or in tests.
   */
  lock?: boolean;
  pid?: number;
  /** zstd level for archiving (default {@linkcode DEFAULT_ARCHIVE_LEVEL}). */
  level?: number;
  /** log2 of the long-distance window (default {@linkcode ARCHIVE_WINDOW_LOG}). */
  windowLog?: number;
  /**
   * Called as the work goes on, with the bytes done so far of twice the source's size: the
   * source read and compressed (or decompressed), then checked.
   */
  progress?: (done: number) => void;
  /** Bytes read and written at a time (default 256 KiB; tests make it small). */
  pieceBytes?: number;
}

/** Why a session was left as it was. */
export type SkipReason =
  /** a writer holds the session */
  | "locked"
  /** a document (`.json`): Codex reads only line rollouts compressed */
  | "document"
  /** already in its compressed form */
  | "archived"
  /** the `.jsonl` holds zstd already */
  | "compressed"
  /** an empty file */
  | "empty"
  /** the file changed while it was compressed (another program appended) */
  | "changed"
  /** the file is gone (archived or removed meanwhile) */
  | "missing";

/** A session left as it was, and why, in words. */
export interface Skipped {
  status: "skipped";
  path: string;
  reason: SkipReason;
  message: string;
}

/** What {@linkcode archiveRollout} did. */
export type ArchiveOutcome =
  | { status: "archived"; path: string; archive: string; bytesBefore: number; bytesAfter: number }
  | Skipped;

/** What {@linkcode restoreRollout} did. */
export type RestoreOutcome =
  | { status: "restored"; path: string; from: string; bytes: number }
  /**
   * The plain file was there already (an archive or restore was cut short): it stands for the
   * session; the compressed one was removed when it held nothing the plain file lacks.
   */
  | { status: "plain_stands"; path: string; from: string; removed: boolean }
  | Skipped;

/** The compressed form of a plain rollout path: `<path>.zst`. */
export function compressedPathOf(plain: string): string {
  return `${plain}.zst`;
}

/** The plain form of a compressed rollout path (`x.jsonl.zst` -> `x.jsonl`), else null. */
export function plainPathOf(file: string): string | null {
  return file.endsWith(".zst") ? file.slice(0, -4) : null;
}

/**
 * What a `locked` error of the writer lock says in a report: `held by a writer (process 42)`,
 * the way {@linkcode WriterLock.heldBy} names the holder.
 */
export function heldBy(error: RolloutError): string {
  const why = error.message.replace(/^Cannot write rollout ".*?": /, "");
  return `held by a writer (${why.replace(/^it is locked by /, "")})`;
}

function skipped(file: string, reason: SkipReason, message: string): Skipped {
  return { status: "skipped", path: file, reason, message };
}

/**
 * Runs `work` under the writer lock of the plain rollout `plain` (the one lock of a session,
 * whichever form it is in); a lock held elsewhere is a skip.
 */
async function underLock<T>(
  plain: string,
  options: ArchiveOptions,
  work: () => Promise<T>,
): Promise<T | Skipped> {
  if (options.lock === false) return await work();
  let lock: WriterLock;
  try {
    lock = WriterLock.acquire(plain, { pid: options.pid ?? process.pid });
  } catch (error) {
    if (error instanceof RolloutError && error.code === "locked") {
      return skipped(plain, "locked", heldBy(error));
    }
    throw error;
  }
  try {
    return await work();
  } finally {
    lock.release();
  }
}

/** Opens a file for reading with its size and time, or null when it does not exist. */
function openIfThere(
  fsys: FileSystem,
  file: string,
  what: string,
): (OpenFile & { mtime: number }) | null {
  let fd: number;
  try {
    fd = fsys.open(file, "read");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return null;
    throw ioError(what, file, error);
  }
  try {
    return { fd, size: fsys.size(fd), mtime: fsys.mtime(fd) };
  } catch (error) {
    fsys.close(fd);
    throw ioError(what, file, error);
  }
}

/**
 * Writes `target` from `source` through a temporary file beside it: filled by `fill`, given
 * the source's time, synced, closed, checked with `check`, renamed into place, the folder
 * synced. Any failure before the rename removes the temporary file and leaves `target` alone.
 */
async function replaceVerified(
  fsys: FileSystem,
  target: string,
  options: ArchiveOptions & { mtime: number },
  steps: {
    fill: (fd: number) => Promise<number>;
    check: (temp: OpenFile) => Promise<string | null>;
  },
): Promise<{ bytes: number } | { refused: string }> {
  const sync = options.sync !== false;
  const temp = openTemp(fsys, target);
  let renamed = false;
  try {
    let bytes: number;
    try {
      bytes = await steps.fill(temp.fd);
      fsys.setMtime(temp.fd, options.mtime);
      if (sync) fsys.fsync(temp.fd);
    } finally {
      fsys.close(temp.fd);
    }
    const fd = fsys.open(temp.path, "read");
    let refused: string | null;
    try {
      refused = await steps.check({ fd, size: fsys.size(fd) });
    } finally {
      fsys.close(fd);
    }
    if (refused !== null) return { refused };
    fsys.rename(temp.path, target);
    renamed = true;
    return { bytes };
  } finally {
    if (!renamed) removeQuietly(fsys, temp.path);
    else if (sync) syncDirectory(fsys, path.dirname(target));
  }
}

/**
 * Removes the temporary files a killed archive or restore left beside the plain rollout
 * `plain` (of both forms); the caller holds the session's lock, so none is in use.
 */
function removeSessionTemps(fsys: FileSystem, plain: string, sync: boolean): void {
  try {
    removeStaleTemps(fsys, [plain, compressedPathOf(plain)], { sync });
  } catch (error) {
    throw ioError("remove temporary files of", plain, error);
  }
}

/** Removes `file` and syncs its folder. */
function removeDurably(fsys: FileSystem, file: string, sync: boolean): void {
  fsys.unlink(file);
  if (sync) syncDirectory(fsys, path.dirname(file));
}

/**
 * Compresses the plain line rollout `file` (`*.jsonl`) to `<file>.zst` with long-distance
 * matching, then removes `file` (see the module doc for the order). A session held by a
 * writer, a document, an empty or already compressed file is skipped, as a value (an archive
 * given as `file` loses the temporary files a killed run left beside it); file-system
 * failures throw `io_error` and leave `file` as it was.
 */
export function archiveRollout(
  file: string,
  options: ArchiveOptions = {},
): Promise<ArchiveOutcome> {
  if (file.endsWith(".jsonl.zst")) {
    // Archived already; what a killed restore left beside it goes (a partial copy).
    const plain = plainPathOf(file)!;
    return underLock(plain, options, () => {
      removeSessionTemps(options.fs ?? nodeFileSystem, plain, options.sync !== false);
      return Promise.resolve(skipped(file, "archived", "already archived"));
    });
  }
  if (!file.endsWith(".jsonl")) {
    return Promise.resolve(skipped(
      file,
      "document",
      "not a line rollout (*.jsonl): Codex reads only those compressed",
    ));
  }
  return underLock(file, options, () => archiveLocked(file, options));
}

async function archiveLocked(file: string, options: ArchiveOptions): Promise<ArchiveOutcome> {
  const fsys = options.fs ?? nodeFileSystem;
  const sync = options.sync !== false;
  const packed = compressedPathOf(file);
  removeSessionTemps(fsys, file, sync);
  const plain = openIfThere(fsys, file, "archive rollout");
  if (plain === null) return skipped(file, "missing", "it is gone (archived or removed meanwhile)");
  try {
    if (plain.size === 0) return skipped(file, "empty", "an empty file");
    const head = new Uint8Array(4);
    if (fsys.read(plain.fd, head, 0) === 4 && isZstd(head)) {
      return skipped(file, "compressed", "it holds zstd already; rename it to end in .jsonl.zst");
    }
    const unchanged = () =>
      fsys.size(plain.fd) === plain.size && fsys.mtime(plain.fd) === plain.mtime;
    const changed = skipped(file, "changed", "it changed while it was being archived; try again");
    const copy = {
      ...(options.pieceBytes === undefined ? {} : { pieceBytes: options.pieceBytes }),
    };
    const written = await replaceVerified(fsys, packed, { ...options, mtime: plain.mtime }, {
      fill: (fd) =>
        zstdCopy(fsys, plain, fd, {
          ...copy,
          progress: options.progress,
          compress: {
            level: options.level ?? DEFAULT_ARCHIVE_LEVEL,
            windowLog: options.windowLog ?? ARCHIVE_WINDOW_LOG,
            sourceBytes: plain.size,
          },
        }),
      check: async (temp) => {
        const checked = options.progress === undefined
          ? {}
          : { checked: (bytes: number) => options.progress!(plain.size + bytes) };
        const comparison = await compareUnpacked(fsys, temp, plain, { ...copy, ...checked });
        if (comparison.kind !== "same") {
          const detail = comparison.kind === "prefix"
            ? "it decompresses to less than the original"
            : comparison.detail;
          throw new RolloutError(
            "io_error",
            `Cannot archive rollout "${file}": the compressed copy does not match the original (${detail}); the original is kept`,
          );
        }
        return unchanged() ? null : "changed";
      },
    });
    if ("refused" in written) return changed;
    if (!unchanged()) {
      // Appended to between the check and the rename: the plain file stands; drop the copy.
      removeDurably(fsys, packed, sync);
      return changed;
    }
    removeDurably(fsys, file, sync);
    return {
      status: "archived",
      path: file,
      archive: packed,
      bytesBefore: plain.size,
      bytesAfter: written.bytes,
    };
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    throw ioError("archive rollout", file, error);
  } finally {
    fsys.close(plain.fd);
  }
}

/**
 * Decompresses the archived rollout `file` (`*.jsonl.zst`) back to the plain `*.jsonl` beside
 * it, then removes `file` (see the module doc for the order). When the plain file exists
 * already it stands for the session (as for every reader): `file` is removed only if it holds
 * nothing the plain file lacks. A damaged `file` is refused (`invalid_rollout`) and kept.
 */
export function restoreRollout(
  file: string,
  options: ArchiveOptions = {},
): Promise<RestoreOutcome> {
  const plain = plainPathOf(file);
  if (plain === null) {
    return Promise.reject(
      new RolloutError(
        "invalid_argument",
        `Cannot restore "${file}": only a compressed rollout (*.jsonl.zst) can be restored`,
      ),
    );
  }
  return underLock(plain, options, () => restoreLocked(file, plain, options));
}

async function restoreLocked(
  file: string,
  plainPath: string,
  options: ArchiveOptions,
): Promise<RestoreOutcome> {
  const fsys = options.fs ?? nodeFileSystem;
  const sync = options.sync !== false;
  const copy = { ...(options.pieceBytes === undefined ? {} : { pieceBytes: options.pieceBytes }) };
  removeSessionTemps(fsys, plainPath, sync);
  const packed = openIfThere(fsys, file, "restore rollout");
  if (packed === null) {
    const there = openIfThere(fsys, plainPath, "restore rollout");
    if (there === null) {
      throw ioError("restore rollout", file, Object.assign(new Error("gone"), { code: "ENOENT" }));
    }
    fsys.close(there.fd);
    return skipped(file, "missing", "it is gone (restored meanwhile)");
  }
  try {
    const existing = openIfThere(fsys, plainPath, "restore rollout");
    if (existing !== null) {
      let comparison: Comparison;
      try {
        comparison = await compareUnpacked(fsys, packed, existing, copy);
      } finally {
        fsys.close(existing.fd);
      }
      const removed = comparison.kind !== "differs";
      if (removed) removeDurably(fsys, file, sync);
      return { status: "plain_stands", path: plainPath, from: file, removed };
    }
    const cut = zstdIncomplete((into, at) => fsys.read(packed.fd, into, at), packed.size);
    if (cut !== null) throw unreadable(file, `it is damaged at ${cut}`);
    const written = await replaceVerified(fsys, plainPath, { ...options, mtime: packed.mtime }, {
      fill: (fd) => zstdCopy(fsys, packed, fd, { ...copy, progress: options.progress }),
      check: async (temp) => {
        const checked = options.progress === undefined ? {} : {
          checked: (bytes: number) =>
            options.progress!(packed.size + bytes * packed.size / temp.size),
        };
        const comparison = await compareUnpacked(fsys, packed, temp, { ...copy, ...checked });
        if (comparison.kind === "same") return null;
        throw unreadable(
          file,
          comparison.kind === "prefix" ? "the plain copy came out longer" : comparison.detail,
        );
      },
    });
    if ("refused" in written) {
      throw new Error(`Restore check refused "${file}": ${written.refused}`);
    }
    removeDurably(fsys, file, sync);
    return { status: "restored", path: plainPath, from: file, bytes: written.bytes };
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    if (isSystemError(error)) throw ioError("restore rollout", file, error);
    // zlib's own failures (a bad checksum, a corrupt block): the file, not the disk.
    throw unreadable(file, `zstd cannot decompress it (${(error as Error).message})`);
  } finally {
    fsys.close(packed.fd);
  }
}

function unreadable(file: string, why: string): RolloutError {
  return new RolloutError(
    "invalid_rollout",
    `Cannot restore "${file}": ${why}; it is kept as it is`,
  );
}

/**
 * The one small interface every file operation of the writer goes through (RELIABILITY.md
 * tier 1), and its implementation on `node:fs`. Nothing else in the writer touches the disk.
 */
import * as fs from "node:fs";
import { dropCachedPages, runtimeName } from "./runtime.ts";

/** How a file is opened. */
export type OpenMode =
  /** append-only writing to an existing file; fails (ENOENT) if it is gone */
  | "append"
  /** append-only writing to a new file; fails if it exists */
  | "append_new"
  /** a new file for writing; fails if it exists */
  | "create_exclusive"
  /** reading only; a folder, FIFO or device is refused (EISDIR, ENOTREG) */
  | "read"
  /** a folder, for syncing it */
  | "directory";

/**
 * File operations in the shape of POSIX calls, synchronous except `fdatasyncAsync`. Errors are
 * thrown (or rejected) as Node errors.
 */
export interface FileSystem {
  open(path: string, mode: OpenMode): number;
  /** Writes some bytes; may write fewer than given (a short write). */
  write(fd: number, data: Uint8Array): number;
  /**
   * Writes some bytes at `position` of a file not opened for appending, leaving its offset as it
   * is; may write fewer than given. With `writeAtAsync`, a streamed write can go on while its
   * last bytes are written; without them, it writes in turn.
   */
  writeAt?(fd: number, data: Uint8Array, position: number): number;
  /**
   * `writeAt` off the event loop, on a worker thread (not offered where the runtime would make it
   * on this thread all the same: Deno); `data` must not change until it settles.
   */
  writeAtAsync?(fd: number, data: Uint8Array, position: number): Promise<number>;
  read(fd: number, into: Uint8Array, position: number): number;
  size(fd: number): number;
  /** The time of the file's last modification, in milliseconds since the epoch. */
  mtime(fd: number): number;
  /** Sets the time of last modification (and of last access) of an open file. */
  setMtime(fd: number, ms: number): void;
  fdatasync(fd: number): void;
  /** `fdatasync` off the event loop (on a worker thread), so other work goes on meanwhile. */
  fdatasyncAsync(fd: number): Promise<void>;
  fsync(fd: number): void;
  /**
   * Frees the cached pages of the first `length` bytes of a file that are already on the disk;
   * the others stay. A help for long copies, never needed for what is stored: an
   * implementation may do nothing, and should not throw.
   */
  dropCache?(fd: number, length: number): void;
  /**
   * Makes an open file readable and writable by its owner only (0600) if it is not: a rollout
   * appended to (Codex writes 0644) holds the transcript's secrets. Best effort: a file this
   * user may append to but not change (another owner's) stays as it is. Never throws.
   */
  restrict?(fd: number): void;
  truncate(fd: number, length: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Creates a folder and its parents (0700); returns the first folder it created, if any. */
  mkdir(path: string): string | undefined;
  readdir(path: string): string[];
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

function flagsOf(mode: OpenMode): number {
  const c = fs.constants;
  switch (mode) {
    case "append":
      return c.O_WRONLY | c.O_APPEND;
    case "append_new":
      return c.O_WRONLY | c.O_APPEND | c.O_CREAT | c.O_EXCL;
    case "create_exclusive":
      return c.O_WRONLY | c.O_CREAT | c.O_EXCL;
    case "read":
      // Non-blocking, so that opening a FIFO never waits for a writer; regular files ignore it.
      return c.O_RDONLY | c.O_NONBLOCK;
    case "directory":
      return c.O_RDONLY | c.O_DIRECTORY;
  }
}

/** The real file system, through `node:fs` (the same code on Deno and Bun). */
export const nodeFileSystem: FileSystem = {
  open: (path, mode) => {
    const fd = fs.openSync(path, flagsOf(mode), FILE_MODE);
    if (mode === "read" && !fs.fstatSync(fd).isFile()) {
      const folder = fs.fstatSync(fd).isDirectory();
      fs.closeSync(fd);
      throw Object.assign(new Error(folder ? "is a folder" : "is not a regular file"), {
        code: folder ? "EISDIR" : "ENOTREG",
      });
    }
    return fd;
  },
  write: (fd, data) => fs.writeSync(fd, data),
  writeAt: (fd, data, position) => fs.writeSync(fd, data, 0, data.length, position),
  // Deno's `fs.write` (and `FileHandle.write`) writes on the calling thread and only calls back
  // later (64 writes of a MiB: 220 ms inside the calls, against 1.3 ms in Bun): there a streamed
  // write writes in turn, as it would anyway, without the promises.
  ...(runtimeName() === "deno" ? {} : {
    writeAtAsync: (fd: number, data: Uint8Array, position: number) =>
      new Promise<number>((resolve, reject) => {
        fs.write(
          fd,
          data,
          0,
          data.length,
          position,
          (error, n) => (error ? reject(error) : resolve(n)),
        );
      }),
  }),
  read: (fd, into, position) => fs.readSync(fd, into, 0, into.length, position),
  size: (fd) => fs.fstatSync(fd).size,
  mtime: (fd) => fs.fstatSync(fd).mtimeMs,
  // A microsecond above: Deno converts to float seconds and truncates, which can lose the
  // millisecond (760 ms came back as 759).
  setMtime: (fd, ms) => fs.futimesSync(fd, (ms + 0.001) / 1000, (ms + 0.001) / 1000),
  fdatasync: (fd) => fs.fdatasyncSync(fd),
  fdatasyncAsync: (fd) =>
    new Promise((resolve, reject) => {
      fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    }),
  fsync: (fd) => fs.fsyncSync(fd),
  dropCache: (fd, length) => {
    dropCachedPages(fd, length);
  },
  restrict: (fd) => {
    try {
      if ((fs.fstatSync(fd).mode & 0o777) !== FILE_MODE) fs.fchmodSync(fd, FILE_MODE);
    } catch {
      // Not the owner (EPERM), or a file system without modes: appending still works.
    }
  },
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  close: (fd) => fs.closeSync(fd),
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  mkdir: (path) => fs.mkdirSync(path, { recursive: true, mode: DIR_MODE }),
  readdir: (path) => fs.readdirSync(path),
};

/** Writes every byte of `data`, looping over short writes. */
export function writeAll(fsys: FileSystem, fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) {
    const n = fsys.write(fd, done === 0 ? data : data.subarray(done));
    if (n <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
    done += n;
  }
}

/** Reads the whole file behind an open descriptor. */
export function readAll(fsys: FileSystem, fd: number): Uint8Array {
  const size = fsys.size(fd);
  const out = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = fsys.read(fd, out.subarray(done), done);
    if (n <= 0) break;
    done += n;
  }
  return done === size ? out : out.subarray(0, done);
}

/** Syncs a folder so that a create or rename inside it is durable. */
export function syncDirectory(fsys: FileSystem, dir: string): void {
  const fd = fsys.open(dir, "directory");
  try {
    fsys.fsync(fd);
  } finally {
    fsys.close(fd);
  }
}

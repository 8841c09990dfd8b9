/**
 * The one place where Deno and Bun differ: advisory `flock` locks, and dropping a file's cached
 * pages. Deno has `FsFile.tryLockSync`; Bun reaches libc's `flock` through `bun:ffi`. Both see
 * each other. `posix_fadvise` comes from libc in both, through their own foreign-function
 * interfaces.
 */
import * as fs from "node:fs";

/** A held lock on one open file; closing the descriptor releases it. */
export interface HeldLock {
  /** The inode the lock is on. */
  readonly ino: number;
  /** Replaces the lock file's content (the holder's pid). */
  writeText(text: string): void;
  release(): void;
}

interface DenoFile {
  tryLockSync(exclusive: boolean): boolean;
  lockSync(exclusive: boolean): void;
  statSync(): { ino: number | null };
  truncateSync(len: number): void;
  writeSync(data: Uint8Array): number;
  close(): void;
}

interface DenoApi {
  openSync(
    path: string,
    options: { read: boolean; write: boolean; create: boolean; mode?: number },
  ): DenoFile;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;

type Flock = (fd: number, operation: number) => number;
let flockFn: Flock | null = null;

/** Which runtime this is. */
export function runtimeName(): "deno" | "bun" | "other" {
  if ("Deno" in globalThis) return "deno";
  if ("Bun" in globalThis) return "bun";
  return "other";
}

/** The part of `bun:ffi` used here (typed loosely: Deno does not know the module). */
interface BunFfi {
  dlopen(name: string, symbols: Record<string, unknown>): { symbols: Record<string, unknown> };
  FFIType: { i32: unknown; i64: unknown };
}

/**
 * Loads what locking needs ahead of the first lock. Optional: {@linkcode lockFile} loads it
 * itself when first called, so that a command that takes no lock (a search of the fleet store)
 * never pays for it (a millisecond or two of each start, in Bun).
 */
export async function initRuntime(): Promise<void> {
  if (runtimeName() !== "bun" || flockFn !== null) return;
  const specifier = "bun:ffi";
  flockFn = libcFlock(await import(specifier));
}

/** `bun:ffi` loaded synchronously, the way Bun lets an ES module `require` one. */
function requireFfi(): BunFfi {
  const meta = import.meta as unknown as { require?: (id: string) => unknown };
  if (typeof meta.require !== "function") {
    throw new Error("Cannot load bun:ffi here: call initRuntime() before locking");
  }
  return meta.require("bun:ffi") as BunFfi;
}

/** The names the C library goes by here, in the order they are tried. */
function libcNames(): string[] {
  return process.platform === "darwin" ? ["libc.dylib"] : ["libc.so.6", "libc.so"];
}

/**
 * `symbol` as `open` finds it in the first of the C library's names it can open; throws, with
 * the last error as its cause, when none can be.
 */
function fromLibc<T>(symbol: string, open: (name: string) => T): T {
  let lastError: unknown = null;
  for (const name of libcNames()) {
    try {
      return open(name);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`Cannot load ${symbol} from the C library`, { cause: lastError });
}

/** libc's `flock`, through `bun:ffi`. */
function libcFlock(ffi: BunFfi): Flock {
  const i32 = ffi.FFIType.i32;
  const symbols = { flock: { args: [i32, i32], returns: i32 } };
  return fromLibc("flock", (name) => ffi.dlopen(name, symbols).symbols.flock as Flock);
}

type Fadvise = (fd: number, offset: number, length: number, advice: number) => number;
/** `posix_fadvise` once looked up; null where there is none to use. */
let fadviseFn: Fadvise | null | undefined;
const POSIX_FADV_DONTNEED = 4;

/** The part of Deno's foreign-function interface used here. */
interface DenoFfi {
  permissions: { querySync?(descriptor: { name: "ffi" }): { state: string } };
  dlopen(
    name: string,
    symbols: Record<string, { parameters: string[]; result: string }>,
  ): { symbols: Record<string, unknown> };
}

/**
 * libc's `posix_fadvise` (Linux only), or null: another system, a C library without it, or a
 * Deno not allowed to load libraries (asked without a prompt).
 */
function libcFadvise(): Fadvise | null {
  if (process.platform !== "linux") return null;
  try {
    switch (runtimeName()) {
      case "bun": {
        const ffi = requireFfi();
        const [i32, i64] = [ffi.FFIType.i32, ffi.FFIType.i64];
        const symbols = { posix_fadvise: { args: [i32, i64, i64, i32], returns: i32 } };
        return fromLibc(
          "posix_fadvise",
          (name) => ffi.dlopen(name, symbols).symbols.posix_fadvise as Fadvise,
        );
      }
      case "deno": {
        const deno = (globalThis as unknown as { Deno: DenoFfi }).Deno;
        if (deno.permissions.querySync?.({ name: "ffi" }).state !== "granted") return null;
        const symbols = {
          posix_fadvise: { parameters: ["i32", "i64", "i64", "i32"], result: "i32" },
        };
        return fromLibc(
          "posix_fadvise",
          (name) => deno.dlopen(name, symbols).symbols.posix_fadvise as Fadvise,
        );
      }
      case "other":
        return null;
    }
  } catch {
    // No `bun:ffi`, or no C library holding it: dropping pages is only ever a help.
    return null;
  }
}

/**
 * Asks the kernel to drop the cached pages of the first `length` bytes of an open file
 * (`posix_fadvise`, `POSIX_FADV_DONTNEED`): those already written to the disk are freed at once,
 * the others stay. Returns whether the call succeeded (on tmpfs it does, and drops nothing); false
 * where it cannot be made. It changes no byte of the file, only where its pages are kept. Never
 * throws.
 */
export function dropCachedPages(fd: number, length: number): boolean {
  if (fadviseFn === undefined) fadviseFn = libcFadvise();
  if (fadviseFn === null || length <= 0) return false;
  try {
    return fadviseFn(fd, 0, length, POSIX_FADV_DONTNEED) === 0;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

function denoLock(path: string, wait: boolean, existing: boolean): HeldLock | null {
  const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
  const file = existing
    ? deno.openSync(path, { read: true, write: false, create: false })
    : deno.openSync(path, { read: true, write: true, create: true, mode: 0o600 });
  let locked: boolean;
  try {
    if (wait) {
      file.lockSync(true);
      locked = true;
    } else locked = file.tryLockSync(true);
  } catch (error) {
    file.close();
    throw error;
  }
  if (!locked) {
    file.close();
    return null;
  }
  return {
    ino: file.statSync().ino ?? -1,
    writeText(text) {
      file.truncateSync(0);
      file.writeSync(encoder.encode(text));
    },
    release: () => file.close(),
  };
}

function bunLock(path: string, wait: boolean, existing: boolean): HeldLock | null {
  flockFn ??= libcFlock(requireFfi());
  const c = fs.constants;
  const fd = existing
    ? fs.openSync(path, c.O_RDONLY)
    : fs.openSync(path, c.O_RDWR | c.O_CREAT, 0o600);
  const result = flockFn(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
  if (result !== 0) {
    fs.closeSync(fd);
    if (!wait) return null;
    throw Object.assign(new Error(`flock failed on "${path}"`), {
      code: "EIO",
      errno: EWOULDBLOCK,
    });
  }
  return {
    ino: fs.fstatSync(fd).ino,
    writeText(text) {
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, encoder.encode(text), 0, undefined, 0);
    },
    release: () => fs.closeSync(fd),
  };
}

/**
 * Takes an exclusive lock on `path` (created 0600 if missing) through a descriptor of its
 * own. With `wait: true` it waits for the lock (never null); with `wait: false` it returns
 * null at once when another holder has it. With `existing`, `path` is opened read-only and
 * must exist (a lock on a file that is not ours to write).
 */
export function lockFile(path: string, options: { wait: true; existing?: boolean }): HeldLock;
export function lockFile(
  path: string,
  options: { wait: boolean; existing?: boolean },
): HeldLock | null;
export function lockFile(
  path: string,
  options: { wait: boolean; existing?: boolean },
): HeldLock | null {
  const existing = options.existing === true;
  switch (runtimeName()) {
    case "deno":
      return denoLock(path, options.wait, existing);
    case "bun":
      return bunLock(path, options.wait, existing);
    case "other":
      throw new Error("rollout runs on Deno or Bun; this runtime has no file locks");
  }
}

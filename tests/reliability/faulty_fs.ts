/**
 * A FileSystem wrapper for the tier 1 I/O error tests (RELIABILITY.md): fails the N-th
 * operation with EIO or ENOSPC, once or from then on, and can make writes short. Test-only.
 */
import type { FileSystem, OpenMode } from "../../lib/runtime/file_system.ts";
import type { SeededRandom } from "./seeded_random.ts";

/** How {@linkcode FaultyFileSystem} misbehaves. */
export interface FaultPlan {
  /** The operation (counted from 0) that fails. */
  failAt: number;
  code: "EIO" | "ENOSPC";
  /** Fail every operation from `failAt` on, not only that one. */
  sticky: boolean;
  /** Write a random part (at least one byte) of what each write is given. */
  shortWrites?: SeededRandom;
}

/** Counts operations of `inner` and fails them as its plan says. */
export class FaultyFileSystem implements FileSystem {
  readonly #inner: FileSystem;
  #plan: FaultPlan;
  #operations = 0;
  /** Operations that failed. */
  failures = 0;
  /** Writes that wrote less than they were given. */
  shortWrites = 0;
  /** fdatasync/fsync calls that succeeded. */
  syncs = 0;
  /** fdatasyncAsync calls (each also counted in `syncs` once it succeeded). */
  backgroundSyncs = 0;
  /** write calls that succeeded. */
  writes = 0;
  /** Turns the faults off (the disk was repaired or space freed). */
  healed = false;

  constructor(inner: FileSystem, plan: FaultPlan) {
    this.#inner = inner;
    this.#plan = plan;
  }

  /** Replaces the plan, e.g. to fail an operation a known number of steps from now. */
  arm(plan: FaultPlan): void {
    this.#plan = plan;
  }

  /** Operations attempted so far. */
  get operations(): number {
    return this.#operations;
  }

  #step(op: string): void {
    const index = this.#operations++;
    if (this.healed) return;
    const plan = this.#plan;
    if (index === plan.failAt || (plan.sticky && index > plan.failAt)) {
      this.failures++;
      const text = plan.code === "EIO" ? "input/output error" : "no space left on device";
      throw Object.assign(new Error(`${plan.code}: ${text}, ${op}`), {
        code: plan.code,
        syscall: op,
      });
    }
  }

  open(path: string, mode: OpenMode): number {
    this.#step("open");
    return this.#inner.open(path, mode);
  }

  write(fd: number, data: Uint8Array): number {
    this.#step("write");
    const random = this.#plan.shortWrites;
    let part = data;
    if (random !== undefined && data.length > 1 && random.chance(0.7)) {
      part = data.subarray(0, random.int(1, data.length - 1));
      this.shortWrites++;
    }
    const n = this.#inner.write(fd, part);
    this.writes++;
    return n;
  }

  read(fd: number, into: Uint8Array, position: number): number {
    this.#step("read");
    return this.#inner.read(fd, into, position);
  }

  size(fd: number): number {
    this.#step("size");
    return this.#inner.size(fd);
  }

  mtime(fd: number): number {
    this.#step("mtime");
    return this.#inner.mtime(fd);
  }

  setMtime(fd: number, ms: number): void {
    this.#step("setMtime");
    this.#inner.setMtime(fd, ms);
  }

  fdatasync(fd: number): void {
    this.#step("fdatasync");
    this.#inner.fdatasync(fd);
    this.syncs++;
  }

  /** The sync happens after the caller's synchronous work, as a real one on a thread would. */
  fdatasyncAsync(fd: number): Promise<void> {
    this.backgroundSyncs++;
    return Promise.resolve().then(() => this.fdatasync(fd));
  }

  fsync(fd: number): void {
    this.#step("fsync");
    this.#inner.fsync(fd);
    this.syncs++;
  }

  truncate(fd: number, length: number): void {
    this.#step("truncate");
    this.#inner.truncate(fd, length);
  }

  /** Like Linux, a failed close still releases the descriptor. */
  close(fd: number): void {
    try {
      this.#step("close");
    } catch (error) {
      this.#inner.close(fd);
      throw error;
    }
    this.#inner.close(fd);
  }

  rename(from: string, to: string): void {
    this.#step("rename");
    this.#inner.rename(from, to);
  }

  unlink(path: string): void {
    this.#step("unlink");
    this.#inner.unlink(path);
  }

  mkdir(path: string): string | undefined {
    this.#step("mkdir");
    return this.#inner.mkdir(path);
  }

  readdir(path: string): string[] {
    this.#step("readdir");
    return this.#inner.readdir(path);
  }
}

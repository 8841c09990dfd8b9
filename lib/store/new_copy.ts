/**
 * A new rollout whose whole content is given at once and streamed in (convert, export -o,
 * fork of a rollout of any size, SPEC §7): named, locked and made durable as the recorder
 * makes a new rollout, written by atomic replace so a crash leaves it whole or absent.
 */
import * as path from "node:path";
import process from "node:process";
import { ioError, RolloutError, type SessionMeta } from "../schemas/mod.ts";
import { type FileSystem, nodeFileSystem } from "../runtime/mod.ts";
import { assertAbsent, atomicWrite, type Between, type Put } from "./atomic_replace.ts";
import { buildMeta, makeFolders } from "./new_rollout.ts";
import { sessionPath } from "./paths.ts";
import { WriterLock } from "./writer_lock.ts";

/** Options of {@linkcode createStreamedRollout}. */
export interface StreamedRolloutOptions {
  home: string;
  /** `jsonl` (a line file) or `json` (a document). */
  format: "jsonl" | "json";
  /** Meta fields; `id`, `timestamp`, `originator` and `cli_version` are filled in. */
  meta?: Partial<SessionMeta>;
  /** Write to this path instead of the dated one under `<home>/sessions`. */
  path?: string;
  pid?: number;
  clock?: () => Date;
  fs?: FileSystem;
  sync?: boolean;
  /**
   * Writes the whole file (its first line or the document's `session` is `meta`), awaiting
   * `between` now and then (after each MiB read) so that writes and syncs on their way can end.
   */
  write: (meta: SessionMeta, put: Put, between: Between) => Promise<void> | void;
}

/** Creates the file (never over an existing one) with what `write` gives; its path and id. */
export async function createStreamedRollout(
  options: StreamedRolloutOptions,
): Promise<{ path: string; id: string }> {
  const fsys = options.fs ?? nodeFileSystem;
  const sync = options.sync ?? true;
  const now = (options.clock ?? (() => new Date()))();
  const meta = buildMeta(options.meta, now, { lines: options.format !== "json" });
  const target = options.path ??
    sessionPath(options.home, { id: meta.id, created: now, extension: options.format });
  makeFolders(fsys, path.dirname(target), sync);
  const lock = WriterLock.acquire(target, { pid: options.pid ?? process.pid });
  try {
    assertAbsent(fsys, target);
    await atomicWrite(fsys, target, { sync }, (put, between) => options.write(meta, put, between));
    return { path: target, id: meta.id };
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    throw ioError("create rollout", target, error);
  } finally {
    lock.release();
  }
}

/**
 * Creating a rollout file: the meta of a new session and the first durable write of each
 * format, by atomic replace so a crash leaves the file whole or absent.
 */
import * as path from "node:path";
import process from "node:process";
import { atomicReplace } from "./atomic_replace.ts";
import { DocumentSink } from "./document_sink.ts";
import { documentItemText, encodeDocument, encodeJournal } from "../formats/mod.ts";
import { type FileSystem, syncDirectory } from "../runtime/mod.ts";
import { ioError, type ResponseItem, type SessionMeta, type SessionState } from "../schemas/mod.ts";
import { JournalSink } from "./journal_sink.ts";
import type { Sink } from "./sink.ts";
import { uuidv7 } from "./uuid.ts";
import { VERSION } from "../base/mod.ts";

const encoder = new TextEncoder();

/**
 * The meta of a new session: `id` and `timestamp` first, as SPEC §2.1 shows. A line file is
 * a Codex rollout in paginated history mode (SPEC §6), so its meta also has what Codex
 * requires: `cwd` (the process's own when not given), `source` and `history_mode`.
 */
export function buildMeta(
  given: Partial<SessionMeta> | undefined,
  now: Date,
  options: { lines: boolean },
): SessionMeta {
  const { id, timestamp, ...rest } = given ?? {};
  const meta: SessionMeta = {
    id: id ?? uuidv7(now.getTime()),
    timestamp: timestamp ?? now.toISOString(),
    ...rest,
    originator: rest.originator ?? "rollout",
    cli_version: rest.cli_version ?? VERSION,
  };
  if (!options.lines) return meta;
  return {
    ...meta,
    cwd: meta.cwd ?? process.cwd(),
    source: meta.source ?? "cli",
    history_mode: "paginated",
  };
}

/** A UUID as Codex's `ThreadId` reads one (`Uuid::parse_str`, hyphenated form). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A copied meta made fit for a Codex paginated rollout (SPEC §6): what Codex requires and
 * the source lacks is filled in (a UUID id, `cwd`, `originator`, `cli_version`, `source`),
 * and each filled field is named, so the caller can say what it filled.
 */
export function codexMetaOf(
  meta: Record<string, unknown>,
  options: { now: Date; cwd: string; fresh?: boolean },
): { meta: Record<string, unknown>; filled: string[] } {
  const filled: string[] = [];
  const out: Record<string, unknown> = { ...meta };
  if (options.fresh === true) {
    // A new session (a fork): its own id and start, first as in every meta. The parent's
    // `session_id` is not its: Codex, forking a thread, gives the new one its own id there
    // (core/src/session/session.rs:758-777 at 343074d), and fills it from `id` when absent.
    // Nor is the parent's `legacy_id` (the id it had before a conversion).
    const { id: _id, timestamp: _ts, session_id: _s, legacy_id: _l, ...rest } = out;
    return codexMetaOf(
      { id: uuidv7(options.now.getTime()), timestamp: options.now.toISOString(), ...rest },
      { now: options.now, cwd: options.cwd },
    );
  }
  if (typeof out.id !== "string" || !UUID.test(out.id)) {
    filled.push(`id (a new UUID; the old id ${JSON.stringify(out.id)} is kept as legacy_id)`);
    out.legacy_id = out.id;
    out.id = uuidv7(options.now.getTime());
  }
  if (typeof out.timestamp !== "string") {
    filled.push("timestamp");
    out.timestamp = options.now.toISOString();
  }
  const defaults: [string, unknown][] = [
    ["cwd", options.cwd],
    ["originator", "rollout"],
    ["cli_version", VERSION],
    ["source", "cli"],
  ];
  for (const [key, value] of defaults) {
    if (typeof out[key] === "string" || (key === "source" && out[key] !== undefined)) continue;
    filled.push(key === "cwd" ? `cwd (${options.cwd})` : key);
    out[key] = value;
  }
  out.history_mode = "paginated";
  // A copy holds its records itself: no inherited prefix, no subagent start.
  delete out.history_base;
  delete out.subagent_history_start_ordinal;
  return { meta: out, filled };
}

/** Creates `dir` and its missing parents; with `sync`, each new folder is made durable. */
export function makeFolders(fsys: FileSystem, dir: string, sync: boolean): void {
  try {
    const created = fsys.mkdir(dir);
    if (sync && created !== undefined) syncNewFolders(fsys, created, dir);
  } catch (error) {
    throw ioError("create folder", dir, error);
  }
}

/** Syncs the parent of every folder `mkdir` just created, deepest first. */
export function syncNewFolders(fsys: FileSystem, firstCreated: string, deepest: string): void {
  let dir = deepest;
  for (;;) {
    syncDirectory(fsys, path.dirname(dir));
    if (dir === firstCreated || path.dirname(dir) === dir) return;
    dir = path.dirname(dir);
  }
}

/** What a new rollout starts with. */
export interface NewRollout {
  target: string;
  meta: SessionMeta;
  items: ResponseItem[];
  state: SessionState;
  sync: boolean;
  backgroundSyncBytes?: number | undefined;
}

/**
 * Writes a new journal by atomic replace, so a crash leaves it whole (meta and initial
 * content, durable) or absent, never empty or torn inside its first line.
 */
export function createJournal(
  fsys: FileSystem,
  init: NewRollout & {
    timestamp: string;
    lines?: { text: string; nextOrdinal: number } | undefined;
  },
): Sink {
  const { target, timestamp, lines } = init;
  const { text, nextOrdinal } = lines ?? encodeJournal(
    { session: init.meta, items: init.items, state: init.state },
    timestamp,
  );
  const bytes = encoder.encode(text);
  atomicReplace(fsys, target, { bytes, sync: init.sync });
  return new JournalSink(fsys, {
    path: target,
    format: "journal",
    sync: init.sync,
    durableBytes: bytes.length,
    nextOrdinal,
    backgroundSyncBytes: init.backgroundSyncBytes,
  });
}

/** Writes a new document with its meta and initial content. */
export function createDocument(fsys: FileSystem, init: NewRollout): Sink {
  const text = encodeDocument({
    meta: init.meta,
    itemTexts: init.items.map(documentItemText),
    state: init.state,
  });
  atomicReplace(fsys, init.target, { bytes: encoder.encode(text), sync: init.sync });
  return new DocumentSink(fsys, {
    path: init.target,
    format: "document",
    sync: init.sync,
    meta: init.meta,
    items: init.items,
    state: init.state,
  });
}

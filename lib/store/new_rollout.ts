/**
 * Creating a rollout file: the meta of a new session and the first durable write of each
 * format, by atomic replace so a crash leaves the file whole or absent.
 */
import * as path from "node:path";
import { atomicReplace } from "./atomic_replace.ts";
import { DocumentSink } from "./document_sink.ts";
import { documentItemText, encodeDocument, encodeJournal } from "../formats/mod.ts";
import { type FileSystem, syncDirectory } from "../runtime/mod.ts";
import type { ResponseItem, SessionMeta, SessionState } from "../schemas/mod.ts";
import { JournalSink } from "./journal_sink.ts";
import type { Sink, WriterMutant } from "./sink.ts";
import { uuidv7 } from "./uuid.ts";
import { VERSION } from "../base/mod.ts";

const encoder = new TextEncoder();

/** The meta of a new session: `id` and `timestamp` first, as SPEC §2.1 shows. */
export function buildMeta(given: Partial<SessionMeta> | undefined, now: Date): SessionMeta {
  const { id, timestamp, ...rest } = given ?? {};
  return {
    id: id ?? uuidv7(now.getTime()),
    timestamp: timestamp ?? now.toISOString(),
    ...rest,
    originator: rest.originator ?? "rollout",
    cli_version: rest.cli_version ?? VERSION,
  };
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
  mutant: WriterMutant | undefined;
  backgroundSyncBytes?: number | undefined;
}

/**
 * Writes a new journal by atomic replace, so a crash leaves it whole (meta and initial
 * content, durable) or absent, never empty or torn inside its first line.
 */
export function createJournal(fsys: FileSystem, init: NewRollout & { timestamp: string }): Sink {
  const { target, timestamp } = init;
  const { text, nextOrdinal } = encodeJournal(
    { session: init.meta, items: init.items, state: init.state },
    timestamp,
  );
  const bytes = encoder.encode(text);
  atomicReplace(fsys, target, { bytes, sync: init.sync, mutant: init.mutant });
  return new JournalSink(fsys, {
    path: target,
    format: "journal",
    sync: init.sync,
    durableBytes: bytes.length,
    nextOrdinal,
    mutant: init.mutant,
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
  atomicReplace(fsys, init.target, {
    bytes: encoder.encode(text),
    sync: init.sync,
    mutant: init.mutant,
  });
  return new DocumentSink(fsys, {
    path: init.target,
    format: "document",
    sync: init.sync,
    meta: init.meta,
    items: init.items,
    state: init.state,
    mutant: init.mutant,
  });
}

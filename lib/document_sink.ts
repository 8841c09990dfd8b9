/**
 * The document formats (SPEC §2.2): every commit rewrites the whole document by atomic
 * replace. Item texts are encoded once, when the sink opens, so a commit encodes only new items.
 */
import { atomicReplace } from "./atomic_replace.ts";
import { describe, RolloutError } from "./errors.ts";
import { MAX_NESTING, nestsDeeperThan } from "./json_depth.ts";
import { documentItemText, encodeDocument } from "./encode.ts";
import type { FileSystem } from "./file_system.ts";
import type { RolloutFormat } from "./format.ts";
import type { SessionState } from "./session_meta.ts";
import type { PendingRecord, Sink, WriterMutant } from "./sink.ts";

const encoder = new TextEncoder();

/** Rewrites a `document` or Codex TypeScript CLI document on every commit. */
export class DocumentSink implements Sink {
  readonly #fs: FileSystem;
  readonly #path: string;
  readonly #format: RolloutFormat;
  readonly #sync: boolean;
  readonly #meta: unknown;
  readonly #mutant: WriterMutant | undefined;
  readonly #itemTexts: string[];
  #state: SessionState;

  constructor(
    fsys: FileSystem,
    options: {
      path: string;
      format: RolloutFormat;
      sync: boolean;
      meta: unknown;
      items: readonly unknown[];
      state: SessionState;
      mutant?: WriterMutant | undefined;
    },
  ) {
    this.#fs = fsys;
    this.#path = options.path;
    this.#format = options.format;
    this.#sync = options.sync;
    this.#meta = options.meta;
    this.#itemTexts = encodeStoredItems(options.path, options.items);
    this.#state = options.state;
    this.#mutant = options.mutant;
  }

  commit(records: readonly PendingRecord[]): void {
    if (records.length === 0) return;
    const texts = this.#itemTexts;
    const added: string[] = [];
    let state = this.#state;
    for (const record of records) {
      if (record.kind === "state") state = record.state;
      else added.push(documentItemText(record.item));
    }
    this.#write([...texts, ...added], state);
    for (const text of added) texts.push(text);
    this.#state = state;
  }

  recover(): void {
    this.#write(this.#itemTexts, this.#state);
  }

  close(): void {}

  /** Writes the document with these items and this state; the target is untouched on failure. */
  #write(itemTexts: readonly string[], state: SessionState): void {
    const keepState = this.#format === "document" || state.previous_response_id !== undefined;
    const text = encodeDocument({ meta: this.#meta, itemTexts, state: keepState ? state : null });
    atomicReplace(this.#fs, this.#path, {
      bytes: encoder.encode(text),
      sync: this.#sync,
      mutant: this.#mutant,
    });
  }
}

/**
 * The texts of the items already stored. An item JSON.parse accepted may still be too deeply
 * nested for JSON.stringify: the document could not be rewritten, so opening it fails.
 */
function encodeStoredItems(path: string, items: readonly unknown[]): string[] {
  return items.map((item, index) => {
    const fail = (reason: string, cause?: unknown) =>
      new RolloutError(
        "invalid_rollout",
        `Cannot write rollout "${path}": items[${index}] cannot be encoded again: ${reason}`,
        { cause },
      );
    if (nestsDeeperThan(item, MAX_NESTING)) {
      throw fail(`it is nested deeper than ${MAX_NESTING} levels`);
    }
    try {
      return documentItemText(item);
    } catch (error) {
      throw fail(describe(error), error);
    }
  });
}

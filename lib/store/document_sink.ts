/**
 * The document formats (SPEC §2.2): every commit rewrites the whole document by atomic
 * replace. The encoded document is kept up to its items, so a commit encodes only new items.
 */
import { atomicReplace } from "./atomic_replace.ts";
import { MAX_NESTING, nestsDeeperThan } from "../base/mod.ts";
import {
  describe,
  payloadValue,
  RolloutError,
  type RolloutFormat,
  type SessionState,
} from "../schemas/mod.ts";
import { documentHead, documentItemText, documentTail } from "../formats/mod.ts";
import type { FileSystem } from "../runtime/mod.ts";
import type { PendingRecord, Sink } from "./sink.ts";

const encoder = new TextEncoder();

/** `buffer` with room for `more` bytes after its first `used`, doubling. */
function grow(buffer: Uint8Array, used: number, more: number): Uint8Array {
  const out = new Uint8Array(Math.max(buffer.length * 2, used + more));
  out.set(buffer.subarray(0, used));
  return out;
}

/** Rewrites a `document` or Codex TypeScript CLI document on every commit. */
export class DocumentSink implements Sink {
  readonly #fs: FileSystem;
  readonly #path: string;
  readonly #format: RolloutFormat;
  readonly #sync: boolean;
  readonly #meta: unknown;
  /** UTF-8 of the document up to its last committed item; room after it for the next write. */
  #bytes: Uint8Array;
  #committedBytes: number;
  #itemCount: number;
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
    },
  ) {
    this.#fs = fsys;
    this.#path = options.path;
    this.#format = options.format;
    this.#sync = options.sync;
    this.#meta = options.meta;
    const texts = encodeStoredItems(options.path, options.items);
    const head = documentHead(this.#meta) + (texts.length === 0 ? "" : `\n${texts.join(",\n")}`);
    this.#bytes = encoder.encode(head);
    this.#committedBytes = this.#bytes.length;
    this.#itemCount = texts.length;
    this.#state = options.state;
  }

  commit(records: readonly PendingRecord[]): void {
    if (records.length === 0) return;
    let state = this.#state;
    let end = this.#committedBytes;
    let count = this.#itemCount;
    for (const record of records) {
      if (record.kind === "state") state = record.state;
      else {end = this.#put(
          end,
          (count++ === 0 ? "\n" : ",\n") +
            documentItemText(record.item ?? payloadValue(record.payload)),
        );}
    }
    this.#write(end, count, state);
    this.#committedBytes = end;
    this.#itemCount = count;
    this.#state = state;
  }

  recover(): void {
    this.#write(this.#committedBytes, this.#itemCount, this.#state);
  }

  close(): void {}

  /** Encodes `text` at byte `at` of the buffer (past the committed part); returns its end. */
  #put(at: number, text: string): number {
    if (this.#bytes.length - at < text.length * 3) {
      this.#bytes = grow(this.#bytes, at, text.length * 3);
    }
    return at + encoder.encodeInto(text, this.#bytes.subarray(at)).written;
  }

  /**
   * Writes the document: the buffer's first `end` bytes (`count` items), then this state; the
   * target is untouched on failure. The buffer is reused: a write copies it out.
   */
  #write(end: number, count: number, state: SessionState): void {
    const keepState = this.#format === "document" || state.previous_response_id !== undefined;
    const length = this.#put(end, documentTail(keepState ? state : null, count));
    atomicReplace(this.#fs, this.#path, {
      bytes: this.#bytes.subarray(0, length),
      sync: this.#sync,
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

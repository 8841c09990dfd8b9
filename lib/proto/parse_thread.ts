/**
 * Parses the op stream's input off the main thread: stdin bytes go to a worker
 * (parse_worker.ts) that splits lines, decodes and parses submissions, checks them and encodes
 * the items of `record_items`; the main thread only runs ops and writes events. Submissions are
 * delivered in input order, exactly as {@linkcode SubmissionReader} delivers them. Where no
 * worker starts (a runtime without workers, a permission refused, a binary built without the
 * worker), the same reader runs on this thread and nothing is lost: the bytes it was given are
 * read again there.
 */
import type { Op, ParsedSubmission } from "../protocol.ts";
import { SubmissionReader } from "./submission_reader.ts";

/** Messages to the worker: each gets exactly one reply. */
export type ToParser =
  | { kind: "start"; maxLineBytes: number }
  | { kind: "chunk"; bytes: Uint8Array }
  | { kind: "end" };

/**
 * The submissions a chunk completed, `count` in all, packed to cross threads cheaply (cloning
 * one object per op costs more than parsing it). `others` are the ones at position `at`; the
 * rest are `record_items` ops whose items are all kept: op `i` has id `ids[i]` and
 * `itemCounts[i]` items, whose types and payloads follow in order in `types` and in
 * `payloads`, UTF-8 (item `k` ends at byte `ends[k]`).
 */
export interface PackedBatch {
  count: number;
  others: { at: number; submission: ParsedSubmission }[];
  ids: string[];
  itemCounts: number[];
  types: string[];
  payloads: Uint8Array;
  ends: number[];
}

/** Replies: `ready` answers `start`, `parsed` a chunk or the end (with what it completed). */
export type FromParser =
  | { kind: "ready" }
  | { kind: "parsed"; batch: PackedBatch };

const RECORD_ITEMS: Op = { type: "record_items", items: [] };

/** Delivers a packed batch's submissions in their input order. */
function unpack(batch: PackedBatch, deliver: (submission: ParsedSubmission) => void): void {
  let other = 0;
  let op = 0;
  let item = 0;
  let start = 0;
  for (let at = 0; at < batch.count; at++) {
    const next = batch.others[other];
    if (next !== undefined && next.at === at) {
      other++;
      deliver(next.submission);
      continue;
    }
    const items = [];
    for (let n = batch.itemCounts[op]!; n > 0; n--, item++) {
      const end = batch.ends[item]!;
      items.push({ type: batch.types[item]!, payload: batch.payloads.subarray(start, end) });
      start = end;
    }
    const prepared = { where: "op.items", items, error: null };
    deliver({ ok: true, id: batch.ids[op++]!, op: RECORD_ITEMS, prepared });
  }
}

/** Messages handed to the worker and not yet answered before `push` waits (bounds memory). */
const MAX_IN_FLIGHT = 4;

/** Where the parsing of submissions runs; every method keeps input order. */
export interface SubmissionParser {
  /** True if a worker thread parses (false: this thread does). */
  readonly threaded: boolean;
  /** Feeds the next bytes of input; resolves when more may be fed. */
  push(chunk: Uint8Array): Promise<void>;
  /** Ends the input; resolves once every submission has been delivered. */
  end(): Promise<void>;
  /** Resolves once every submission of the bytes fed so far has been delivered. */
  idle(): Promise<void>;
  /** Stops the worker, if any. */
  close(): void;
}

interface ParserOptions {
  maxLineBytes: number;
  deliver: (submission: ParsedSubmission) => void;
  /**
   * Called once if the worker fails after it started: input sent to it is lost, and every
   * call after it rejects. Lets a reader blocked on stdin stop at once.
   */
  onFailure?: (error: Error) => void;
}

/** The worker's module: next to this file from source, at its build path in a compiled binary. */
function workerUrl(): string {
  const here = import.meta.url;
  if (here.endsWith("/lib/proto/parse_thread.ts")) return new URL("./parse_worker.ts", here).href;
  return "./lib/proto/parse_worker.ts";
}

/**
 * A parser on a worker thread if one starts (and `thread` is not false), else on this one.
 * `workerUrl` replaces the worker's module (tests use it to make the worker fail).
 */
export function startParser(
  options: ParserOptions & { thread?: boolean; workerUrl?: string },
): SubmissionParser {
  if (options.thread !== false && typeof Worker === "function") {
    try {
      const worker = new Worker(options.workerUrl ?? workerUrl(), { type: "module" });
      return new ThreadParser(worker, options);
    } catch {
      // No worker here (refused or unsupported): parse on this thread.
    }
  }
  return new InlineParser(options);
}

/** A worker error in one line: Bun's message puts a source excerpt before its `error:` line. */
function workerErrorText(event: ErrorEvent): string {
  if (event.error instanceof Error) return event.error.message;
  const text = String(event.message ?? "unknown error");
  const line = text.split("\n").find((l) => /^\s*(error|\w*Error): /.test(l));
  return (line ?? text).trim();
}

class InlineParser implements SubmissionParser {
  readonly threaded = false;
  readonly #reader: SubmissionReader;

  constructor(options: ParserOptions) {
    this.#reader = new SubmissionReader(options);
  }

  push(chunk: Uint8Array): Promise<void> {
    this.#reader.push(chunk);
    return Promise.resolve();
  }

  end(): Promise<void> {
    this.#reader.end();
    return Promise.resolve();
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}

class ThreadParser implements SubmissionParser {
  readonly #worker: Worker;
  readonly #options: ParserOptions;
  /** Messages sent and not yet answered, in order; a chunk as the caller's bytes. */
  readonly #sent: ("start" | "end" | Uint8Array)[] = [];
  #ready = false;
  /** Set if the worker failed before it started: parsing moved to this thread. */
  #inline: SubmissionReader | null = null;
  #failure: Error | null = null;
  #wake: (() => void)[] = [];

  constructor(worker: Worker, options: ParserOptions) {
    this.#worker = worker;
    this.#options = options;
    worker.onmessage = (event: MessageEvent<FromParser>) => this.#receive(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#failed(workerErrorText(event));
    };
    worker.onmessageerror = () => this.#failed("a message could not be read");
    this.#sent.push("start");
    worker.postMessage({ kind: "start", maxLineBytes: options.maxLineBytes } satisfies ToParser);
  }

  get threaded(): boolean {
    return this.#inline === null;
  }

  push(chunk: Uint8Array): Promise<void> {
    if (this.#inline !== null) {
      this.#inline.push(chunk);
      return Promise.resolve();
    }
    this.#post(chunk);
    return this.#until(() => this.#sent.length <= MAX_IN_FLIGHT);
  }

  end(): Promise<void> {
    if (this.#inline !== null) {
      this.#inline.end();
      return Promise.resolve();
    }
    this.#post("end");
    return this.idle();
  }

  idle(): Promise<void> {
    return this.#until(() => this.#sent.length === 0);
  }

  close(): void {
    this.#worker.terminate();
    this.#failure ??= new Error("the parse thread was stopped");
    this.#wakeAll();
  }

  #post(message: "end" | Uint8Array): void {
    if (this.#failure !== null) return;
    this.#sent.push(message);
    if (message === "end") {
      this.#worker.postMessage({ kind: "end" } satisfies ToParser);
      return;
    }
    // The worker gets a copy of its own (moved, not cloned): the caller's chunk may be a view
    // into a larger buffer, and stays as it was, to be read again here if the worker fails
    // before it starts.
    // (Not `slice()`: on a Node Buffer it is a view, and moving it would detach the caller's.)
    const bytes = new Uint8Array(message.length);
    bytes.set(message);
    this.#worker.postMessage({ kind: "chunk", bytes } satisfies ToParser, [bytes.buffer]);
  }

  #receive(reply: FromParser): void {
    if (this.#failure !== null || this.#inline !== null) return;
    this.#sent.shift();
    if (reply.kind === "ready") this.#ready = true;
    else {
      try {
        unpack(reply.batch, this.#options.deliver);
      } catch (error) {
        // A bug (delivering never throws on input): stop rather than leave waiters behind.
        this.#ready = true;
        this.#failed(`internal error: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
    this.#wakeAll();
  }

  #failed(why: string): void {
    if (this.#failure !== null || this.#inline !== null) return;
    this.#worker.terminate();
    if (this.#ready) {
      this.#failure = new Error(`the parse thread stopped: ${why}`);
      this.#options.onFailure?.(this.#failure);
    } else {
      // Nothing was delivered yet: read everything sent so far again, on this thread.
      const reader = new SubmissionReader(this.#options);
      this.#inline = reader;
      for (const message of this.#sent.splice(0)) {
        if (message === "end") reader.end();
        else if (message !== "start") reader.push(message);
      }
    }
    this.#wakeAll();
  }

  #wakeAll(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const resume of wake) resume();
  }

  /** Resolves once `done()` holds (checked after every reply), rejects if the worker failed. */
  #until(done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#failure !== null) reject(this.#failure);
        else if (this.#inline !== null || done()) resolve();
        else this.#wake.push(check);
      };
      check();
    });
  }
}

/**
 * Parses the op stream's input off the main thread: a worker (parse_worker.ts) reads stdin
 * itself, or is sent its bytes, and splits lines, decodes and parses submissions, checks them
 * and encodes the items of `record_items`; the main thread only runs ops and writes events.
 * Submissions are delivered in input order, exactly as {@linkcode SubmissionReader} delivers
 * them. Where no worker starts (a runtime without workers, a permission refused, a binary
 * built without the worker), the same reader runs on this thread and nothing is lost: the
 * worker reads nothing before it is ready, and bytes it was sent are read again here.
 */
import type { Op, ParsedSubmission, PreparedItems } from "../schemas/mod.ts";
import { noteLingeringRead } from "../runtime/mod.ts";
import { SubmissionReader } from "./submission_reader.ts";

/**
 * Messages to the worker. `start`, `chunk` and `end` get exactly one reply each. With
 * `readFd`, the worker reads that descriptor itself, one `read` reply per read while it holds
 * credits, which only come after its `ready` was received (so a worker that fails before that
 * read nothing).
 */
export type ToParser =
  | { kind: "start"; maxLineBytes: number; readFd?: number; redact?: boolean }
  | { kind: "credit"; count: number }
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
  /** Each item's `event_msg` mirror (JSON text) or null. */
  mirrors: (string | null)[];
  /**
   * Whether the worker redacted the items (`proto --redact`); then `redactions` holds the
   * secrets replaced in op `op` (of the ops above), by rule, for the ops that had any.
   */
  redacted: boolean;
  redactions: { op: number; counts: Record<string, number> }[];
}

/**
 * Why the worker stopped reading its descriptor: the input ended, an error, or a read that
 * would block (a non-blocking stdin), which hands the rest of the input to the main thread.
 */
export type ReadStop = { kind: "end" } | { kind: "handover" } | { kind: "error"; message: string };

/**
 * Replies: `ready` answers `start`, `parsed` a chunk or the end (with what it completed),
 * `read` what the worker read itself, `stop` set on its last.
 */
export type FromParser =
  | { kind: "ready" }
  | { kind: "parsed"; batch: PackedBatch }
  | { kind: "read"; batch: PackedBatch; stop?: ReadStop };

const RECORD_ITEMS: Op = { type: "record_items", items: [] };

/** Delivers a packed batch's submissions in their input order. */
function unpack(batch: PackedBatch, deliver: (submission: ParsedSubmission) => void): void {
  let other = 0;
  let op = 0;
  let item = 0;
  let start = 0;
  let redaction = 0;
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
      items.push({
        type: batch.types[item]!,
        payload: batch.payloads.subarray(start, end),
        mirror: batch.mirrors[item] ?? null,
      });
      start = end;
    }
    const prepared: PreparedItems = { where: "op.items", items, error: null };
    if (batch.redacted) {
      const found = batch.redactions[redaction];
      const mine = found !== undefined && found.op === op;
      if (mine) redaction++;
      prepared.redacted = mine ? found.counts : {};
    }
    deliver({ ok: true, id: batch.ids[op++]!, op: RECORD_ITEMS, prepared });
  }
}

/**
 * Messages handed to the worker and not yet answered before `push` waits (bounds memory).
 */
const MAX_IN_FLIGHT = 4;

/** Batches (one read of up to 64 KiB each) a worker reading stdin may send ahead. */
const READ_AHEAD = 16;

/** How reading ended when the parser read the input itself. */
export type ReadEnd = "end" | "handover";

/** Where the parsing of submissions runs; every method keeps input order. */
export interface SubmissionParser {
  /** True if a worker thread parses (false: this thread does). */
  readonly threaded: boolean;
  /**
   * Null unless the parser was given `readFd`: then it reads the input itself, and this
   * resolves once it stopped: "end" when the input ended and every submission was delivered,
   * "handover" when the caller must feed the rest with `push` and `end` (no worker started,
   * or the descriptor is non-blocking). Rejects when reading failed.
   */
  readonly reading: Promise<ReadEnd> | null;
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
  /** A descriptor (stdin's) for the worker to read itself, instead of being fed with `push`. */
  readFd?: number;
  /**
   * Asked before the worker may read one more batch ahead: a promise holds reading until it
   * resolves (the caller's backlog of output), null lets it go on.
   */
  mayRead?: () => Promise<void> | null;
  /** The worker redacts the items it prepares (`proto --redact`), so the main thread need not. */
  redact?: boolean;
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
export function workerErrorText(event: Pick<ErrorEvent, "error" | "message">): string {
  if (event.error instanceof Error) return event.error.message;
  const text = String(event.message ?? "unknown error");
  const line = text.split("\n").find((l) => /^\s*(error|\w*Error): /.test(l));
  return (line ?? text).trim();
}

class InlineParser implements SubmissionParser {
  readonly threaded = false;
  readonly #reader: SubmissionReader;
  readonly reading: Promise<ReadEnd> | null;

  constructor(options: ParserOptions) {
    this.#reader = new SubmissionReader(options);
    this.reading = options.readFd === undefined ? null : Promise.resolve("handover");
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
  readonly reading: Promise<ReadEnd> | null = null;
  /** Settles `reading`; null once it did (or when the worker is fed). */
  #readingDone: { resolve(end: ReadEnd): void; reject(error: Error): void } | null = null;

  constructor(worker: Worker, options: ParserOptions) {
    this.#worker = worker;
    this.#options = options;
    if (options.readFd !== undefined) {
      this.reading = new Promise<ReadEnd>((resolve, reject) => {
        this.#readingDone = { resolve, reject };
      });
      // Whoever waits may stop waiting (a signal): a failure must not go unhandled then.
      this.reading.catch(() => {});
    }
    worker.onmessage = (event: MessageEvent<FromParser>) => this.#receive(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#failed(workerErrorText(event));
    };
    worker.onmessageerror = () => this.#failed("a message could not be read");
    this.#sent.push("start");
    worker.postMessage(
      {
        kind: "start",
        maxLineBytes: options.maxLineBytes,
        ...(options.readFd === undefined ? {} : { readFd: options.readFd }),
        ...(options.redact === true ? { redact: true } : {}),
      } satisfies ToParser,
    );
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
    this.#stopReading(this.#failure, true);
    this.#wakeAll();
  }

  /**
   * Settles `reading` once. A worker stopped while it may be blocked in a read (`stopped`)
   * counts as still reading.
   */
  #stopReading(how: ReadEnd | Error, stopped = false): void {
    const done = this.#readingDone;
    if (done === null) return;
    this.#readingDone = null;
    if (stopped && this.#ready) noteLingeringRead();
    if (how instanceof Error) done.reject(how);
    else done.resolve(how);
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
    if (reply.kind !== "read") this.#sent.shift();
    if (reply.kind === "ready") {
      this.#ready = true;
      if (this.#readingDone !== null) this.#credit(READ_AHEAD);
    } else {
      try {
        unpack(reply.batch, this.#options.deliver);
      } catch (error) {
        // A bug (delivering never throws on input): stop rather than leave waiters behind.
        this.#ready = true;
        this.#failed(`internal error: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      if (reply.kind === "read") this.#afterRead(reply.stop);
    }
    this.#wakeAll();
  }

  /** After a batch the worker read: settle `reading`, or let it read one batch more. */
  #afterRead(stop: ReadStop | undefined): void {
    if (stop !== undefined) {
      this.#stopReading(stop.kind === "error" ? new Error(stop.message) : stop.kind);
      return;
    }
    const hold = this.#options.mayRead?.() ?? null;
    if (hold === null) this.#credit(1);
    else hold.then(() => this.#credit(1), () => {});
  }

  #credit(count: number): void {
    if (this.#failure !== null) return;
    this.#worker.postMessage({ kind: "credit", count } satisfies ToParser);
  }

  #failed(why: string): void {
    if (this.#failure !== null || this.#inline !== null) return;
    this.#worker.terminate();
    if (this.#ready) {
      this.#failure = new Error(`the parse thread stopped: ${why}`);
      this.#stopReading(this.#failure, true);
      this.#options.onFailure?.(this.#failure);
    } else {
      // Nothing was delivered yet: read everything sent so far again, on this thread.
      const reader = new SubmissionReader(this.#options);
      this.#inline = reader;
      for (const message of this.#sent.splice(0)) {
        if (message === "end") reader.end();
        else if (message !== "start") reader.push(message);
      }
      // The worker read nothing before it was ready: the caller reads all of the input.
      this.#stopReading("handover");
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

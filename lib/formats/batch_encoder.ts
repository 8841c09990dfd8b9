/**
 * Encodes the lines of one commit of a line format into one growing byte buffer, exactly as
 * {@linkcode encodeLine} would, without building each line as a string: the envelope around
 * an item repeats (same timestamp, same kind) and is copied as bytes, only the ordinal changes.
 */
import { encodeLineParts, type RecordKind } from "./encode.ts";
import type { RolloutFormat } from "../schemas/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes around a response item's payload for one timestamp. */
interface Frame {
  timestamp: string;
  /** Up to the ordinal (or the whole head when the format has none). */
  prefix: Uint8Array;
  /** Whether the ordinal's digits go between `prefix` and `suffix`. */
  ordinal: boolean;
  suffix: Uint8Array;
  tail: Uint8Array;
}

/** A record as the sink encodes it; see {@linkcode encodeLine}. A payload may be UTF-8 bytes. */
export interface LineRecord {
  kind: RecordKind;
  payload: string | Uint8Array;
  timestamp: string;
  ordinal: number;
}

/** Builds one batch of lines; `take()` hands the bytes out and starts the next batch. */
export class BatchEncoder {
  readonly #format: RolloutFormat;
  #buffer: Uint8Array = new Uint8Array(0);
  #length = 0;
  /** The last frame of each kind of framed line. */
  readonly #frames: { response_item: Frame | null; event_msg: Frame | null } = {
    response_item: null,
    event_msg: null,
  };
  /** The buffer is kept for the next batch up to this size. */
  readonly #keep: number;

  constructor(format: RolloutFormat, options: { keepBytes?: number } = {}) {
    this.#format = format;
    this.#keep = options.keepBytes ?? 16 * 1024 * 1024;
  }

  /** Appends the line of `record`. */
  add(record: LineRecord): void {
    if (record.kind !== "response_item" && record.kind !== "event_msg") {
      return this.#addParts(record);
    }
    // Codex's 2025 format has no events (see encodeLineParts).
    if (record.kind === "event_msg" && this.#format === "codex_jsonl_2025") return;
    const frame = this.#frameFor(record.kind, record.timestamp);
    const { payload } = record;
    this.#room(
      frame.prefix.length + 16 + frame.suffix.length + payload.length * 3 + frame.tail.length,
    );
    const buffer = this.#buffer;
    let at = this.#length;
    buffer.set(frame.prefix, at);
    at += frame.prefix.length;
    if (frame.ordinal) at = writeDigits(buffer, at, record.ordinal);
    buffer.set(frame.suffix, at);
    at += frame.suffix.length;
    if (typeof payload === "string") at += encoder.encodeInto(payload, buffer.subarray(at)).written;
    else {
      buffer.set(payload, at);
      at += payload.length;
    }
    buffer.set(frame.tail, at);
    this.#length = at + frame.tail.length;
  }

  /** The bytes of the lines added since the last `take`; valid until the next `add`. */
  take(): Uint8Array {
    const bytes = this.#buffer.subarray(0, this.#length);
    this.#length = 0;
    if (this.#buffer.length > this.#keep) this.#buffer = new Uint8Array(0);
    return bytes;
  }

  /** Drops what was added since the last `take` (a batch that failed while encoding). */
  discard(): void {
    this.#length = 0;
  }

  #addParts(record: LineRecord): void {
    const payload = typeof record.payload === "string"
      ? record.payload
      : decoder.decode(record.payload);
    for (const part of encodeLineParts(this.#format, { ...record, payload })) {
      if (part.length === 0) continue;
      this.#room(part.length * 3);
      this.#length += encoder.encodeInto(part, this.#buffer.subarray(this.#length)).written;
    }
  }

  /** The envelope of `kind` lines stamped `timestamp`, derived from {@linkcode encodeLineParts}. */
  #frameFor(kind: "response_item" | "event_msg", timestamp: string): Frame {
    const cached = this.#frames[kind];
    if (cached?.timestamp === timestamp) return cached;
    const part = (ordinal: number) =>
      encodeLineParts(this.#format, { kind, payload: "", timestamp, ordinal });
    const [head0, , tail] = part(0);
    const [head1] = part(1);
    // Heads for ordinals 0 and 1 differ in one character exactly where the ordinal goes.
    let at = 0;
    while (at < head0.length && head0[at] === head1[at]) at++;
    const ordinal = at < head0.length;
    const frame = {
      timestamp,
      prefix: encoder.encode(head0.slice(0, at)),
      ordinal,
      suffix: encoder.encode(ordinal ? head0.slice(at + 1) : ""),
      tail: encoder.encode(tail),
    };
    this.#frames[kind] = frame;
    return frame;
  }

  /** Makes room for `more` bytes after the current ones, doubling. */
  #room(more: number): void {
    if (this.#buffer.length - this.#length >= more) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + more, 64 * 1024));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}

/** Writes the decimal digits of a non-negative integer at `at`; returns the end. */
function writeDigits(buffer: Uint8Array, at: number, value: number): number {
  let end = at + 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) end++;
  let rest = value;
  for (let i = end - 1; i >= at; i--) {
    buffer[i] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return end;
}

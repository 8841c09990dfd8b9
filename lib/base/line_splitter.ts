/**
 * Bytes in, lines out: the splitter shared by the rollout reader and the op stream. Strict
 * UTF-8, CRLF tolerated, a BOM noticed, lines capped without buffering them whole.
 */
import { Buffer, isAscii, isUtf8 } from "node:buffer";

/** Why a line could not be turned into text. */
export type BadLineReason = "invalid_utf8" | "too_long";

/** Where the splitter sends what it finds. Line numbers start at 1. */
export interface LineSink {
  /**
   * A line's text, without its line end and (line 1) its byte order mark; `form` says what
   * was taken off, for a writer that gives the line back as it was.
   */
  line(text: string, lineNo: number, form: LineForm): void;
  bad(lineNo: number, reason: BadLineReason): void;
}

/** What a line held besides its text: a `\r` before its `\n`, a byte order mark before it. */
export interface LineForm {
  cr: boolean;
  bom: boolean;
}

/** The four forms, made once: a line's form is chosen, never built, on the hot path. */
const FORMS: readonly LineForm[] = [
  Object.freeze({ cr: false, bom: false }),
  Object.freeze({ cr: true, bom: false }),
  Object.freeze({ cr: false, bom: true }),
  Object.freeze({ cr: true, bom: true }),
];

/** What is left when the input ends: bytes after the last `\n`, if any. */
export interface SplitterEnd {
  /**
   * The unterminated last line, or null when the input ended with `\n`. `bytes` is null when
   * that line was longer than the cap (it was not kept); `length` is its size either way.
   */
  tail: { bytes: Uint8Array | null; length: number; line: number; offset: number } | null;
  /** Lines that ended in `\r\n`. */
  crlf: number;
  /** Whether line 1 began with a UTF-8 byte order mark (it is not part of its text). */
  bom: boolean;
  /** Bytes up to and including the last `\n`. */
  complete: number;
}

const NEWLINE = 10;

/** Bytes known to be ASCII as text, without a copy of the bytes. */
function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** For bytes already known to be valid UTF-8. */
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

/** Splits a byte stream into `\n`-terminated lines and hands them to a {@linkcode LineSink}. */
export class LineSplitter {
  readonly #sink: LineSink;
  readonly #max: number;
  /**
   * The unfinished line's bytes, in one buffer reused from line to line: fresh copies per chunk
   * live outside the collector's heap, and a long read would pile them up (SPEC §7).
   */
  #carry = new Uint8Array(0);
  #carryLength = 0;
  /** Inside a line longer than the cap: its bytes are dropped until its `\n`. */
  #discarding = false;
  #lineNo = 0;
  /** Bytes pushed so far. */
  #position = 0;
  /** Where the unfinished line starts: every byte before it ended in a `\n`. */
  #lineStart = 0;
  #crlf = 0;
  #bom = false;

  /** `maxLineBytes` caps one line (without its `\n`); longer lines are reported, not kept. */
  constructor(sink: LineSink, options: { maxLineBytes: number }) {
    this.#sink = sink;
    this.#max = options.maxLineBytes;
  }

  /** Feeds the next bytes. The chunk may be reused by the caller afterwards. */
  push(chunk: Uint8Array): void {
    const base = this.#position;
    this.#position += chunk.length;
    let start = 0;
    if (this.#discarding) {
      const end = chunk.indexOf(NEWLINE);
      if (end < 0) return;
      this.#discarding = false;
      this.#lineStart = base + end + 1;
      this.#sink.bad(++this.#lineNo, "too_long");
      start = end + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < start) {
      this.#keep(chunk.subarray(start));
      return;
    }
    let head = chunk.subarray(start, last + 1);
    if (this.#carryLength > 0) {
      // Only the line the carry belongs to is copied; the rest is decoded where it lies.
      const first = head.subarray(0, head.indexOf(NEWLINE) + 1);
      this.#append(first);
      this.#emitBlock(this.#carry.subarray(0, this.#carryLength));
      head = head.subarray(first.length);
      this.#carryLength = 0;
    }
    this.#lineStart = base + last + 1;
    if (head.length > 0) this.#emitBlock(head);
    this.#keep(chunk.subarray(last + 1));
  }

  /** Lines handed over so far. */
  get lines(): number {
    return this.#lineNo;
  }

  /** Bytes of the lines handed over (or reported bad) so far: each ended in a `\n`. */
  get complete(): number {
    return this.#lineStart;
  }

  /** The unfinished last line so far, or null (none, or over the cap). */
  pending(): { bytes: Uint8Array; line: number; offset: number } | null {
    if (this.#discarding || this.#carryLength === 0) return null;
    const bytes = this.#carry.slice(0, this.#carryLength);
    return { bytes, line: this.#lineNo + 1, offset: this.#lineStart };
  }

  /**
   * Ends the unfinished last line after its first `length` bytes, as if a `\n` followed them:
   * the line handed over is those bytes, the rest of it is dropped (the NUL bytes a crash
   * leaves past a record whose line end was never synced). Returns false, changing nothing,
   * when there is no unfinished line that long.
   */
  endPending(length: number): boolean {
    if (this.#discarding || length <= 0 || length > this.#carryLength) return false;
    this.#carryLength = length;
    this.#position = this.#lineStart + length;
    this.push(new Uint8Array([NEWLINE]));
    return true;
  }

  /**
   * Hands over an unfinished last line as if a `\n` ended it (through the same checks as any
   * line: its cap, UTF-8, a byte order mark on line 1, a CR): for input whose last line is
   * whole without its line end (an op stream). Nothing when the input ended with a `\n`.
   */
  finishLine(): void {
    if (this.#discarding || this.#carryLength > 0) this.push(new Uint8Array([NEWLINE]));
  }

  /** Ends the input and says what was left over. */
  end(): SplitterEnd {
    let tail: SplitterEnd["tail"] = null;
    const length = this.#position - this.#lineStart;
    if (length > 0) {
      tail = {
        bytes: this.#discarding ? null : this.#carry.slice(0, this.#carryLength),
        length,
        line: this.#lineNo + 1,
        offset: this.#lineStart,
      };
    }
    this.#discarding = false;
    this.#carry = new Uint8Array(0);
    this.#carryLength = 0;
    return { tail, crlf: this.#crlf, bom: this.#bom, complete: this.#lineStart };
  }

  #keep(rest: Uint8Array): void {
    if (rest.length === 0) return;
    if (this.#carryLength + rest.length > this.#max) {
      this.#carryLength = 0;
      this.#discarding = true;
      return;
    }
    this.#append(rest);
  }

  /** Adds bytes to the carry, growing its buffer (by doubling) when they do not fit. */
  #append(bytes: Uint8Array): void {
    const needed = this.#carryLength + bytes.length;
    if (needed > this.#carry.length) {
      const grown = new Uint8Array(Math.max(needed, 2 * this.#carry.length, 64 * 1024));
      grown.set(this.#carry.subarray(0, this.#carryLength));
      this.#carry = grown;
    }
    this.#carry.set(bytes, this.#carryLength);
    this.#carryLength = needed;
  }

  #emitBlock(block: Uint8Array): void {
    // Validating first (simdutf) and then decoding is faster than a fatal decoder on both
    // runtimes; a block with a bad byte is split line by line to find the line it is in.
    // Pure ASCII (most of a rollout) is decoded as Latin-1: the same text, and in Bun a
    // compact string made at twice the speed, with a third of the memory left behind (SPEC §7).
    let text: string;
    if (isAscii(block)) text = latin1(block);
    else if (isUtf8(block)) text = lenient.decode(block);
    else {
      this.#emitLineByLine(block);
      return;
    }
    const lines = text.split("\n");
    const count = lines.length - 1;
    for (let i = 0; i < count; i++) this.#emitText(lines[i]!);
  }

  #emitLineByLine(block: Uint8Array): void {
    let from = 0;
    while (from < block.length) {
      const end = block.indexOf(NEWLINE, from);
      const bytes = block.subarray(from, end);
      from = end + 1;
      if (bytes.length > this.#max) {
        // Too long wins over its content, as when the line arrives over several chunks.
        this.#sink.bad(++this.#lineNo, "too_long");
        continue;
      }
      let text: string;
      try {
        text = fatal.decode(bytes);
      } catch {
        this.#sink.bad(++this.#lineNo, "invalid_utf8");
        continue;
      }
      this.#emitText(text);
    }
  }

  #emitText(raw: string): void {
    const lineNo = ++this.#lineNo;
    if (raw.length > this.#max || (raw.length * 3 > this.#max && byteLength(raw) > this.#max)) {
      this.#sink.bad(lineNo, "too_long");
      return;
    }
    let text = raw;
    let form = 0;
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) {
      text = text.slice(1);
      this.#bom = true;
      form = 2;
    }
    if (text.charCodeAt(text.length - 1) === 13) {
      text = text.slice(0, -1);
      this.#crlf++;
      form += 1;
    }
    this.#sink.line(text, lineNo, FORMS[form]!);
  }
}

const encoder = new TextEncoder();

/** The UTF-8 length of a string. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

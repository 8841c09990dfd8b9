/**
 * Bytes in, lines out: the splitter shared by the rollout reader and the op stream. Strict
 * UTF-8, CRLF tolerated, a BOM noticed, lines capped without buffering them whole.
 */

/** Why a line could not be turned into text. */
export type BadLineReason = "invalid_utf8" | "too_long";

/** Where the splitter sends what it finds. Line numbers start at 1. */
export interface LineSink {
  line(text: string, lineNo: number): void;
  bad(lineNo: number, reason: BadLineReason): void;
}

/** What is left when the input ends: bytes after the last `\n`, if any. */
export interface SplitterEnd {
  /** The unterminated last line, or null when the input ended with `\n`. */
  tail: { bytes: Uint8Array; line: number; offset: number } | null;
  /** Lines that ended in `\r\n`. */
  crlf: number;
  /** Whether the input began with a UTF-8 byte order mark (it is not part of line 1). */
  bom: boolean;
  /** Bytes up to and including the last `\n`. */
  complete: number;
}

const NEWLINE = 10;
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Splits a byte stream into `\n`-terminated lines and hands them to a {@linkcode LineSink}. */
export class LineSplitter {
  readonly #sink: LineSink;
  readonly #max: number;
  #carry: Uint8Array[] = [];
  #carryLength = 0;
  #discarding = false;
  #lineNo = 0;
  #complete = 0;
  #crlf = 0;
  #bom = false;
  #started = false;

  /** `maxLineBytes` caps one line (without its `\n`); longer lines are reported, not kept. */
  constructor(sink: LineSink, options: { maxLineBytes: number }) {
    this.#sink = sink;
    this.#max = options.maxLineBytes;
  }

  /** Feeds the next bytes. The chunk may be reused by the caller afterwards. */
  push(chunk: Uint8Array): void {
    let start = 0;
    if (!this.#started && chunk.length > 0) start = this.#skipBom(chunk);
    if (this.#discarding) {
      const end = chunk.indexOf(NEWLINE, start);
      this.#complete += (end < 0 ? chunk.length : end + 1) - start;
      if (end < 0) return;
      this.#discarding = false;
      this.#sink.bad(++this.#lineNo, "too_long");
      start = end + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < start) {
      this.#keep(chunk.subarray(start));
      return;
    }
    const head = chunk.subarray(start, last + 1);
    const block = this.#carryLength === 0
      ? head
      : concat([...this.#carry, head], this.#carryLength + head.length);
    this.#carry = [];
    this.#carryLength = 0;
    this.#complete += block.length;
    this.#emitBlock(block);
    this.#keep(chunk.subarray(last + 1));
  }

  /** Ends the input and says what was left over. */
  end(): SplitterEnd {
    let tail: SplitterEnd["tail"] = null;
    if (this.#discarding) {
      this.#discarding = false;
      this.#sink.bad(++this.#lineNo, "too_long");
    } else if (this.#carryLength > 0) {
      tail = {
        bytes: concat(this.#carry, this.#carryLength),
        line: this.#lineNo + 1,
        offset: this.#complete,
      };
    }
    this.#carry = [];
    this.#carryLength = 0;
    return { tail, crlf: this.#crlf, bom: this.#bom, complete: this.#complete };
  }

  #skipBom(chunk: Uint8Array): number {
    this.#started = true;
    if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
      this.#bom = true;
      this.#complete += 3;
      return 3;
    }
    return 0;
  }

  #keep(rest: Uint8Array): void {
    if (rest.length === 0) return;
    if (this.#carryLength + rest.length > this.#max) {
      this.#complete += this.#carryLength + rest.length;
      this.#carry = [];
      this.#carryLength = 0;
      this.#discarding = true;
      return;
    }
    this.#carry.push(rest.slice());
    this.#carryLength += rest.length;
  }

  #emitBlock(block: Uint8Array): void {
    let text: string | null;
    try {
      text = fatal.decode(block);
    } catch {
      text = null;
    }
    if (text === null) {
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
    let text = raw;
    if (text.endsWith("\r")) {
      text = text.slice(0, -1);
      this.#crlf++;
    }
    if (text.length > this.#max || (text.length * 3 > this.#max && byteLength(text) > this.#max)) {
      this.#sink.bad(lineNo, "too_long");
      return;
    }
    this.#sink.line(text, lineNo);
  }
}

const encoder = new TextEncoder();

/** The UTF-8 length of a string. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

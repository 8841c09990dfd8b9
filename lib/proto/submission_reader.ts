/**
 * Bytes of stdin in, parsed submissions out, one per line: the op stream's side of the shared
 * {@linkcode LineSplitter}. Every line yields exactly one result; nothing here throws on input.
 */
import { LineSplitter, MAX_NESTING, nestingDepth, parseJson } from "../base/mod.ts";
import { type ParsedSubmission, parseSubmission } from "../schemas/mod.ts";

function refused(lineNo: number, code: "invalid_json" | "line_too_long", why: string) {
  return { ok: false, id: "", code, message: `Line ${lineNo} ${why}` } as const;
}

/**
 * Whether `text` holds more than `limit` opening brackets, in strings or not (a bound on its
 * nesting, found with the engine's own search: most long lines are let through here).
 */
export function manyBrackets(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ["[", "{"]) {
    for (let at = text.indexOf(bracket); at >= 0; at = text.indexOf(bracket, at + 1)) {
      if (++count > limit) return true;
    }
  }
  return false;
}

/** Parses one line of the op stream (without its line ending). */
export function parseLine(text: string, lineNo: number): ParsedSubmission {
  // JSON nested n levels deep takes 2n characters and n opening brackets: only lines with
  // both are scanned. Every submission delivered nests at most MAX_NESTING levels.
  if (
    text.length > 2 * MAX_NESTING && manyBrackets(text, MAX_NESTING) &&
    nestingDepth(text, MAX_NESTING) > MAX_NESTING
  ) {
    return refused(lineNo, "invalid_json", `is nested deeper than ${MAX_NESTING} levels`);
  }
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    // SyntaxError, or RangeError when an engine runs out of stack: either way, not usable.
    return refused(lineNo, "invalid_json", "is not JSON");
  }
  const parsed = parseSubmission(value);
  // Without an id to answer to, the line number is the only pointer to what was wrong.
  if (!parsed.ok && parsed.id === "") {
    return { ...parsed, message: `Line ${lineNo}: ${parsed.message}` };
  }
  return parsed;
}

/** Splits stdin into lines and hands each line's submission, in order, to `deliver`. */
export class SubmissionReader {
  readonly #splitter: LineSplitter;
  readonly #max: number;
  readonly #deliver: (submission: ParsedSubmission) => void;

  constructor(options: {
    maxLineBytes: number;
    deliver: (submission: ParsedSubmission) => void;
  }) {
    this.#max = options.maxLineBytes;
    this.#deliver = options.deliver;
    this.#splitter = new LineSplitter({
      line: (text, lineNo) => this.#deliver(parseLine(text, lineNo)),
      bad: (lineNo, reason) => this.#deliver(this.#bad(lineNo, reason)),
    }, { maxLineBytes: options.maxLineBytes });
  }

  /** Feeds the next bytes of input. */
  push(chunk: Uint8Array): void {
    this.#splitter.push(chunk);
  }

  /** Ends the input: a last line without `\n` is still a submission, read as any other. */
  end(): void {
    this.#splitter.finishLine();
    this.#splitter.end();
  }

  #bad(lineNo: number, reason: "invalid_utf8" | "too_long"): ParsedSubmission {
    return reason === "too_long"
      ? refused(lineNo, "line_too_long", `is longer than the limit of ${this.#max} bytes`)
      : refused(lineNo, "invalid_json", "is not valid UTF-8");
  }
}

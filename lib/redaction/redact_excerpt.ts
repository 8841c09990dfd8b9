/**
 * Redaction of an excerpt: a text cut from a longer one, `…` where it was cut (a search
 * snippet, a list preview). A secret the cut went through no longer matches its rule
 * (`…A1b2C3d4A1b2` has lost its `sk-proj-`), so the word at a cut edge that mixes letters
 * and digits, as tokens and keys do, is replaced too, as `[REDACTED:partial]`. Pure.
 */
import type { RedactionCounts } from "./counts.ts";
import { redactText } from "./redact_text.ts";

/** A word of token characters at least this long, at a cut edge, may be part of a secret. */
const EDGE_CHARS = 8;
const AT_START = new RegExp(`^…([A-Za-z0-9_+/=.:-]{${EDGE_CHARS},})`);
const AT_END = new RegExp(`([A-Za-z0-9_+/=.:-]{${EDGE_CHARS},})…$`);

/** Whether a word at a cut edge may be part of a secret: it mixes letters and digits. */
function mayBePartial(word: string): boolean {
  return /[A-Za-z]/.test(word) && /\d/.test(word) && !word.startsWith("[REDACTED");
}

/** `excerpt` redacted (see the module doc), each secret counted in `counts`. */
export function redactExcerpt(excerpt: string, counts: RedactionCounts): string {
  let out = redactText(excerpt, counts);
  const partial = () => {
    counts.partial = (counts.partial ?? 0) + 1;
    return "[REDACTED:partial]";
  };
  const start = AT_START.exec(out);
  if (start !== null && mayBePartial(start[1]!)) {
    out = `…${partial()}${out.slice(start[0].length)}`;
  }
  const end = AT_END.exec(out);
  if (end !== null && mayBePartial(end[1]!)) {
    out = `${out.slice(0, end.index)}${partial()}…`;
  }
  return out;
}

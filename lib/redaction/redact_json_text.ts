/**
 * Redaction of an encoded JSON text (a journal line, a document) in place: only the string
 * values that held a secret are encoded again; keys, numbers, spacing and every other byte
 * stay as they were, so a rewritten record differs from its original only where a secret was.
 */
import type { RedactionCounts } from "./counts.ts";
import { mayHoldSecret } from "./prefilter.ts";
import { redactJsonStrings } from "./redact_text.ts";

/**
 * `text` (a JSON text, or several on lines) with the secrets inside its string values
 * replaced (each value with its key as context), counted into `counts`; `text` itself when
 * there is none. Text that is no JSON is read as far as its quotes go: a string that does
 * not decode is left alone.
 */
export function redactJsonText(text: string, counts: RedactionCounts): string {
  if (!mayHoldSecret(text)) return text;
  return redactJsonStrings(text, counts);
}

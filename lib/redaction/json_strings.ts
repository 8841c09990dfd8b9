/**
 * The string values of an encoded JSON text, changed in place: keys, numbers, spacing and
 * every other byte stay as they were, and only a value whose text changes is encoded again.
 * Knows nothing of secrets: redact_text.ts and redact_json_text.ts give it what to change.
 */

/** The index of the quote that closes the JSON string opened at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let at = open + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return -1;
    let slashes = 0;
    while (text.charCodeAt(quote - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

/** Where the value of the key ending at `close` starts, or -1 when that string is no key. */
function valueAfterKey(text: string, close: number): number {
  let at = close + 1;
  const skip = () => {
    for (let c = text.charCodeAt(at); c === 32 || c === 9 || c === 10 || c === 13;) {
      c = text.charCodeAt(++at);
    }
  };
  skip();
  if (text.charCodeAt(at) !== 58) return -1; // ":"
  at++;
  skip();
  return at;
}

/**
 * `text` with each string value `change` returns another text for replaced by that text,
 * encoded; `text` itself when nothing changes. `change` is given the value's key too (its
 * encoded text; null in an array). `worth` sees the encoded value and key first (false: the
 * value is not decoded, not changed). Text that is no JSON is read as far as its quotes go:
 * a string that does not decode is left alone.
 */
export function mapJsonStrings(
  text: string,
  worth: (encoded: string, key: string | null) => boolean,
  change: (value: string, key: string | null) => string,
): string {
  let out = "";
  let copied = 0;
  // The key whose value starts at `valueAt`.
  let key: string | null = null;
  let valueAt = -1;
  for (let open = text.indexOf('"'); open >= 0;) {
    const close = closingQuote(text, open);
    if (close < 0) break;
    const next = text.indexOf('"', close + 1);
    const after = valueAfterKey(text, close);
    const encoded = text.slice(open + 1, close);
    if (after >= 0) {
      key = encoded;
      valueAt = after;
    } else {
      const own = open === valueAt ? key : null;
      if (worth(encoded, own)) {
        let value: string | null;
        try {
          value = JSON.parse(text.slice(open, close + 1)) as string;
        } catch {
          value = null; // not a JSON string (damaged text): left as it is
        }
        const changed = value === null ? value : change(value, own);
        if (changed !== value) {
          out += text.slice(copied, open) + JSON.stringify(changed);
          copied = close + 1;
        }
      }
    }
    open = next;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

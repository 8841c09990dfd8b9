/**
 * The second look at a candidate a rule's pattern found: does it look like a real secret or
 * like a placeholder, a type name, a hash? Pure functions of the candidate's text.
 */

/** Distinct characters in `text`. */
function distinct(text: string): number {
  return new Set(text).size;
}

/** Shannon entropy of `text`, in bits per character. */
export function entropy(text: string): number {
  const seen = new Map<string, number>();
  for (const c of text) seen.set(c, (seen.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of seen.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Whether the variable part of a token of a known format varies like a real one: a run of
 * `x`, `0` or `*` (a placeholder in documentation) does not.
 */
export function varied(part: string): boolean {
  return distinct(part) >= Math.min(8, Math.ceil(part.length / 3)) && !/(.)\1{7}/.test(part);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]+$|^[0-9A-F]+$/;

/**
 * Whether a word of 20 or more characters reads as random (a key, a token) rather than as a
 * name, a path, a hash or an id: letters and digits mixed throughout, or capitals and small
 * letters in like numbers, and high entropy. Hex strings (git objects, digests) and UUIDs
 * are not taken: those are ids, not credentials.
 */
export function looksRandom(word: string): boolean {
  if (word.length < 20 || HEX.test(word) || UUID.test(word)) return false;
  let digits = 0;
  let letters = 0;
  let upper = 0;
  let switches = 0;
  let wasDigit: boolean | null = null;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    if (digit) digits++;
    else if ((c | 32) >= 97 && (c | 32) <= 122) {
      letters++;
      if (c <= 90) upper++;
    } else continue;
    if (wasDigit !== null && wasDigit !== digit) switches++;
    wasDigit = digit;
  }
  const bits = entropy(word);
  // Digits all through, or as many capitals as small letters (a name has few capitals).
  const mixed = letters >= 16 && upper >= letters / 4 && upper <= letters * 3 / 4 && bits >= 4;
  return (digits >= 2 && letters >= 6 && switches >= 3 && bits >= 3.5) || mixed;
}

/** Values that stand for a secret without being one: variables, templates, examples. */
const PLACEHOLDER = new RegExp(
  [
    String.raw`\$\{?[A-Za-z_][\w.]*\}?`, // $TOKEN, ${TOKEN}
    String.raw`\$\{\{.*\}\}`, // ${{ secrets.X }}
    String.raw`\$\(.*\)`, // $(cat file)
    String.raw`<[^<>]*>`, // <your-token>
    String.raw`\{\{.*\}\}`, // {{ token }}
    String.raw`%\(?\w*\)?[sdr]`, // %s, %(token)s
    String.raw`[*•.…_-]+`, // ****, ..., ___
    String.raw`[xX]{3,}\w*`,
    String.raw`\[REDACTED.*`,
    String.raw`(?:your|my|some|the|a|an)[\s_-].*`,
    String
      .raw`(?:null|none|nil|undefined|true|false|empty|redacted|hidden|secret|password|passwd|pass|pwd|pw|user|username|token|changeme|change[_-]?me|example|dummy|fake|sample|placeholder|test|todo|tbd|n/a|\?+)`,
  ].map((p) => `(?:${p})`).join("|"),
  "i",
);

/** Whether `value` is a placeholder rather than a secret. */
export function isPlaceholder(value: string): boolean {
  const m = PLACEHOLDER.exec(value);
  return m !== null && m.index === 0 && m[0].length === value.length;
}

/** Words that name a type or a kind of value where code declares a field. */
const TYPE_WORDS = new Set([
  "any",
  "bool",
  "boolean",
  "bytes",
  "char",
  "date",
  "dict",
  "float",
  "int",
  "integer",
  "list",
  "number",
  "object",
  "optional",
  "required",
  "str",
  "string",
  "text",
  "unknown",
  "uuid",
  "varchar",
]);

/** Whether `value` names a type (`string`, `int64`, `Optional`) rather than holding a secret. */
export function isTypeWord(value: string): boolean {
  return TYPE_WORDS.has(value.toLowerCase()) ||
    /^(?:u?int|float|sha|md|base|utf|latin|u)\d+$/i.test(value);
}

/** A base64url text decoded to a string of bytes (Latin-1), or null if it is not base64url. */
function base64url(text: string): string | null {
  const plain = text.replaceAll("-", "+").replaceAll("_", "/").replace(/=+$/, "");
  if (plain.length % 4 === 1) return null;
  try {
    return atob(plain + "=".repeat((4 - plain.length % 4) % 4));
  } catch {
    return null; // not base64: no token of this format
  }
}

/** Whether the first part of a JWT candidate decodes to a JSON object naming an `alg`. */
export function hasJwtHeader(token: string): boolean {
  const head = base64url(token.slice(0, token.indexOf(".")));
  if (head === null) return false;
  try {
    const value: unknown = JSON.parse(head);
    return typeof value === "object" && value !== null &&
      typeof (value as { alg?: unknown }).alg === "string";
  } catch {
    return false; // not JSON: base64url text that only looks like a token
  }
}

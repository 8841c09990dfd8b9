/**
 * Redaction of one text: the prefilter (prefilter.ts) passes over text that holds no secret
 * keyword or token prefix, then the format rules run in one combined pass and the rules of
 * context after them. Pure: text in, text and counts out.
 */
import type { RedactionCounts } from "./counts.ts";
import { mapJsonStrings } from "./json_strings.ts";
import { mayHoldSecret } from "./prefilter.ts";
import { CONTEXT_RULES, FORMAT_RULES, KEYWORD, type Rule } from "./rules.ts";

/** Where the rules of context can apply at all: a URL, a keyword. */
const CONTEXT_FILTER = new RegExp(
  `://|${KEYWORD}|[Aa]uthorization|AUTHORIZATION|[Bb]earer|BEARER`,
);

/** Rules compiled into one regular expression: rule `i` captures groups `2i+1` (before), `2i+2`. */
interface Pass {
  regex: RegExp;
  rules: readonly Rule[];
}

function compile(rules: readonly Rule[]): Pass {
  const sources = rules.map((rule) => {
    const source = `(${rule.before})(${rule.secret})`;
    // Two groups exactly, or the group numbers below would name the wrong rule.
    const groups = new RegExp(`${source}|`).exec("")!.length - 1;
    if (groups !== 2) throw new Error(`Redaction rule "${rule.name}" has ${groups} groups`);
    return `(?:${source})`;
  });
  return { regex: new RegExp(sources.join("|"), "g"), rules };
}

const FORMATS = compile(FORMAT_RULES);
const CONTEXTS = CONTEXT_RULES.map((rule) => compile([rule]));
/** The regular expressions of a rule of nearness: its keyword, its candidates. */
const NEAR = new Map(
  CONTEXT_RULES.filter((rule) => rule.within !== undefined).map((rule) => [
    rule,
    { keyword: new RegExp(rule.before, "g"), word: new RegExp(rule.secret, "g") },
  ]),
);

/** The head of a data URL is looked for in this many first characters. */
const HEAD = 256;

/** Where the run of `[A-Za-z0-9_.+-]` starting at `i` ends (at most at HEAD). */
function tokenEnd(text: string, i: number): number {
  for (; i < HEAD; i++) {
    const c = text.charCodeAt(i);
    const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
      c === 95 || c === 46 || c === 43 || c === 45;
    if (!word) return i;
  }
  return i;
}

/**
 * Whether `text` is a data URL of base64 bytes (an image): bytes, not text, and never searched.
 * `data:type/subtype(;name=value)*;base64,` within its first 256 characters, read character by
 * character: a regular expression would keep the text (an image of megabytes) alive as its
 * last input until the next match, and a collector of the young generation then keeps it for
 * the old one (a 1 GiB `show` grew 8 MiB and spent 12 collections giving memory back).
 */
function isBase64DataUrl(text: string): boolean {
  if (!text.startsWith("data:")) return false;
  let i = tokenEnd(text, 5);
  if (i === 5 || text.charCodeAt(i) !== 47) return false; // type "/"
  const subtype = i + 1;
  i = tokenEnd(text, subtype);
  if (i === subtype) return false;
  while (i < HEAD && text.charCodeAt(i) === 59) { // ";"
    if (i + 8 <= HEAD && text.startsWith("base64,", i + 1)) return true;
    const name = i + 1;
    i = tokenEnd(text, name);
    if (i === name || text.charCodeAt(i) !== 61) return false; // name "="
    const value = i + 1;
    i = tokenEnd(text, value);
    if (i === value) return false;
  }
  return false;
}

/** Replaces what `pass` finds in `text`, counting into `counts`. */
function apply(pass: Pass, text: string, counts: RedactionCounts): string {
  const { regex, rules } = pass;
  if (rules[0]!.within !== undefined) return applyNear(rules[0]!, text, counts);
  regex.lastIndex = 0;
  let out = "";
  let copied = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    let i = 0;
    while (m[2 * i + 2] === undefined) i++;
    const rule = rules[i]!;
    const before = m[2 * i + 1]!;
    const secret = m[2 * i + 2]!;
    const start = m.index + before.length;
    const end = start + secret.length;
    const found = { before, next: text.charAt(end), prior: text.charAt(m.index - 1) };
    if (rule.check !== undefined && !rule.check(secret, found)) {
      // Not a secret: look again from the next character (another rule may start here).
      regex.lastIndex = m.index + 1;
      continue;
    }
    out += `${text.slice(copied, start)}[REDACTED:${rule.name}]`;
    copied = end;
    counts[rule.name] = (counts[rule.name] ?? 0) + 1;
    regex.lastIndex = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Replaces the candidates of a rule of nearness: after each keyword, every candidate word
 * starting within `rule.within` characters on the same line is checked (a first candidate
 * that fails its check does not hide the next), in a window of the text, so each keyword
 * costs the window, never the rest of the text.
 */
function applyNear(rule: Rule, text: string, counts: RedactionCounts): string {
  const { keyword, word } = NEAR.get(rule)!;
  const within = rule.within!;
  keyword.lastIndex = 0;
  let out = "";
  let copied = 0;
  for (let m = keyword.exec(text); m !== null; m = keyword.exec(text)) {
    const from = m.index + m[0].length;
    const line = text.indexOf("\n", from);
    const last = Math.min(from + within, line < 0 ? text.length : line);
    // One character before the window, so that a candidate glued to the keyword is none.
    const start = Math.max(from - 1, copied);
    const skip = from - 1 < copied ? 0 : 1;
    // First in the few characters where a candidate can start (most keywords have none).
    word.lastIndex = skip;
    const first = word.exec(text.slice(start, last + 21));
    if (first === null || start + first.index > last) continue;
    const window = text.slice(start, last + 258);
    word.lastIndex = first.index;
    for (let w = word.exec(window); w !== null && start + w.index <= last; w = word.exec(window)) {
      const found = { before: m[0], next: "", prior: text.charAt(m.index - 1) };
      if (rule.check !== undefined && !rule.check(w[0], found)) continue;
      out += `${text.slice(copied, start + w.index)}[REDACTED:${rule.name}]`;
      copied = start + w.index + w[0].length;
      counts[rule.name] = (counts[rule.name] ?? 0) + 1;
    }
    keyword.lastIndex = Math.max(keyword.lastIndex, copied);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * `text` with every secret the rules find replaced by `[REDACTED:<rule>]`, each counted in
 * `counts`; `text` itself when there is none. A JSON text (a tool call's arguments, a tool's
 * JSON output) stays the same JSON text: only its string values are redacted, one by one,
 * so no match can run across a quote, and no key or structure changes.
 */
export function redactText(text: string, counts: RedactionCounts): string {
  // An image first: its base64 is most of a rollout's bytes, and never searched.
  if (isBase64DataUrl(text)) return text;
  if (!mayHoldSecret(text)) return text;
  if (isJsonText(text)) return redactJsonStrings(text, counts);
  let out = apply(FORMATS, text, counts);
  if (CONTEXT_FILTER.test(out)) {
    for (const pass of CONTEXTS) out = apply(pass, out, counts);
  }
  return out;
}

/**
 * Whether redacting `text` replaces, on each of its lines, what redacting that line alone
 * replaces: true unless a rule reads across lines or the whole decides how it is read. A PEM
 * private key spans lines, a JSON text is redacted string by string with keys as context, and
 * a data URL is not searched at all.
 */
export function redactsLineByLine(text: string): boolean {
  if (text.startsWith("data:") || text.includes("-----BEGIN")) return false;
  // The first character that is not white space (no regular expression: see isBase64DataUrl).
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91) return false; // "{", "["
    if (!isWhiteSpace(c)) return true;
  }
  return true;
}

/** JavaScript's white space and line ends (what `trimStart` removes). */
function isWhiteSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f ||
    c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/**
 * The string values of a JSON text redacted in place, each with its key as context: in
 * `{"password": "x"}` the value alone holds no keyword, its member does.
 */
export function redactJsonStrings(text: string, counts: RedactionCounts): string {
  // (An escaped character that could spell a secret is itself an anchor of the prefilter.)
  return mapJsonStrings(
    text,
    (value, key) => mayHoldSecret(value) || (key !== null && mayHoldSecret(key)),
    (value, key) => redactMember(key === null ? null : decodeKey(key), value, counts),
  );
}

/** A key's text from its encoded form (most keys hold no escape). */
function decodeKey(encoded: string): string {
  if (!encoded.includes("\\")) return encoded;
  try {
    return JSON.parse(`"${encoded}"`) as string;
  } catch {
    return encoded; // not JSON (damaged text): taken as written
  }
}

/**
 * A field's string value redacted, the field's key taken as the keyword before it: a value
 * that holds no secret by itself is one when its key names a secret (`"password": "x"`,
 * `env.DB_PASSWORD`), checked as the assignment `key: "value"` would be.
 */
export function redactMember(key: string | null, value: string, counts: RedactionCounts): string {
  const clean = redactText(value, counts);
  if (clean !== value || key === null || !mayHoldSecret(key)) return clean;
  const member = `${key}: ${JSON.stringify(value)}`;
  const found: RedactionCounts = {};
  let out = member;
  for (const pass of CONTEXTS) out = apply(pass, out, found);
  const replaced = /^\[REDACTED:[a-z_]+\]$/.exec(out.slice(key.length + 3, -1));
  if (!out.startsWith(`${key}: "`) || !out.endsWith('"') || replaced === null) return value;
  for (const [rule, n] of Object.entries(found)) counts[rule] = (counts[rule] ?? 0) + n;
  return replaced[0];
}

/** Whether `text` is a JSON object or array (whose strings are then redacted one by one). */
function isJsonText(text: string): boolean {
  const first = text.trimStart()[0];
  if (first !== "{" && first !== "[") return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false; // text that starts like JSON: searched as text
  }
}

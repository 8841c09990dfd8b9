/**
 * The words of a searchable text, as the fleet store indexes them and as queries name them:
 * split at punctuation, symbols and spaces, lower-cased. The text's `tsvector` is made here,
 * on the machine that pushes it, so that PostgreSQL only reads it (its own parser is the
 * slowest part of a push: about 7 MB/s of text).
 */

/** A character of a word: no punctuation, symbol or space. */
const WORD_CHAR = "[^\\p{P}\\p{S}\\s]";
/** A run of characters that are no punctuation, symbol or space. */
const WORD = new RegExp(`${WORD_CHAR}+`, "gu");
/** The part of a word at the start or the end of a text cut out of a longer one. */
export const PARTIAL_START = new RegExp(`^${WORD_CHAR}+`, "u");
export const PARTIAL_END = new RegExp(`${WORD_CHAR}+$`, "u");
/** PostgreSQL's limits: a lexeme's bytes, positions kept per lexeme, the highest position. */
const MAX_LEXEME_BYTES = 2047;
const MAX_POSITIONS = 256;
const MAX_POSITION = 16383;

/** Where each word of `text` starts and ends, in order. */
export function wordSpans(text: string): Array<[number, number]> {
  return [...text.matchAll(WORD)].map((m) => [m.index, m.index + m[0].length]);
}

/** The words of `text`, lower-cased, in order. */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(WORD)) words.push(match[0].toLowerCase());
  return words;
}

/** A lexeme in the `tsvector`/`tsquery` text form: quoted, its quotes and backslashes doubled. */
export function quoteLexeme(word: string): string {
  return `'${word.replace(/['\\]/g, (c) => c + c)}'`;
}

/** For each ASCII code: whether it is part of a word (a letter or a digit). */
const ASCII_WORD = new Uint8Array(128).map((_, c) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : 0
);
const SEPARATOR = /[\p{P}\p{S}\s]/u;

/** Whether the UTF-16 code `code` at `at` of `text` is part of a word. */
function isWordChar(text: string, code: number, at: number): boolean {
  if (code < 128) return ASCII_WORD[code] === 1;
  return !SEPARATOR.test(String.fromCodePoint(text.codePointAt(at)!));
}

/**
 * The `tsvector` text of `text` (`'word':1,4 'other':2`), within PostgreSQL's limits: words
 * over 2,047 bytes left out, at most 256 positions a word, positions up to 16,383. The same
 * words as {@linkcode wordsOf}, found by a loop over the characters (ASCII by a table).
 */
export function tsvectorOf(text: string): string {
  const positions = new Map<string, number[]>();
  let position = 0;
  let start = -1;
  const length = text.length;
  for (let at = 0; at <= length; at++) {
    const code = at < length ? text.charCodeAt(at) : 32;
    // A low surrogate belongs to the character before it.
    const word = code >= 0xdc00 && code <= 0xdfff ? start >= 0 : isWordChar(text, code, at);
    if (word) {
      if (start < 0) start = at;
      continue;
    }
    if (start < 0) continue;
    const found = text.slice(start, at).toLowerCase();
    start = -1;
    position++;
    if (found.length > MAX_LEXEME_BYTES / 3 && byteLength(found) > MAX_LEXEME_BYTES) continue;
    const list = positions.get(found);
    const at16 = Math.min(position, MAX_POSITION);
    if (list === undefined) positions.set(found, [at16]);
    else if (list.length < MAX_POSITIONS) list.push(at16);
  }
  let out = "";
  for (const [word, list] of positions) {
    if (out !== "") out += " ";
    out += `${quoteLexeme(word)}:${list.join(",")}`;
  }
  return out;
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

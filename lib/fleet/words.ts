/**
 * The words of a searchable text, as the fleet store indexes them and as queries name them:
 * split at punctuation, symbols and spaces, and between two Chinese or Japanese characters (as
 * the session index splits them, so that a word inside a sentence is found), lower-cased. The
 * text's `tsvector` is made here, on the machine that pushes it, so that PostgreSQL only reads
 * it (its own parser is the slowest part of a push: about 7 MB/s of text).
 */
import { hasCjk, isCjk } from "../base/mod.ts";

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
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(WORD)) {
    const [start, end] = [match.index, match.index + match[0].length];
    if (!hasCjk(match[0])) spans.push([start, end]);
    else spans.push(...cjkSpans(text, start, end));
  }
  return spans;
}

/** A run of word characters from `start` to `end`, cut between each two CJK characters. */
function cjkSpans(text: string, start: number, end: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let from = start;
  let previous = false;
  for (let at = start; at < end;) {
    const char = String.fromCodePoint(text.codePointAt(at)!);
    const cjk = isCjk(char);
    if (cjk && previous) {
      spans.push([from, at]);
      from = at;
    }
    previous = cjk;
    at += char.length;
  }
  spans.push([from, end]);
  return spans;
}

/** The words of `text`, lower-cased, in order. */
export function wordsOf(text: string): string[] {
  return wordSpans(text).map(([start, end]) => text.slice(start, end).toLowerCase());
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

/**
 * What the character at `at` of `text` (UTF-16 code `code`, not a low surrogate) is: 0 no
 * part of a word, 1 part of one, 2 a CJK character (a word of its own beside another).
 */
function charKind(text: string, code: number, at: number): 0 | 1 | 2 {
  if (code < 128) return ASCII_WORD[code] === 1 ? 1 : 0;
  if (isCommonCjk(code)) return 2;
  const char = String.fromCodePoint(text.codePointAt(at)!);
  if (SEPARATOR.test(char)) return 0;
  // No CJK script starts below Hangul's jamo (U+1100).
  return code >= 0x1100 && isCjk(char) ? 2 : 1;
}

/**
 * Whether a UTF-16 code is in the blocks most CJK text is made of, all letters: CJK unified
 * ideographs, hiragana and katakana (their punctuation left out), `ー`, Hangul syllables. The
 * others are found by their script, more slowly.
 */
function isCommonCjk(code: number): boolean {
  return (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3041 && code <= 0x3096) ||
    (code >= 0x30a1 && code <= 0x30fa) || code === 0x30fc || (code >= 0xac00 && code <= 0xd7a3);
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
  let previousCjk = false;
  const length = text.length;
  for (let at = 0; at <= length; at++) {
    const code = at < length ? text.charCodeAt(at) : 32;
    // A low surrogate after a high one is the rest of its character; alone, it is a character
    // of a word, and no CJK one (as for the regular expression of wordsOf).
    const low = code >= 0xdc00 && code <= 0xdfff;
    if (low && start >= 0) {
      const before = text.charCodeAt(at - 1);
      if (!(before >= 0xd800 && before <= 0xdbff)) previousCjk = false;
      continue;
    }
    const kind = low ? 1 : charKind(text, code, at);
    // A word ends at a character of none, and between two CJK characters.
    if (start >= 0 && (kind === 0 || (kind === 2 && previousCjk))) {
      const found = text.slice(start, at).toLowerCase();
      start = -1;
      position++;
      if (found.length <= MAX_LEXEME_BYTES / 3 || byteLength(found) <= MAX_LEXEME_BYTES) {
        const list = positions.get(found);
        const at16 = Math.min(position, MAX_POSITION);
        if (list === undefined) positions.set(found, [at16]);
        else if (list.length < MAX_POSITIONS) list.push(at16);
      }
    }
    if (kind !== 0 && start < 0) start = at;
    previousCjk = kind === 2;
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

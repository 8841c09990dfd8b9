/**
 * A search hit's snippet, made from a window of the record's text around the first place one
 * of the searched words appears (the database cuts the window: a record may hold 256 KiB, and
 * PostgreSQL's `ts_headline` parses all the text it is given, at about 7 MB/s). Words are split
 * as the store indexed them (words.ts), so every word that made the hit can be marked, a word
 * inside a path or a URL too.
 */
import type { SearchedWord } from "./tsquery.ts";
import { PARTIAL_END, PARTIAL_START, wordSpans } from "./words.ts";

/** Words a snippet shows, as the session index's (SQLite's `snippet()` of 16 tokens). */
export const SNIPPET_WORDS = 16;
/** Words shown before the first searched word, when there are that many. */
const BEFORE_WORDS = 7;
/** Characters shown of a text without words. */
const NO_WORDS_CHARS = 200;

/**
 * The snippet of `window` (a part of a record's text; `cut` says whether it was cut before its
 * start or after its end, where a word may be cut in two), as the session index shows one:
 * SNIPPET_WORDS words around the first searched word (a few before it), spaces made single,
 * `…` where the text goes on, the searched words marked. A window holding no searched word
 * shows its first words, unmarked.
 */
export function snippetOf(
  window: string,
  query: { words: readonly SearchedWord[]; phrases: readonly string[][] },
  cut: { start: boolean; end: boolean },
): { snippet: string; highlights: Array<[number, number]> } {
  let text = window;
  // Only the word cut in two goes: punctuation next to it stays, and so does a window that
  // is one long word.
  if (cut.end) text = text.replace(PARTIAL_END, "");
  if (cut.start) text = text.replace(PARTIAL_START, "");
  text = text.replace(/\s+/g, " ").trim();
  const spans = wordSpans(text);
  const wordAt = (span: [number, number]) => text.slice(span[0], span[1]).toLowerCase();
  const searched = (span: [number, number]) => {
    const word = wordAt(span);
    return query.words.some((w) => w.prefix ? word.startsWith(w.word) : word === w.word);
  };
  if (spans.length === 0) {
    const more = cut.end || text.length > NO_WORDS_CHARS ? "…" : "";
    return {
      snippet: `${cut.start ? "…" : ""}${text.slice(0, NO_WORDS_CHARS)}${more}`,
      highlights: [],
    };
  }
  const first = spans.findIndex(searched);
  const end = Math.min(spans.length, Math.max(0, first - BEFORE_WORDS) + SNIPPET_WORDS);
  const start = Math.max(0, end - SNIPPET_WORDS);
  const [open, close] = [
    start > 0 || cut.start ? "…" : "",
    end < spans.length || cut.end ? "…" : "",
  ];
  // From the text's very start, or to its very end, when it is shown whole on that side (a
  // quote before the first word, a full stop after the last).
  const begin = open === "" ? 0 : spans[start]![0];
  const stop = close === "" ? text.length : spans[end - 1]![1];
  const snippet = `${open}${text.slice(begin, stop)}${close}`;
  const from = begin - open.length;
  const highlights: Array<[number, number]> = [];
  let previous: string | null = null;
  for (const span of spans.slice(start, end)) {
    if (first < 0 || !searched(span)) {
      previous = null;
      continue;
    }
    const [at, to] = [span[0] - from, span[1] - from];
    const word = wordAt(span);
    const last = highlights.at(-1);
    // Words of a searched phrase side by side are one mark, as the session index marks them
    // (CJK characters, words of their own, with nothing between them).
    const between = last === undefined ? null : snippet.slice(last[1], at);
    if (
      last !== undefined && previous !== null && (between === " " || between === "") &&
      query.phrases.some((p) => p.some((w, k) => w === previous && p[k + 1] === word))
    ) last[1] = to;
    else highlights.push([at, to]);
    previous = word;
  }
  return { snippet, highlights };
}

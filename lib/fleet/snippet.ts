/**
 * A search hit's snippet, made from a window of the record's text around the first place one
 * of the searched words appears (the database cuts the window: a record may hold 256 KiB, and
 * PostgreSQL's `ts_headline` parses all the text it is given, at about 7 MB/s). Words are split
 * as the store indexed them (words.ts), so every word that made the hit can be marked, a word
 * inside a path or a URL too.
 */
import type { SearchedWord } from "./tsquery.ts";
import { wordSpans } from "./words.ts";

/** Words a snippet shows, as the session index's (SQLite's `snippet()` of 16 tokens). */
export const SNIPPET_WORDS = 16;
/** Words shown before the first searched word, when there are that many. */
const BEFORE_WORDS = 7;

/**
 * The snippet of `window` (a part of a record's text; `cut` says whether it was cut before its
 * start or after its end, where a word may be cut in two), as the session index shows one:
 * SNIPPET_WORDS words around the first searched word (a few before it), spaces made single,
 * `…` where the text goes on, the searched words marked. A window holding no searched word
 * shows its first words, unmarked.
 */
export function snippetOf(
  window: string,
  words: readonly SearchedWord[],
  cut: { start: boolean; end: boolean },
): { snippet: string; highlights: Array<[number, number]> } {
  let text = window;
  if (cut.end) text = text.replace(/\S*$/, "");
  if (cut.start) text = text.replace(/^\S*/, "");
  text = text.replace(/\s+/g, " ").trim();
  const spans = wordSpans(text);
  const searched = (span: [number, number]) => {
    const word = text.slice(span[0], span[1]).toLowerCase();
    return words.some((w) => w.prefix ? word.startsWith(w.word) : word === w.word);
  };
  if (spans.length === 0) return { snippet: text.slice(0, 200), highlights: [] };
  const first = spans.findIndex(searched);
  const end = Math.min(spans.length, Math.max(0, first - BEFORE_WORDS) + SNIPPET_WORDS);
  const start = Math.max(0, end - SNIPPET_WORDS);
  const [open, close] = [
    start > 0 || cut.start ? "…" : "",
    end < spans.length || cut.end ? "…" : "",
  ];
  const from = spans[start]![0] - open.length;
  // To the end of the text when it is shown to its end (a full stop after the last word).
  const stop = close === "" ? text.length : spans[end - 1]![1];
  const snippet = `${open}${text.slice(spans[start]![0], stop)}${close}`;
  const highlights: Array<[number, number]> = [];
  for (const span of spans.slice(start, end)) {
    if (first < 0 || !searched(span)) continue;
    const [at, to] = [span[0] - from, span[1] - from];
    const last = highlights.at(-1);
    // Words of a phrase side by side are one mark, as the session index marks them.
    if (last !== undefined && snippet.slice(last[1], at) === " ") last[1] = to;
    else highlights.push([at, to]);
  }
  return { snippet, highlights };
}

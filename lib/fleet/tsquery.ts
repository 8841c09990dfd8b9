/**
 * The search syntax of the session index (SQLite FTS5: words, "a phrase", prefix*, AND, OR,
 * NOT, parentheses) turned into a PostgreSQL tsquery (SPEC §10). Words are split where the
 * stored text is split (at punctuation and spaces) and lower-cased by the `simple`
 * configuration; a phrase becomes words that follow each other (`<->`).
 */
import { BadQuery, isCjk } from "../base/mod.ts";
import { quoteLexeme, wordsOf } from "./words.ts";

type Token =
  | { kind: "word"; text: string; prefix: boolean }
  | { kind: "phrase"; words: string[]; prefix: boolean }
  | { kind: "and" | "or" | "not" | "open" | "close" };

const HELP = 'words, "a phrase", prefix*, AND, OR, NOT and (...) are understood';

function bad(query: string, why: string): never {
  throw new BadQuery(
    `the query ${JSON.stringify(query)} is not valid search syntax (${why}); ${HELP}`,
  );
}

function tokens(query: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  while (at < query.length) {
    const ch = query[at]!;
    if (/\s/.test(ch)) {
      at++;
    } else if (ch === "(" || ch === ")") {
      out.push({ kind: ch === "(" ? "open" : "close" });
      at++;
    } else if (ch === '"') {
      let text = "";
      at++;
      for (;;) {
        if (at >= query.length) bad(query, "a phrase is not closed");
        if (query[at] === '"') {
          if (query[at + 1] === '"') {
            text += '"';
            at += 2;
            continue;
          }
          at++;
          break;
        }
        text += query[at++];
      }
      const prefix = query[at] === "*";
      if (prefix) at++;
      out.push({ kind: "phrase", words: wordsOf(text), prefix });
    } else {
      const match = /^[\p{L}\p{N}_\u0080-\u{10ffff}]+/u.exec(query.slice(at));
      if (match === null) bad(query, `unexpected ${JSON.stringify(ch)}`);
      const text = match[0];
      at += text.length;
      const prefix = query[at] === "*";
      if (prefix) at++;
      if (!prefix && (text === "AND" || text === "OR" || text === "NOT")) {
        out.push({ kind: text.toLowerCase() as "and" | "or" | "not" });
      } else if (query[at] === ":") {
        bad(query, "column filters are not supported here");
      } else {
        out.push({ kind: "word", text, prefix });
      }
    }
  }
  return out;
}

function lexeme(word: string, prefix: boolean): string {
  return `${quoteLexeme(word)}${prefix ? ":*" : ""}`;
}

/**
 * Parses with FTS5's precedence: NOT binds tightest, then AND (also two terms side by side),
 * then OR.
 */
class Parser {
  #at = 0;
  /** How many NOTs the term being read is under. */
  #negated = 0;
  /** The words a hit holds (none under a NOT), in the order of the query. */
  readonly words: SearchedWord[] = [];
  /** Those words' phrases (a quoted phrase, or a word the split made several of). */
  readonly phrases: string[][] = [];
  constructor(readonly query: string, readonly list: Token[]) {}

  parse(): string {
    if (this.list.length === 0) bad(this.query, "no words");
    const out = this.#or();
    if (this.#at < this.list.length) bad(this.query, "unexpected )");
    return out;
  }

  #peek(): Token | undefined {
    return this.list[this.#at];
  }

  #or(): string {
    const parts = [this.#and()];
    while (this.#peek()?.kind === "or") {
      this.#at++;
      parts.push(this.#and());
    }
    return parts.length === 1 ? parts[0]! : `(${parts.join(" | ")})`;
  }

  #and(): string {
    const parts = [this.#not()];
    for (;;) {
      const next = this.#peek();
      if (next?.kind === "and") {
        this.#at++;
        parts.push(this.#not());
      } else if (
        next !== undefined && next.kind !== "or" && next.kind !== "close" && next.kind !== "not"
      ) {
        parts.push(this.#not());
      } else break;
    }
    return parts.length === 1 ? parts[0]! : `(${parts.join(" & ")})`;
  }

  #not(): string {
    let left = this.#term();
    while (this.#peek()?.kind === "not") {
      this.#at++;
      this.#negated++;
      const right = this.#term();
      this.#negated--;
      left = `(${left} & !${right})`;
    }
    return left;
  }

  #term(): string {
    const token = this.list[this.#at++];
    if (token === undefined) bad(this.query, "it ends where a word was expected");
    switch (token.kind) {
      case "open": {
        const inner = this.#or();
        if (this.list[this.#at++]?.kind !== "close") bad(this.query, "a ( is not closed");
        return inner;
      }
      case "word": {
        const words = wordsOf(token.text);
        if (words.length === 0) bad(this.query, `no word in ${JSON.stringify(token.text)}`);
        return this.#chain(words, token.prefix);
      }
      case "phrase":
        if (token.words.length === 0) bad(this.query, "an empty phrase");
        return this.#chain(token.words, token.prefix);
      default:
        bad(this.query, `unexpected ${token.kind.toUpperCase()}`);
    }
  }

  #chain(words: string[], prefix: boolean): string {
    if (this.#negated === 0) {
      words.forEach((word, i) =>
        this.words.push({ word, prefix: prefix && i === words.length - 1 })
      );
      if (words.length > 1) this.phrases.push(words);
    }
    return chain(words, prefix);
  }
}

function chain(words: string[], prefix: boolean): string {
  const split = followed(words, prefix);
  // A store pushed by a rollout before 2026-12-07 kept a run of CJK characters as one word:
  // its rows are found by the run as a whole, as they were then.
  const runs = cjkRuns(words);
  return runs.length === words.length ? split : `(${split} | ${followed(runs, prefix)})`;
}

/** `words` one after the other (`<->`), the last a prefix if asked. */
function followed(words: string[], prefix: boolean): string {
  const parts = words.map((w, i) => lexeme(w, prefix && i === words.length - 1));
  return parts.length === 1 ? parts[0]! : `(${parts.join(" <-> ")})`;
}

/** `words` with each two that meet at two CJK characters joined again. */
function cjkRuns(words: string[]): string[] {
  const runs: string[] = [];
  for (const word of words) {
    const last = runs.at(-1);
    if (last !== undefined && isCjk(Array.from(last).at(-1)!) && isCjk(Array.from(word)[0]!)) {
      runs[runs.length - 1] = last + word;
    } else runs.push(word);
  }
  return runs;
}

/** A word of a query that its hits hold; `prefix` for `word*`. */
export interface SearchedWord {
  word: string;
  prefix: boolean;
}

/**
 * The tsquery text for `query`, for `to_tsquery('simple', ...)`, and the words its hits hold
 * (those under a NOT left out) with their phrases, for the snippets; bad syntax is a
 * {@linkcode BadQuery}.
 */
export function parseQuery(
  query: string,
): { tsquery: string; words: SearchedWord[]; phrases: string[][] } {
  const parser = new Parser(query, tokens(query));
  const tsquery = parser.parse();
  return { tsquery, words: parser.words, phrases: parser.phrases };
}

/** The tsquery text for `query` ({@linkcode parseQuery}). */
export function toTsquery(query: string): string {
  return parseQuery(query).tsquery;
}

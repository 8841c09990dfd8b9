/**
 * What a user types to search, made into the search syntax (words, "a phrase", prefix*, AND,
 * OR, NOT, parentheses): a bare term that holds punctuation (`package.json`, `e-mail`,
 * `src/main.rs`, `C++`, `-v`, `don't`) is taken as the phrase it spells, as if it were quoted,
 * rather than refused (FTS5 reads `e-mail` as a column filter, `package.json` as an error).
 * Quoted phrases, operators and parentheses are kept as they are. Pure.
 */

/** A bare term the syntax takes as it is: letters, digits, `_`, any non-ASCII, then `*`. */
const PLAIN = /^[\p{L}\p{N}_\u0080-\u{10ffff}]+\*?$/u;

/** `query` with every bare term that holds punctuation quoted (`"package.json"`). */
export function quotePunctuatedTerms(query: string): string {
  let out = "";
  let at = 0;
  while (at < query.length) {
    const ch = query[at]!;
    if (/\s/.test(ch) || ch === "(" || ch === ")") {
      out += ch;
      at++;
    } else if (ch === '"') {
      // A phrase, up to its closing quote (`""` inside is a quote); one left open is kept as
      // it is, for the syntax to say what is wrong.
      let end = at + 1;
      for (; end < query.length; end++) {
        if (query[end] !== '"') continue;
        if (query[end + 1] === '"') end++;
        else break;
      }
      out += query.slice(at, end + 1);
      at = end + 1;
    } else {
      let end = at;
      while (end < query.length && !/[\s()"]/.test(query[end]!)) end++;
      const term = query.slice(at, end);
      out += PLAIN.test(term) ? term : quoted(term);
      at = end;
    }
  }
  return out;
}

/** A term as a phrase; a trailing `*` stays a prefix of the phrase's last word. */
function quoted(term: string): string {
  const prefix = term.endsWith("*") && term.length > 1;
  const text = prefix ? term.slice(0, -1) : term;
  return `"${text}"${prefix ? "*" : ""}`;
}

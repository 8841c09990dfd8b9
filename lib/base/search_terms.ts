/**
 * What a user types to search, made into the search syntax (words, "a phrase", prefix*, AND,
 * OR, NOT, parentheses): a bare term that holds punctuation (`package.json`, `e-mail`,
 * `src/main.rs`, `C++`, `-v`, `don't`) is taken as the phrase it spells, as if it were quoted,
 * rather than refused (FTS5 reads `e-mail` as a column filter, `package.json` as an error).
 * A run of Chinese or Japanese characters is the phrase of its characters, as the index keeps
 * them. Quoted phrases, operators and parentheses are kept as they are. Pure.
 */

/** A bare term the syntax takes as it is: letters, digits, `_`, any non-ASCII, then `*`. */
const PLAIN = /^[\p{L}\p{N}_\u0080-\u{10ffff}]+\*?$/u;

/**
 * Characters of the scripts written without spaces between words (Chinese, Japanese; Korean
 * words take particles): the index keeps each as a word of its own, so that a word inside a
 * sentence is found (`数据库` in `修复数据库连接`), as the phrase of its characters.
 */
const CJK =
  "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u30fc\\u3005";
const CJK_PAIR = new RegExp(`([${CJK}])(?=[${CJK}])`, "gu");
const HAS_CJK = new RegExp(`[${CJK}]`, "u");
const ONE_CJK = new RegExp(`^[${CJK}]$`, "u");

/** Whether `text` holds a CJK character. */
export function hasCjk(text: string): boolean {
  return HAS_CJK.test(text);
}

/** Whether the character `char` (one code point) is a CJK character, a word of its own. */
export function isCjk(char: string): boolean {
  return ONE_CJK.test(char);
}

/** `text` with `between` put between each two CJK characters that follow each other. */
export function splitCjk(text: string, between: string): string {
  return HAS_CJK.test(text) ? text.replace(CJK_PAIR, `$1${between}`) : text;
}

/** `query` with every bare term that holds punctuation quoted (`"package.json"`). */
export function quotePunctuatedTerms(query: string): string {
  let out = "";
  let at = 0;
  while (at < query.length) {
    const ch = query[at]!;
    // (A comma is NEAR's: `NEAR(quick fox, 3)`.)
    if (/\s/.test(ch) || ch === "(" || ch === ")" || ch === ",") {
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
      out += splitCjk(query.slice(at, end + 1), " ");
      at = end + 1;
    } else {
      let end = at;
      while (end < query.length && !/[\s()",]/.test(query[end]!)) end++;
      const term = query.slice(at, end);
      const split = splitCjk(term, " ");
      // Kept as typed: a plain word or prefix, FTS5's `^word` (the first of its text), and a
      // term with no letter or digit, for the syntax to judge (`*` alone is an error).
      const kept =
        (PLAIN.test(term) || /^\^[\p{L}\p{N}_]/u.test(term) && PLAIN.test(term.slice(1)) ||
          !/[\p{L}\p{N}]/u.test(term)) && split === term;
      out += kept ? term : quoted(split);
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

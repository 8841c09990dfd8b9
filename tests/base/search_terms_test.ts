import assert from "node:assert/strict";
import { test } from "node:test";
import { quotePunctuatedTerms } from "../../lib/base/search_terms.ts";

test("quotePunctuatedTerms() quotes bare terms with punctuation and keeps the syntax", () => {
  const cases: Array<[string, string]> = [
    ["package.json", '"package.json"'],
    ["fix -v", 'fix "-v"'],
    ["e-mail AND C++", '"e-mail" AND "C++"'],
    ["package.js*", '"package.js"*'],
    ["don't", `"don't"`],
    // Kept: words, prefixes, operators, parentheses, phrases (quotes doubled inside), non-ASCII.
    ["cach* OR (disk NOT full)", "cach* OR (disk NOT full)"],
    ['"a.b c" x', '"a.b c" x'],
    ['"say ""hi"""', '"say ""hi"""'],
    ["NEAR(fix send)", "NEAR(fix send)"],
    ["NEAR(quick fox, 3)", "NEAR(quick fox, 3)"],
    ["^fox AND jumps", "^fox AND jumps"],
    // No letter or digit: left for the syntax to judge.
    ["*", "*"],
    ["café naïve", "café naïve"],
    // Chinese and Japanese: the phrase of their characters, as the index keeps them.
    ["数据库 café", '"数 据 库" café'],
    ['"修复数据库" OR テスト*', '"修 复 数 据 库" OR "テ ス ト"*'],
    ["데이터", '"데 이 터"'],
    // A phrase left open stays so, for the syntax to say what is wrong.
    ['x "open', 'x "open'],
  ];
  for (const [typed, query] of cases) assert.equal(quotePunctuatedTerms(typed), query, typed);
});

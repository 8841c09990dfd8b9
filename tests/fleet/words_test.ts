/**
 * The fleet store's words: what a pushed text's `tsvector` holds, and that it holds the words
 * queries and snippets find in the same text (wordsOf, wordSpans).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { tsvectorOf, wordsOf, wordSpans } from "../../lib/fleet/words.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";

/** The words of a `tsvector` text, each at its positions, in the order of the text. */
function vectorWords(vector: string): string[] {
  const at: Array<[number, string]> = [];
  for (const match of vector.matchAll(/'((?:[^']|'')*)':([\d,]+)/g)) {
    for (const n of match[2]!.split(",")) at.push([Number(n), match[1]!.replaceAll("''", "'")]);
  }
  return at.sort((a, b) => a[0] - b[0]).map(([, word]) => word);
}

test("a run of Chinese, Japanese or Korean characters is one word a character, as the session index keeps it", () => {
  assert.equal(
    tsvectorOf("我们修复数据库; fix DB 数据库"),
    "'我':1 '们':2 '修':3 '复':4 '数':5,10 '据':6,11 '库':7,12 'fix':8 'db':9",
  );
  assert.deepEqual(wordsOf("日本語のテキスト"), ["日", "本", "語", "の", "テ", "キ", "ス", "ト"]);
  // Letters before a CJK character stay with it (as the index's split leaves them); the one
  // after it is a word of its own.
  assert.deepEqual(wordsOf("abc数据 x"), ["abc数", "据", "x"]);
  // A character outside the BMP (two UTF-16 units) is one word, not two halves.
  assert.deepEqual(wordsOf("𠀀𠀁"), ["𠀀", "𠀁"]);
  assert.deepEqual(wordSpans("a 数据"), [[0, 1], [2, 3], [3, 4]]);
});

test("tsvectorOf() holds the words wordsOf() finds, at their places, for random text", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    const pieces = [
      "a",
      "Zé",
      "数",
      "据",
      "日本",
      "テ",
      "한",
      "𠀀",
      " ",
      ".",
      "-",
      "'",
      "\\",
      "\ud800",
      "\udc00",
      "x1",
    ];
    for (let round = 0; round < 500; round++) {
      let text = "";
      const n = Math.floor(rand() * 30);
      for (let i = 0; i < n; i++) text += pieces[Math.floor(rand() * pieces.length)];
      assert.deepEqual(vectorWords(tsvectorOf(text)), wordsOf(text), JSON.stringify(text));
    }
  });
});

test("the blocks tsvectorOf() takes as CJK without looking at their script are split as wordsOf() splits them", () => {
  const blocks = [[0x4e00, 0x9fff], [0x3040, 0x30ff], [0xac00, 0xd7a3], [0x1100, 0x11ff]];
  for (const [first, last] of blocks) {
    for (let from = first!; from <= last!; from += 4000) {
      let text = "";
      for (let code = from; code <= Math.min(last!, from + 3999); code++) {
        text += String.fromCodePoint(code);
      }
      assert.deepEqual(vectorWords(tsvectorOf(text)), wordsOf(text), `from U+${from.toString(16)}`);
    }
  }
});

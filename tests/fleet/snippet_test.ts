import assert from "node:assert/strict";
import { test } from "node:test";
import { snippetOf } from "../../lib/fleet/snippet.ts";
import { parseQuery } from "../../lib/fleet/tsquery.ts";

const whole = { start: false, end: false };

/** The snippet with its marks shown as **...**, as `rollout search` prints it. */
function shown(result: { snippet: string; highlights: Array<[number, number]> }): string {
  let out = "";
  let at = 0;
  for (const [start, end] of result.highlights) {
    out += `${result.snippet.slice(at, start)}**${result.snippet.slice(start, end)}**`;
    at = end;
  }
  return out + result.snippet.slice(at);
}

const words = (query: string) => parseQuery(query);

test("a snippet is 16 words around the first searched word, 7 before it", () => {
  const text = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
  const got = snippetOf(text.replace("w20", "needle"), words("needle"), whole);
  assert.equal(
    shown(got),
    "…w13 w14 w15 w16 w17 w18 w19 **needle** w21 w22 w23 w24 w25 w26 w27 w28…",
  );
  // Near the start, the words before it are all there is; near the end, more come before.
  assert.equal(
    shown(snippetOf("a needle in the hay.", words("needle"), whole)),
    "a **needle** in the hay.",
  );
  assert.equal(
    shown(snippetOf(text.replace("w38", "needle"), words("needle"), whole)),
    "…w24 w25 w26 w27 w28 w29 w30 w31 w32 w33 w34 w35 w36 w37 **needle** w39",
  );
});

test("words are split as the store indexes them: in paths, in any case, by prefix", () => {
  assert.equal(
    shown(snippetOf("ran ./scripts/Build.sh  twice\n\nthen rebuild", words("build"), whole)),
    "ran ./scripts/**Build**.sh twice then rebuild",
  );
  assert.equal(
    shown(snippetOf("building the builder", words("build*"), whole)),
    "**building** the **builder**",
  );
});

test("a phrase is one mark; a word under NOT is not marked", () => {
  assert.equal(
    shown(snippetOf("remove the stale lockfile first", words('"stale lockfile"'), whole)),
    "remove the **stale lockfile** first",
  );
  assert.deepEqual(words("lockfile NOT stale").words, [{ word: "lockfile", prefix: false }]);
  assert.deepEqual(words("a NOT (b OR c) d*").words, [
    { word: "a", prefix: false },
    { word: "d", prefix: true },
  ]);
  // Searched words side by side that are no phrase of the query are marked one by one.
  assert.equal(
    shown(snippetOf("xx foo bar yy", words("foo OR bar"), whole)),
    "xx **foo** **bar** yy",
  );
  assert.equal(shown(snippetOf("xx foo bar yy", words("foo bar"), whole)), "xx **foo** **bar** yy");
  assert.equal(
    shown(snippetOf("xx foo bar yy", words('"foo bar"'), whole)),
    "xx **foo bar** yy",
  );
  assert.equal(
    shown(snippetOf("a stale lockfile", words("lockfile NOT stale"), whole)),
    "a stale **lockfile**",
  );
});

test("a window cut out of a longer text loses its cut words and says it goes on", () => {
  assert.equal(
    shown(snippetOf("dle of it, the needle and more te", words("needle"), {
      start: true,
      end: true,
    })),
    "…of it, the **needle** and more…",
  );
  // No searched word in the window (a word found inside another): its first words, unmarked.
  assert.deepEqual(snippetOf("rebuilt it all", words("build"), whole), {
    snippet: "rebuilt it all",
    highlights: [],
  });
  assert.deepEqual(snippetOf("", words("build"), whole), { snippet: "", highlights: [] });
});

test("a cut takes only the word cut in two, not what stands next to it", () => {
  // Minified JSON: no space near either cut (a cut of a window at the first space took it all).
  const json = `x":"${"x".repeat(40)}","needle":1,"${"y".repeat(40)}`;
  assert.equal(
    shown(snippetOf(json, words("needle"), { start: true, end: true })),
    `…${"x".repeat(40)}","**needle**":1…`,
  );
  assert.equal(
    shown(snippetOf("b/b/b/needle/c d", words("needle"), { start: true, end: false })),
    "…b/b/**needle**/c d",
  );
});

test("punctuation before the first word and after the last stays when nothing is cut", () => {
  assert.equal(
    shown(snippetOf('"quoted" needle (x)', words("needle"), whole)),
    '"quoted" **needle** (x)',
  );
  assert.equal(
    shown(snippetOf("--verbose needle", words("needle"), whole)),
    "--verbose **needle**",
  );
});

test("a Chinese or Japanese word inside a sentence is marked as one, its characters being words", () => {
  const sentence = "我们需要修复数据库连接的问题; fix package.json";
  assert.equal(
    shown(snippetOf(sentence, words('"数 据 库"'), whole)),
    "我们需要修复**数据库**连接的问题; fix package…",
  );
  assert.equal(
    shown(snippetOf("説明は日本語です", words("日本語"), whole)),
    "説明は**日本語**です",
  );
});

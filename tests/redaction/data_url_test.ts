/**
 * Images are never searched for secrets, and that is decided without a regular expression
 * (which would keep a megabyte image alive as its last input): these tests hold the hand-made
 * reading to the grammar written as one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { redactsLineByLine, redactText } from "../../lib/redaction/mod.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";
import { SecretMaker } from "./secret_samples.ts";

/** The grammar of a base64 data URL's head, as a regular expression: the oracle. */
const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,/;

const GITHUB = `gh${"p"}_${new SecretMaker(3).chars("abcdefABCDEF0123456789", 36)}`;

test("a base64 data URL is passed over whole; any other text starting with data: is searched", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
    const tokens = ["image", "png", "svg+xml", "x-icon", "a_b", "v1.2", "", "é", "a b", "UTF-8"];
    const seps = ["/", ";", "=", ",", ";base64,", ";base64", "base64,", ":"];
    let skipped = 0;
    for (let round = 0; round < 2000; round++) {
      let head = rand() < 0.8 ? "data:" : pick(["Data:", "data", "", " data:"]);
      const parts = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < parts; i++) head += pick(tokens) + pick(seps);
      if (rand() < 0.3) head = `data:${pick(tokens)}/${pick(tokens)};base64,`;
      if (rand() < 0.05) head = `data:image/png;${"k=v;".repeat(70)}base64,`; // past 256 characters
      const text = `${head} ${GITHUB} more`;
      const counts = {};
      const out = redactText(text, counts);
      const passed = DATA_URL.test(text.slice(0, 256));
      if (passed) skipped++;
      assert.equal(out === text, passed, JSON.stringify(head));
      if (!passed) assert.ok(!out.includes(GITHUB), JSON.stringify(head));
    }
    assert.ok(skipped > 150 && skipped < 1900, `${skipped} of 2000 passed over`);
  });
});

test("a data URL's head counts only within its first 256 characters, to the character", () => {
  // `;base64,` ending at 255, at 256 and past it; the last token running up to and past 256.
  for (let at = 240; at <= 260; at++) {
    for (const tail of [";base64,", "/x;base64,"]) {
      const name = "n".repeat(at - "data:image/png;".length);
      const heads = [
        `data:image/png;${name}=v${tail}`,
        `data:image/${"p".repeat(at - "data:image/".length)}${tail}`,
        `data:image/png;${name}${tail}`,
      ];
      for (const head of heads) {
        const text = `${head} ${GITHUB} password=hunter22x`;
        const passed = DATA_URL.test(text.slice(0, 256));
        assert.equal(redactText(text, {}) === text, passed, `${head.length}: ${head.slice(-24)}`);
      }
    }
  }
});

test("redactsLineByLine: a text opening with { or [ after any white space is read whole", () => {
  const spaces = [
    " ",
    "\t",
    "\n",
    "\r",
    "\v",
    "\f",
    "\u00a0",
    "\u1680",
    "\u2000",
    "\u200a",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
    "\u200b",
    "x",
  ];
  for (const a of spaces) {
    for (const b of spaces) {
      for (const open of ["{", "[", "a", ""]) {
        const text = `${a}${b}${open}rest of the output`;
        // The oracle: JavaScript's own white space, as `isJsonText` trims it.
        const opens = /^[{[]/.test(text.trimStart());
        assert.equal(redactsLineByLine(text), !opens, JSON.stringify(text));
      }
    }
  }
  assert.equal(redactsLineByLine(""), true);
  assert.equal(redactsLineByLine("data:text/plain,x"), false);
  assert.equal(redactsLineByLine("a\n-----BEGIN RSA PRIVATE KEY-----\n"), false);
});

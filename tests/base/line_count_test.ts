import assert from "node:assert/strict";
import { test } from "node:test";
import { countLines } from "../../lib/base/mod.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";

const lines = (text: string) => text.split("\n").length;

test("countLines counts as split does: empty text, single lines, newlines at the ends", () => {
  for (const text of ["", "a", "\n", "\n\n", "a\n", "\na", "a\nb\nc", "\r\n", "é\n😀\n"]) {
    assert.equal(countLines(text), lines(text), JSON.stringify(text));
  }
});

/**
 * Characters near a newline in their bytes: `\v` (11), code units whose UTF-16 holds a byte of
 * 10 but whose UTF-8 does not (U+010A, U+0A0A...), surrogates alone and in pairs.
 */
const TRICKY = [
  "\n",
  "\n",
  "\v",
  "\t",
  "\r",
  "u",
  "\u010a",
  "\u028a",
  "\u0a0a",
  "\u0a8a",
  "\u8a0a",
  "é",
  "€",
  "中",
  "😀",
  "\ud800",
  "\udfff",
  "\udc0a",
];

test("countLines of texts whose lines are short, long and both, of every kind of character", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    const pick = () => {
      // Now and then any code unit at all, else one of the tricky ones or a plain letter.
      const r = rand();
      if (r < 0.1) return String.fromCharCode(Math.floor(rand() * 0x10000));
      return r < 0.6 ? TRICKY[Math.floor(rand() * TRICKY.length)]! : "x";
    };
    for (let round = 0; round < 60; round++) {
      // 16 to 18 short lines first (the count by pieces takes over), then stretches of short
      // and of long lines, up to 60,000 units: pieces of 16 Ki units end inside lines and
      // between surrogates, and the count goes back and forth between its two ways.
      let text = "x\n".repeat(16 + Math.floor(rand() * 3));
      while (text.length < rand() * 60_000) {
        const short = rand() < 0.5;
        const stretch = Math.floor(rand() * 5_000);
        for (let i = 0; i < stretch; i++) {
          text += short ? pick() : rand() < 0.002 ? "\n" : pick().replaceAll("\n", "y");
        }
      }
      assert.equal(countLines(text), lines(text), `round ${round}, ${text.length} units`);
    }
  });
});

test("countLines at the borders of its pieces, of its four-byte words and of short lines", () => {
  const head = "\n".repeat(16);
  for (let shift = 0; shift < 8; shift++) {
    for (const at of [16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 32 * 1024 + 3]) {
      const body = "y".repeat(at + shift) + "\n" + "z".repeat(5) + "\n";
      const text = head + body;
      assert.equal(countLines(text), lines(text), `shift ${shift}, at ${at}`);
      // Multi-byte characters move the bytes against the units.
      const wide = head + "中".repeat(shift) + body + "😀\n".repeat(shift);
      assert.equal(countLines(wide), lines(wide), `wide, shift ${shift}, at ${at}`);
    }
  }
  // The 16th newline just before and just after where the lines stop counting as short.
  for (const width of [14, 15, 16, 17]) {
    const text = `${`${"a".repeat(width)}\n`.repeat(40)}${"b\n".repeat(5_000)}`;
    assert.equal(countLines(text), lines(text), `lines of ${width}`);
  }
  assert.equal(countLines("\n".repeat(100_000)), 100_001);
  assert.equal(countLines(`${"a\n".repeat(11_800)}end`), 11_801);
  // Short lines, then one long line, then short ones again, twice.
  const mixed = `${"a\n".repeat(20)}${"x".repeat(200_000)}\n${"b\n".repeat(30)}`;
  assert.equal(countLines(mixed + mixed), lines(mixed + mixed));
});

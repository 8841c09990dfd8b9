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

test("countLines of dense texts: every width of character, pieces and words cut anywhere", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    const choices = ["a", "b", " ", "\n", "\n", "é", "€", "中", "😀", "\ud800", "\udfff", "\r"];
    for (let round = 0; round < 60; round++) {
      // 17 short lines first (the count by words takes over), then up to 40,000 characters:
      // beyond one piece of 16 Ki units, so pieces end inside lines and between surrogates.
      let text = "x\n".repeat(16 + Math.floor(rand() * 3));
      const length = Math.floor(rand() * 40_000);
      const newlineRate = rand();
      for (let i = 0; i < length; i++) {
        text += rand() < newlineRate * 0.5 ? "\n" : choices[Math.floor(rand() * choices.length)];
      }
      assert.equal(countLines(text), lines(text), `round ${round}, ${text.length} units`);
    }
  });
});

test("countLines at the borders of its pieces and of its four-byte words", () => {
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
  assert.equal(countLines("\n".repeat(100_000)), 100_001);
  assert.equal(countLines(`${"a\n".repeat(11_800)}end`), 11_801);
  // Short lines, then one long line, then short ones again.
  const mixed = `${"a\n".repeat(20)}${"x".repeat(200_000)}\n${"b\n".repeat(30)}`;
  assert.equal(countLines(mixed), lines(mixed));
});

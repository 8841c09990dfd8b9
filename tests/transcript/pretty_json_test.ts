import assert from "node:assert/strict";
import { test } from "node:test";
import { prettyJson } from "../../lib/transcript/transcript_parts.ts";
import { withoutSpaces } from "../../lib/transcript/transcript.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";

/** A random JSON value of numbers, strings, literals, arrays and objects, `depth` deep at most. */
function randomValue(rand: () => number, depth: number): unknown {
  const pick = rand();
  if (depth === 0 || pick < 0.4) {
    const leaf = rand();
    if (leaf < 0.3) return Math.round(rand() * 1e6) / 100;
    if (leaf < 0.6) return `s${Math.floor(rand() * 1e4)} "q" \\ é\n`;
    return [true, false, null][Math.floor(rand() * 3)];
  }
  const n = Math.floor(rand() * 4);
  if (pick < 0.7) return Array.from({ length: n }, () => randomValue(rand, depth - 1));
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`k${i}`, randomValue(rand, depth - 1)]),
  );
}

test("prettyJson() lays out JSON as JSON.stringify(value, null, 2) does", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (let i = 0; i < 300; i++) {
      const value = randomValue(rand, 4);
      const written = JSON.stringify(value, null, rand() < 0.5 ? 0 : 3);
      assert.equal(prettyJson(written), JSON.stringify(value, null, 2), written);
      assert.equal(withoutSpaces(prettyJson(written)), JSON.stringify(value), written);
    }
  });
});

test("prettyJson() and withoutSpaces() keep each number and string as written", () => {
  const written = '{"n":1.10,"big":12345678901234567890,"inf":1e999,"s":"\\u00e9 \\/","a":[ ]}';
  assert.equal(
    prettyJson(written),
    '{\n  "n": 1.10,\n  "big": 12345678901234567890,\n  "inf": 1e999,\n  "s": "\\u00e9 \\/",\n  "a": []\n}',
  );
  assert.equal(withoutSpaces(prettyJson(written)), written.replace("[ ]", "[]"));
});

test("show lays out a tool call's arguments nested 64 deep, and shows deeper ones as written", async () => {
  const { partOf } = await import("../../lib/transcript/transcript_parts.ts");
  const call = (args: string) =>
    partOf({ type: "function_call", name: "f", arguments: args, call_id: "c" } as never);
  const nested = (depth: number) => "[".repeat(depth) + "1" + "]".repeat(depth);
  const laidOut = call(nested(64)) as unknown as { input: string; language: string };
  assert.equal(laidOut.language, "json");
  assert.equal(laidOut.input, JSON.stringify(JSON.parse(nested(64)), null, 2));
  // Deeper: as written (laid out, 60,000 levels would take gigabytes).
  for (const depth of [65, 60_000]) {
    const asWritten = call(nested(depth)) as unknown as { input: string; language: string };
    assert.deepEqual([asWritten.input, asWritten.language], [nested(depth), ""]);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { concatBytes, Utf8Buffer } from "../../lib/base/mod.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";

const encoder = new TextEncoder();

/** What a Utf8Buffer of `bytes` hands over for `texts`: each write's bytes, copied. */
function written(
  texts: readonly string[],
  bytes: number,
): { writes: Uint8Array[]; views: Uint8Array[] } {
  const writes: Uint8Array[] = [];
  const views: Uint8Array[] = [];
  const out = new Utf8Buffer((data) => {
    views.push(data);
    writes.push(data.slice());
  }, bytes);
  for (const text of texts) out.add(text);
  out.flush();
  return { writes, views };
}

/** Text of one-, two-, three- and four-byte characters, lone surrogates among them. */
function mixedText(rand: () => number, length: number): string {
  const choices = ["a", "Z", "\n", "é", "ß", "€", "中", "😀", "𝄞", "\ud800", "\udfff"];
  let out = "";
  for (let i = 0; i < length; i++) out += choices[Math.floor(rand() * choices.length)];
  return out;
}

test("Utf8Buffer hands over exactly TextEncoder's bytes, characters of every width across each buffer's end", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (const bytes of [4, 5, 6, 7, 8, 13, 64]) {
      for (let round = 0; round < 20; round++) {
        const texts = Array.from(
          { length: 1 + Math.floor(rand() * 6) },
          () => mixedText(rand, Math.floor(rand() * 40)),
        );
        const { writes } = written(texts, bytes);
        // Each text is encoded on its own, as a write of it alone would be (a lone surrogate at
        // the end of one is not paired with the start of the next).
        assert.deepEqual(
          concatBytes(writes),
          concatBytes(texts.map((t) => encoder.encode(t))),
          `${bytes}: ${JSON.stringify(texts)}`,
        );
        // A character is never cut between two writes: each write decodes on its own.
        for (const piece of writes) {
          assert.ok(piece.length <= bytes && piece.length > 0);
          assert.ok(new TextDecoder("utf-8", { fatal: true }).decode(piece).length > 0);
        }
      }
    }
  });
});

test("Utf8Buffer writes only when full or flushed, always from the same memory", () => {
  const { writes, views } = written(["abc", "defg", "hij"], 4);
  assert.deepEqual(writes.map((w) => new TextDecoder().decode(w)), ["abcd", "efgh", "ij"]);
  // One buffer, used again: no new memory per write.
  assert.ok(views.every((v) => v.buffer === views[0]!.buffer));
  // Nothing held, nothing written; a text that fills the buffer exactly is written at once
  // only when more comes or on flush.
  assert.deepEqual(written([], 8).writes, []);
  assert.deepEqual(written(["", ""], 8).writes, []);
  assert.deepEqual(written(["12345678"], 8).writes.map((w) => w.length), [8]);
});

test("Utf8Buffer.held counts the bytes not yet handed over", () => {
  const out = new Utf8Buffer(() => {}, 8);
  assert.equal(out.held, 0);
  out.add("é中");
  assert.equal(out.held, 5);
  // 5 + 4 bytes do not fit in 8: the first 8 are handed over (é中 and three of "abcd").
  out.add("abcd");
  assert.equal(out.held, 1);
  out.flush();
  assert.equal(out.held, 0);
});

test("Utf8Buffer goes on in the buffer its writer gives back, and keeps none of the one it kept", () => {
  const kept: Uint8Array[] = [];
  const handed: string[] = [];
  const out = new Utf8Buffer((bytes, buffer) => {
    handed.push(new TextDecoder().decode(bytes));
    // Every other write keeps its buffer (a write still on its way) and gives a fresh one.
    if (handed.length % 2 === 1) {
      kept.push(buffer);
      return new Uint8Array(4);
    }
    return undefined;
  }, 4);
  out.add("abcdefghijkl");
  out.flush();
  assert.deepEqual(handed, ["abcd", "efgh", "ijkl"]);
  // The buffers kept still hold what they were handed: nothing was written over them.
  assert.deepEqual(kept.map((b) => new TextDecoder().decode(b)), ["abcd", "ijkl"]);
  assert.equal(kept[0]!.buffer === kept[1]!.buffer, false);
  assert.throws(
    () => {
      const wrong = new Utf8Buffer(() => new Uint8Array(8), 4);
      wrong.add("abcde");
    },
    /another size/,
  );
});

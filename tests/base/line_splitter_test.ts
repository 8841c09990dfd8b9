import assert from "node:assert/strict";
import { test } from "node:test";
import { byteLength, LineSplitter, type SplitterEnd } from "../../lib/base/line_splitter.ts";
import { bytes } from "../fixtures_rollouts.ts";
import { prng, randomString, runSeed, withSeed } from "../fixtures_random.ts";

type Event = ["line", string, number] | ["bad", number, string];

/** Splits `data` fed in chunks of `chunk` bytes; returns the events and the end. */
function split(
  data: Uint8Array,
  options: { chunk?: number; max?: number } = {},
): { events: Event[]; end: Omit<SplitterEnd, "tail"> & { tail: unknown } } {
  const events: Event[] = [];
  const splitter = new LineSplitter({
    line: (text, n) => events.push(["line", text, n]),
    bad: (n, reason) => events.push(["bad", n, reason]),
  }, { maxLineBytes: options.max ?? 1 << 20 });
  const chunk = options.chunk ?? data.length;
  const scratch = new Uint8Array(Math.max(chunk, 1));
  for (let at = 0; at < data.length; at += chunk) {
    const piece = data.subarray(at, at + chunk);
    scratch.set(piece);
    splitter.push(scratch.subarray(0, piece.length));
    scratch.fill(0x21);
  }
  const end = splitter.end();
  const tail = end.tail === null
    ? null
    : { ...end.tail, bytes: end.tail.bytes === null ? null : [...end.tail.bytes] };
  return { events, end: { ...end, tail } };
}

function join(...parts: (string | number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) out.push(...(typeof part === "string" ? bytes(part) : part));
  return new Uint8Array(out);
}

/** Every chunk size from 1 to the whole input must give the same result. */
function splitAllChunkings(data: Uint8Array, max?: number) {
  const whole = split(data, max === undefined ? {} : { max });
  for (let chunk = 1; chunk < data.length; chunk++) {
    assert.deepEqual(
      split(data, { chunk, ...(max === undefined ? {} : { max }) }),
      whole,
      `chunk ${chunk}`,
    );
  }
  return whole;
}

test("LineSplitter splits lines, numbers them and keeps the unterminated tail", () => {
  const result = splitAllChunkings(join("a\nbé\n\n🎉 x\nta"));
  assert.deepEqual(result.events, [
    ["line", "a", 1],
    ["line", "bé", 2],
    ["line", "", 3],
    ["line", "🎉 x", 4],
  ]);
  assert.deepEqual(result.end, {
    tail: { bytes: [0x74, 0x61], length: 2, line: 5, offset: 14 },
    crlf: 0,
    bom: false,
    complete: 14,
  });
});

test("LineSplitter reports no tail when the input ends with \\n, and nothing for no input", () => {
  assert.deepEqual(split(join("x\n")).end, { tail: null, crlf: 0, bom: false, complete: 2 });
  assert.deepEqual(split(new Uint8Array(0)), {
    events: [],
    end: { tail: null, crlf: 0, bom: false, complete: 0 },
  });
});

test("LineSplitter strips a BOM from line 1 only, even when split across chunks", () => {
  const result = splitAllChunkings(join([0xef, 0xbb, 0xbf], "a\n", [0xef, 0xbb, 0xbf], "b\n"));
  assert.deepEqual(result.events, [["line", "a", 1], ["line", "\uFEFFb", 2]]);
  assert.deepEqual(result.end, { tail: null, crlf: 0, bom: true, complete: 10 });
});

test("LineSplitter tolerates CRLF and counts it; a lone \\r inside a line stays", () => {
  const result = splitAllChunkings(join("a\r\nb\rc\nd\r\n"));
  assert.deepEqual(result.events, [["line", "a", 1], ["line", "b\rc", 2], ["line", "d", 3]]);
  assert.equal(result.end.crlf, 2);
});

test("LineSplitter reports invalid UTF-8 per line and keeps the good lines around it", () => {
  const result = splitAllChunkings(
    join("ok\n", [0xc3], "\n", "é\n", [0xed, 0xa0, 0x80], "\n", [0xe2, 0x82]),
  );
  assert.deepEqual(result.events, [
    ["line", "ok", 1],
    ["bad", 2, "invalid_utf8"],
    ["line", "é", 3],
    ["bad", 4, "invalid_utf8"],
  ]);
  assert.deepEqual(result.end.tail, { bytes: [0xe2, 0x82], length: 2, line: 5, offset: 12 });
});

test("LineSplitter caps lines at maxLineBytes: max passes, max + 1 is reported, in any chunking", () => {
  const max = 8;
  const result = splitAllChunkings(join("12345678\n123456789\nabc\n1234567é\n"), max);
  assert.deepEqual(result.events, [
    ["line", "12345678", 1],
    ["bad", 2, "too_long"],
    ["line", "abc", 3],
    ["bad", 4, "too_long"],
  ]);
  assert.deepEqual(result.end, { tail: null, crlf: 0, bom: false, complete: 33 });
});

test("LineSplitter reports an over-long line that is also invalid UTF-8 as too long, in any chunking", () => {
  const result = splitAllChunkings(join("ok\n", [0xff, 0xfe], "123456789\n", [0xff], "\n"), 8);
  assert.deepEqual(result.events, [
    ["line", "ok", 1],
    ["bad", 2, "too_long"],
    ["bad", 3, "invalid_utf8"],
  ]);
});

test("LineSplitter gives an over-long unterminated tail without its bytes", () => {
  const result = splitAllChunkings(join("ab\n", "x".repeat(20)), 8);
  assert.deepEqual(result.events, [["line", "ab", 1]]);
  assert.deepEqual(result.end, {
    tail: { bytes: null, length: 20, line: 2, offset: 3 },
    crlf: 0,
    bom: false,
    complete: 3,
  });
});

test("LineSplitter does not keep the bytes of an over-long line while it streams", () => {
  let lines = 0;
  const splitter = new LineSplitter({
    line: () => lines++,
    bad: (n, reason) => assert.deepEqual([n, reason], [1, "too_long"]),
  }, { maxLineBytes: 1024 });
  const chunk = new Uint8Array(1 << 16).fill(0x61);
  for (let i = 0; i < 64; i++) splitter.push(chunk);
  splitter.push(join("\nok\n"));
  assert.equal(lines, 1);
  assert.deepEqual(splitter.end(), { tail: null, crlf: 0, bom: false, complete: 64 * 65536 + 4 });
});

test("byteLength() counts UTF-8 bytes, astral characters included", () => {
  assert.equal(byteLength(""), 0);
  assert.equal(byteLength("a"), 1);
  assert.equal(byteLength("é"), 2);
  assert.equal(byteLength("€"), 3);
  assert.equal(byteLength("🎉"), 4);
});

test("LineSplitter returns random lines exactly under random chunkings", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (let round = 0; round < 300; round++) {
      const lines = Array.from(
        { length: Math.floor(rand() * 8) },
        () =>
          randomString(rand, 30).replaceAll("\n", " ").replace(/\r+$/, "").replace(/^\uFEFF/, ""),
      );
      const tail = rand() < 0.5 ? "" : randomString(rand, 10).replaceAll("\n", " ");
      const text = lines.map((l) => `${l}\n`).join("") + tail;
      const data = new TextEncoder().encode(text);
      const chunk = 1 + Math.floor(rand() * 16);
      const result = split(data, { chunk });
      const utf8 = (l: string) => new TextDecoder().decode(new TextEncoder().encode(l));
      const expected: Event[] = lines.map((l, i) => ["line", utf8(l), i + 1]);
      assert.deepEqual(result.events, expected, `round ${round}`);
      const complete = data.length - new TextEncoder().encode(tail).length;
      assert.equal(result.end.complete, complete, `round ${round}`);
      assert.deepEqual(
        result.end.tail,
        tail === "" ? null : {
          bytes: [...data.subarray(complete)],
          length: data.length - complete,
          line: lines.length + 1,
          offset: complete,
        },
        `round ${round}`,
      );
    }
  });
});

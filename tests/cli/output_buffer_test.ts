/**
 * OutputBuffer: what `show`, `export`, `load` and `list` write to stdout as they read. Its bytes
 * are the UTF-8 of the texts added, in order; it writes only once 256 KiB are held or when told
 * to; and what it hands to a write stays as it was, though the buffer it was encoded in is
 * filled again (a write to a pipe may hold on to it).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { concatBytes } from "../../lib/base/mod.ts";
import { OutputBuffer } from "../../lib/cli/commands/output_buffer.ts";
import type { Io } from "../../lib/runtime/mod.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";

const encoder = new TextEncoder();
const KiB = 1024;

/** An OutputBuffer whose writes are kept as they were handed over (not copied). */
function buffered(): { out: OutputBuffer; writes: (string | Uint8Array)[] } {
  const writes: (string | Uint8Array)[] = [];
  const io = {
    stdout: {
      isTTY: false,
      write: (data: string | Uint8Array) => {
        writes.push(data);
        return Promise.resolve();
      },
    },
  } as unknown as Io;
  return { out: new OutputBuffer(io), writes };
}

function bytesOf(writes: readonly (string | Uint8Array)[]): Uint8Array {
  return concatBytes(writes.map((w) => {
    assert.ok(w instanceof Uint8Array, "written as bytes");
    return w;
  }));
}

/** Text of characters of every width, lone surrogates and newlines among them. */
function mixedText(rand: () => number, length: number): string {
  const choices = ["a", "\n", "é", "€", "中", "😀", "\ud800", "\udfff", "──"];
  let out = "";
  for (let i = 0; i < length; i++) out += choices[Math.floor(rand() * choices.length)];
  return out;
}

test("OutputBuffer writes the UTF-8 of every text added, in order, each text encoded on its own", async () => {
  const seed = runSeed();
  await withSeed(seed, async () => {
    const rand = prng(seed);
    for (let round = 0; round < 10; round++) {
      const { out, writes } = buffered();
      const texts: string[] = [];
      // Short texts and long ones (up to 600 Ki picks of one character or two, up to 3.7 MB): a
      // full buffer of 1 MiB is handed over more than once between two writes.
      for (let i = 0; i < 40; i++) {
        const long = rand() < 0.1;
        const text = mixedText(rand, Math.floor(rand() * (long ? 600 * KiB : 300)));
        texts.push(text);
        out.add(text);
        if (rand() < 0.3) await out.flushIfFull();
      }
      await out.flush();
      assert.deepEqual(bytesOf(writes), concatBytes(texts.map((t) => encoder.encode(t))));
      // No write is cut inside a character: each decodes on its own.
      for (const w of writes) new TextDecoder("utf-8", { fatal: true }).decode(w as Uint8Array);
    }
  });
});

test("OutputBuffer writes once 256 KiB are held, or when flushed, and never an empty write", async () => {
  const { out, writes } = buffered();
  await out.flush();
  assert.equal(writes.length, 0);
  out.add("x".repeat(256 * KiB - 1));
  await out.flushIfFull();
  assert.equal(writes.length, 0, "one byte short of 256 KiB");
  out.add("x");
  await out.flushIfFull();
  assert.equal(writes.length, 1);
  assert.equal((writes[0] as Uint8Array).length, 256 * KiB);
  await out.flushIfFull();
  await out.flush();
  assert.equal(writes.length, 1, "nothing left to write");
  out.add("tail");
  await out.flush();
  assert.equal(new TextDecoder().decode(writes[1] as Uint8Array), "tail");
  // A text that filled the 1 MiB buffer and left 10 bytes held: the full MiB is due, and the
  // write takes the 10 bytes too.
  out.add("y".repeat(1024 * KiB + 10));
  await out.flushIfFull();
  assert.deepEqual(writes.slice(2).map((w) => (w as Uint8Array).length), [1024 * KiB, 10]);
});

test("OutputBuffer hands each write bytes of its own, which later texts do not overwrite", async () => {
  const { out, writes } = buffered();
  out.add("a".repeat(300 * KiB));
  await out.flushIfFull();
  // More than the buffer holds between two writes: full buffers are handed over as well.
  out.add("b".repeat(1500 * KiB));
  await out.flush();
  out.add("c".repeat(10));
  await out.flush();
  const text = new TextDecoder().decode(bytesOf(writes));
  assert.equal(text, `${"a".repeat(300 * KiB)}${"b".repeat(1500 * KiB)}cccccccccc`);
  const buffers = writes.map((w) => (w as Uint8Array).buffer);
  assert.equal(new Set(buffers).size, buffers.length, "no two writes share memory");
});

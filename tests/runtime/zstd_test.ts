/**
 * A compressed rollout is known by its first frame: a zstd frame, or a skippable frame that a
 * tool put before the data (RFC 8878 §3.1.2). Every reader takes both: validate, show, list.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { randomBytes } from "node:crypto";
import { zstdCompressSync } from "node:zlib";
import { isZstd, zstdDecompress, zstdPieces } from "../../lib/runtime/zstd.ts";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "../cli/cli_io.ts";
import { fixtureText, idOf, writeSession } from "../cli/fixtures.ts";

/** A skippable frame of magic 0x184D2A5`nibble` holding `data`. */
function skippable(nibble: number, data: string): Uint8Array {
  const bytes = new TextEncoder().encode(data);
  const head = new Uint8Array(8);
  head.set([0x50 | nibble, 0x2a, 0x4d, 0x18]);
  new DataView(head.buffer).setUint32(4, bytes.length, true);
  return new Uint8Array([...head, ...bytes]);
}

test("isZstd() takes a zstd frame or a skippable one, and nothing else", () => {
  assert.equal(isZstd(zstdCompressSync("x")), true);
  for (const nibble of [0, 7, 15]) assert.equal(isZstd(skippable(nibble, "meta")), true);
  for (const other of ['{"a":1}', "\x40\x2a\x4d\x18", "\x28\xb5\x2f", ""]) {
    assert.equal(isZstd(new TextEncoder().encode(other)), false, JSON.stringify(other));
  }
});

test("a .jsonl.zst that starts with a skippable frame is read by validate, show and list", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const plain = writeSession(dir, { id: idOf(1) });
    const packed = `${plain}.zst`;
    fs.writeFileSync(
      packed,
      new Uint8Array([
        ...skippable(0, "written by a tool"),
        ...zstdCompressSync(fixtureText("journal", idOf(1))),
      ]),
    );
    fs.rmSync(plain);
    const checked = await cli(["validate", packed]);
    assert.equal(checked.code, 0, checked.stdout);
    assert.equal((await cli(["show", packed])).code, 0);
    const listed = await cli(["list", "--json", "--home", dir]);
    assert.equal(listed.stderr, "");
    assert.deepEqual(
      JSON.parse(listed.stdout).map((s: { path: string }) => path.basename(s.path)),
      [
        path.basename(packed),
      ],
    );
  } finally {
    cleanup();
  }
});

test("a .jsonl.zst of several frames is read whole, small or large, in either runtime", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Deno's zlib stops after the first frame: every frame must still be read.
    const lines = fixtureText("journal", idOf(1)).split("\n");
    const half = Math.ceil(lines.length / 2);
    const frames = [lines.slice(0, half).join("\n") + "\n", lines.slice(half).join("\n")];
    const packed = (between: Uint8Array) =>
      new Uint8Array([
        ...zstdCompressSync(frames[0]!),
        ...between,
        ...zstdCompressSync(frames[1]!),
      ]);
    const whole = new TextEncoder().encode(frames.join(""));
    assert.deepEqual(zstdDecompress(packed(new Uint8Array(0))), whole);
    assert.deepEqual(zstdDecompress(packed(skippable(3, "between"))), whole);
    const file = path.join(dir, "two-frames.jsonl.zst");
    fs.writeFileSync(file, packed(skippable(3, "between")));
    const loaded = await cli(["load", file]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(JSON.parse(loaded.stdout).items.length, 4);
    // A file too large to be decompressed in one piece is streamed, frame by frame.
    const big = "y".repeat(40 * 1024 * 1024);
    const item = (n: number) =>
      JSON.stringify({
        timestamp: "2026-11-26T11:15:40.000Z",
        type: "response_item",
        payload: { type: "function_call_output", call_id: `c${n}`, output: big },
      }) + "\n";
    const large = path.join(dir, "large.jsonl.zst");
    fs.writeFileSync(
      large,
      new Uint8Array([
        ...zstdCompressSync(lines.slice(0, 2).join("\n") + "\n" + item(1)),
        ...zstdCompressSync(item(2)),
      ]),
    );
    const checked = await cli(["validate", "--json", large]);
    assert.equal(JSON.parse(checked.stdout)[0].items, 3, checked.stdout);
  } finally {
    cleanup();
  }
});

test("zstdPieces() pulls its input only as it decompresses (bounded memory)", async () => {
  // Random bytes: they do not compress, so the input is 256 pieces of 32 KiB.
  const plain = randomBytes(8 * 1024 * 1024);
  const packed = new Uint8Array(zstdCompressSync(plain));
  let pulled = 0;
  function* source(): Generator<Uint8Array> {
    for (let at = 0; at < packed.length; at += 32 * 1024) {
      pulled++;
      yield packed.subarray(at, at + 32 * 1024);
    }
  }
  let atFirst = -1;
  let total = 0;
  for await (const piece of zstdPieces(source())) {
    if (atFirst < 0) atFirst = pulled;
    total += piece.length;
  }
  assert.equal(total, plain.length);
  assert.ok(pulled > 200, `${pulled} input pieces`);
  assert.ok(atFirst <= 4, `the first output came after ${atFirst} of ${pulled} input pieces`);
});

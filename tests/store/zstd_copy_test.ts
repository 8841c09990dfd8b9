/**
 * The streamed zstd copies of archive and restore (lib/store/zstd_copy.ts): a file compressed
 * and decompressed piece by piece through the FileSystem, short reads and files that shrank,
 * and compareUnpacked's verdicts with where two files part.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as zlib from "node:zlib";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/mod.ts";
import { compareUnpacked, type OpenFile, zstdCopy } from "../../lib/store/zstd_copy.ts";
import { inTempDir } from "../helpers.ts";

const LEVEL = { level: 3, windowLog: 20 };

/** Text that compresses well but is not one byte repeated: `size` bytes. */
function sample(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = 97 + ((x >> 16) % 8);
  }
  return out;
}

/** `file` opened for reading with the size the copy is told. */
function opened(file: string, size = fs.statSync(file).size): OpenFile {
  return { fd: nodeFileSystem.open(file, "read"), size };
}

/** The node file system whose reads return at most `most` bytes. */
function shortReads(most: number): FileSystem {
  return {
    ...nodeFileSystem,
    read: (fd, into, at) => nodeFileSystem.read(fd, into.subarray(0, most), at),
  };
}

async function copy(
  fsys: FileSystem,
  from: string,
  to: string,
  options: Parameters<typeof zstdCopy>[3],
  size?: number,
): Promise<number> {
  const source = opened(from, size);
  const fd = nodeFileSystem.open(to, "create_exclusive");
  try {
    return await zstdCopy(fsys, source, fd, options);
  } finally {
    nodeFileSystem.close(fd);
    nodeFileSystem.close(source.fd);
  }
}

async function compare(packed: string, plain: string, options = {}, fsys = nodeFileSystem) {
  const a = opened(packed);
  const b = opened(plain);
  try {
    return await compareUnpacked(fsys, a, b, options);
  } finally {
    nodeFileSystem.close(a.fd);
    nodeFileSystem.close(b.fd);
  }
}

test("zstdCopy compresses and decompresses piece by piece, reporting each piece read", async () => {
  await inTempDir((dir) => {
    const plain = path.join(dir, "plain");
    const packed = path.join(dir, "plain.zst");
    const back = path.join(dir, "back");
    const bytes = sample(600_000);
    fs.writeFileSync(plain, bytes);
    return (async () => {
      const read: number[] = [];
      const written = await copy(nodeFileSystem, plain, packed, {
        compress: LEVEL,
        pieceBytes: 100_000,
        progress: (at) => read.push(at),
      });
      assert.deepEqual(read, [100_000, 200_000, 300_000, 400_000, 500_000, 600_000]);
      assert.equal(written, fs.statSync(packed).size);
      assert.ok(written < bytes.length / 2, `${written} bytes`);
      assert.deepEqual(new Uint8Array(zlib.zstdDecompressSync(fs.readFileSync(packed))), bytes);
      // Back with the default pieces.
      const out = await copy(nodeFileSystem, packed, back, {});
      assert.equal(out, bytes.length);
      assert.deepEqual(new Uint8Array(fs.readFileSync(back)), bytes);
      assert.equal((await compare(packed, plain)).kind, "same");
    })();
  });
});

test("zstdCopy takes the bytes it is told of, through short reads, and says when a file shrank", async () => {
  await inTempDir(async (dir) => {
    const plain = path.join(dir, "plain");
    const bytes = sample(50_000, 2);
    fs.writeFileSync(plain, bytes);
    // Only the first 30,000 bytes count (a journal read up to its last whole line).
    const part = path.join(dir, "part.zst");
    const read: number[] = [];
    await copy(shortReads(7_000), plain, part, {
      compress: LEVEL,
      progress: (at) => read.push(at),
    }, 30_000);
    assert.deepEqual(read, [7_000, 14_000, 21_000, 28_000, 30_000]);
    assert.deepEqual(
      new Uint8Array(zlib.zstdDecompressSync(fs.readFileSync(part))),
      bytes.subarray(0, 30_000),
    );
    // Told of more than there is: an I/O error naming where it ended.
    await assert.rejects(
      copy(nodeFileSystem, plain, path.join(dir, "more.zst"), { compress: LEVEL }, 80_000),
      (error: unknown) =>
        (error as { code?: string }).code === "EIO" &&
        (error as Error).message === "the file ended at byte 50000, expected 80000",
    );
  });
});

test("compareUnpacked: the same, a prefix of a grown file, the first byte that differs, more than expected", async () => {
  await inTempDir(async (dir) => {
    const plain = path.join(dir, "plain");
    const packed = path.join(dir, "plain.zst");
    const bytes = sample(300_000, 3);
    fs.writeFileSync(plain, bytes);
    fs.writeFileSync(packed, zlib.zstdCompressSync(bytes));
    const checked: number[] = [];
    assert.deepEqual(await compare(packed, plain, { checked: (n: number) => checked.push(n) }), {
      kind: "same",
    });
    assert.equal(checked.at(-1), 300_000);
    assert.ok(checked.every((n, i) => i === 0 || n > checked[i - 1]!), "checked grows");
    // Read through short reads of the plain file, the verdict is the same.
    assert.deepEqual(await compare(packed, plain, {}, shortReads(999)), { kind: "same" });

    // The plain file grew after the copy: the copy is its prefix.
    const grown = path.join(dir, "grown");
    fs.writeFileSync(grown, Buffer.concat([bytes, sample(1_000, 4)]));
    assert.deepEqual(await compare(packed, grown), { kind: "prefix", bytes: 300_000 });

    // One byte changed far in: named by its offset.
    for (const at of [0, 17, 262_150, 299_999]) {
      const changed = new Uint8Array(bytes);
      changed[at] = 65;
      const other = path.join(dir, `changed-${at}`);
      fs.writeFileSync(other, changed);
      assert.deepEqual(await compare(packed, other), {
        kind: "differs",
        detail: `byte ${at} differs`,
      });
    }

    // The plain file is shorter than what the copy holds.
    const shorter = path.join(dir, "shorter");
    fs.writeFileSync(shorter, bytes.subarray(0, 1_000));
    assert.deepEqual(await compare(packed, shorter), {
      kind: "differs",
      detail: "it holds more than the 1000 bytes expected",
    });
  });
});

test("compareUnpacked: a copy cut short or refused by zstd differs; the plain file failing is thrown", async () => {
  await inTempDir(async (dir) => {
    const plain = path.join(dir, "plain");
    const bytes = sample(100_000, 5);
    fs.writeFileSync(plain, bytes);
    const whole = new Uint8Array(zlib.zstdCompressSync(bytes, {
      params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 },
    }));
    const cut = path.join(dir, "cut.zst");
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 5));
    const verdict = await compare(cut, plain);
    assert.equal(verdict.kind, "differs");
    assert.match((verdict as { detail: string }).detail, /^the compressed file is damaged at /);

    // Whole frames, a wrong checksum at the end: zstd refuses it.
    const bad = new Uint8Array(whole);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const refused = path.join(dir, "refused.zst");
    fs.writeFileSync(refused, bad);
    const said = await compare(refused, plain);
    assert.equal(said.kind, "differs");
    assert.match((said as { detail: string }).detail, /^zstd cannot decompress it \(.+\)$/);

    // The plain file ends before its stated size: an I/O error, not a verdict.
    const packed = path.join(dir, "good.zst");
    fs.writeFileSync(packed, whole);
    const a = opened(packed);
    const b = opened(plain, 100_000);
    fs.truncateSync(plain, 10);
    try {
      await assert.rejects(
        compareUnpacked(nodeFileSystem, a, b),
        (error: unknown) =>
          (error as { code?: string }).code === "EIO" &&
          (error as Error).message === "the file ended early",
      );
    } finally {
      nodeFileSystem.close(a.fd);
      nodeFileSystem.close(b.fd);
    }
  });
});

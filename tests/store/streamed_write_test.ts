/**
 * StreamedWrite with writes on their way (`writeAtAsync`): a full buffer is written on a worker
 * thread while the next fills. Each test holds the writes on their way and ends them itself, in
 * the order it chooses, so that what the writer does meanwhile is seen step by step.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/file_system.ts";
import { atomicWrite, StreamedWrite, WRITES_AHEAD } from "../../lib/store/atomic_replace.ts";
import { inTempDir } from "../helpers.ts";

const MiB = 1024 * 1024;

/** A write on its way, held until the test ends it. */
interface HeldWrite {
  at: number;
  length: number;
  /** Writes the bytes (only the first `part` of them, if given) and resolves with the count. */
  end(part?: number): void;
  fail(code: string): void;
}

/**
 * The real file system whose writes on their way are held (`held`) until the test ends them.
 * Each is checked, when it ends, to hand over the bytes it was given at its start (`changed`
 * lists those that did not): the buffer of a write on its way must not be filled again meanwhile.
 */
function holdingWrites(options: { syncsAtOnce?: boolean } = {}) {
  const log: string[] = [];
  const held: HeldWrite[] = [];
  /** Where a write on its way was handed bytes that changed before it ended. */
  const changed: number[] = [];
  const fsys: FileSystem = {
    ...nodeFileSystem,
    writeAt(fd, data, position) {
      log.push(`in turn at ${position / MiB} MiB`);
      return nodeFileSystem.writeAt!(fd, data, position);
    },
    writeAtAsync(fd, data, position) {
      log.push(`away at ${position / MiB} MiB`);
      const given = data.slice();
      return new Promise<number>((resolve, reject) => {
        held.push({
          at: position,
          length: data.length,
          end(part = data.length) {
            if (!sameBytes(data, given)) changed.push(position);
            log.push(`ends at ${position / MiB} MiB`);
            resolve(nodeFileSystem.writeAt!(fd, data.subarray(0, part), position));
          },
          fail(code) {
            log.push(`fails at ${position / MiB} MiB`);
            reject(Object.assign(new Error(`${code}: i/o error, write`), { code }));
          },
        });
      });
    },
    fdatasyncAsync(fd) {
      log.push("sync starts");
      if (options.syncsAtOnce !== true) return nodeFileSystem.fdatasyncAsync(fd);
      nodeFileSystem.fdatasync(fd);
      return Promise.resolve();
    },
    dropCache(_fd, length) {
      log.push(`drop ${length / MiB} MiB`);
    },
    close(fd) {
      log.push("close");
      nodeFileSystem.close(fd);
    },
  };
  /** The held write at `mib` MiB, taken off the list. */
  const take = (mib: number): HeldWrite => {
    const index = held.findIndex((w) => w.at === Math.round(mib * MiB));
    assert.ok(index >= 0, `no write held at ${mib} MiB: ${log.join(", ")}`);
    return held.splice(index, 1)[0]!;
  };
  return { fsys, log, held, take, changed };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Lets the event loop turn a few times: promise callbacks and immediates run. */
async function turns(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Text of `bytes` bytes that says where each of its lines is, so that a misplaced MiB shows. */
function numberedText(bytes: number): string {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const line = `${String(i).padStart(9, "0")} ${"x".repeat(100)}\n`;
    lines.push(line);
    length += line.length;
  }
  return lines.join("").slice(0, bytes);
}

/** Opens a new file in `dir` for a StreamedWrite on `fsys`. */
function opened(fsys: FileSystem, dir: string): { file: string; fd: number } {
  const file = path.join(dir, "copy.jsonl");
  return { file, fd: fsys.open(file, "create_exclusive") };
}

test("a full buffer is written on a worker thread while the next fills, and the file holds every byte in order though later writes end first", async () => {
  await inTempDir(async (dir) => {
    const writes = holdingWrites();
    const { file, fd } = opened(writes.fsys, dir);
    const out = new StreamedWrite(writes.fsys, fd, { sync: false });
    const text = numberedText(3.5 * MiB);
    for (let i = 0; i < text.length; i += 70_000) out.put(text.slice(i, i + 70_000));
    // Three full MiBs on their way, none written in turn; the half MiB is still held.
    assert.deepEqual(writes.log, ["away at 0 MiB", "away at 1 MiB", "away at 2 MiB"]);
    for (const mib of [2, 1, 0]) writes.take(mib).end();
    assert.equal(await out.finish(), text.length);
    writes.fsys.close(fd);
    assert.equal(fs.readFileSync(file, "utf8"), text);
    assert.deepEqual(writes.changed, []);
    assert.deepEqual(writes.log.slice(3), [
      "ends at 2 MiB",
      "ends at 1 MiB",
      "ends at 0 MiB",
      "in turn at 3 MiB",
      "close",
    ]);
  });
});

test("at most WRITES_AHEAD bytes are on their way: past them a buffer is written in turn, and between waits until half of them have ended", async () => {
  await inTempDir(async (dir) => {
    const writes = holdingWrites();
    const { file, fd } = opened(writes.fsys, dir);
    const out = new StreamedWrite(writes.fsys, fd, { sync: false });
    const mibs = WRITES_AHEAD / MiB + 2;
    const text = numberedText(mibs * MiB + 10);
    out.put(text);
    const ahead = Array.from({ length: WRITES_AHEAD / MiB }, (_, i) => `away at ${i} MiB`);
    assert.deepEqual(writes.log, [
      ...ahead,
      `in turn at ${mibs - 2} MiB`,
      `in turn at ${mibs - 1} MiB`,
    ]);
    let passed = false;
    const waiting = Promise.resolve(out.between()).then(() => (passed = true));
    await turns();
    assert.equal(passed, false, "between waits while all of WRITES_AHEAD is on its way");
    // Ending writes until no more than half is on its way lets it go on.
    for (let i = 0; i < WRITES_AHEAD / MiB / 2; i++) {
      assert.equal(passed, false, `${i} ended`);
      writes.take(i).end();
      await turns();
    }
    assert.equal(passed, true);
    await waiting;
    for (let i = WRITES_AHEAD / MiB / 2; i < WRITES_AHEAD / MiB; i++) writes.take(i).end();
    assert.equal(await out.finish(), text.length);
    writes.fsys.close(fd);
    assert.equal(fs.readFileSync(file, "utf8"), text);
    assert.deepEqual(writes.changed, []);
  });
});

test("a write on a worker thread that writes less than it was given goes on from where it stopped", async () => {
  await inTempDir(async (dir) => {
    const writes = holdingWrites();
    const { file, fd } = opened(writes.fsys, dir);
    const out = new StreamedWrite(writes.fsys, fd, { sync: false });
    const text = numberedText(2 * MiB + 5);
    out.put(text);
    const finished = out.finish();
    // The first MiB in three parts, the second in two.
    writes.take(0).end(1000);
    await turns();
    writes.take(1000 / MiB).end(MiB / 2);
    await turns();
    writes.take((1000 + MiB / 2) / MiB).end();
    writes.take(1).end(1);
    await turns();
    writes.take((MiB + 1) / MiB).end();
    assert.equal(await finished, text.length);
    writes.fsys.close(fd);
    assert.equal(fs.readFileSync(file, "utf8"), text);
    assert.deepEqual(writes.changed, []);
    assert.equal(writes.held.length, 0);
  });
});

test("a write on a worker thread that fails fails the copy: between rejects, and the file is closed only after every write has ended, then removed", async () => {
  await inTempDir(async (dir) => {
    const writes = holdingWrites();
    const target = path.join(dir, "copy.jsonl");
    let betweens = 0;
    let rejected: unknown = null;
    const writing = atomicWrite(writes.fsys, target, { sync: false }, async (put, between) => {
      for (let i = 0; i < 64; i++) {
        put(numberedText(MiB));
        betweens++;
        try {
          await between();
        } catch (error) {
          rejected = error;
          throw error;
        }
      }
    });
    writing.catch(() => {});
    await turns();
    // Three MiBs on their way: between waits for one to end.
    assert.deepEqual(writes.log, ["away at 0 MiB", "away at 1 MiB", "away at 2 MiB"]);
    writes.take(1).fail("EIO");
    await turns();
    // The between that waited rejects: the writer stops there, and writes no more.
    assert.equal(betweens, 4);
    assert.match(String(rejected), /EIO/);
    assert.equal(writes.log.filter((e) => e.startsWith("away")).length, 3);
    assert.ok(!writes.log.includes("close"), "closed while writes were on their way");
    writes.take(0).end();
    await turns();
    assert.ok(!writes.log.includes("close"), "closed while a write was on its way");
    writes.take(2).end();
    await assert.rejects(writing, /EIO/);
    assert.deepEqual(writes.log.slice(-2), ["ends at 2 MiB", "close"]);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

test("a sync ahead starts only once every byte before it is written, and lets go of no more than those", async () => {
  await inTempDir(async (dir) => {
    const writes = holdingWrites({ syncsAtOnce: true });
    const { file, fd } = opened(writes.fsys, dir);
    const out = new StreamedWrite(writes.fsys, fd, { sync: true, syncAhead: MiB });
    const text = numberedText(3 * MiB + 7);
    out.put(text);
    // The second MiB is written first: the first is still on its way, so no sync starts.
    writes.take(1).end();
    await turns();
    assert.ok(!writes.log.includes("sync starts"), writes.log.join(", "));
    // Once the first has ended, both are behind the sync, and only they are let go of.
    writes.take(0).end();
    await turns();
    assert.deepEqual(writes.log.slice(-3), ["ends at 0 MiB", "sync starts", "drop 2 MiB"]);
    writes.take(2).end();
    assert.equal(await out.finish(), text.length);
    writes.fsys.close(fd);
    assert.equal(fs.readFileSync(file, "utf8"), text);
    assert.deepEqual(writes.changed, []);
  });
});

test("a write after the end fails, and writes nothing", async () => {
  await inTempDir(async (dir) => {
    const writes = holdingWrites();
    const { file, fd } = opened(writes.fsys, dir);
    const out = new StreamedWrite(writes.fsys, fd, { sync: false });
    out.put("abc\n");
    assert.equal(await out.finish(), 4);
    out.put("x".repeat(MiB - 1));
    assert.throws(() => out.put("late"), /written to after it ended/);
    writes.fsys.close(fd);
    assert.equal(fs.readFileSync(file, "utf8"), "abc\n");
  });
});

test("with the real file system, a copy of distinct lines over several times WRITES_AHEAD lands byte for byte, whether its writer awaits between or never does", async () => {
  await inTempDir(async (dir) => {
    // In Bun its writes go on worker threads at their places, and past WRITES_AHEAD in turn at
    // theirs: a write made at the wrong place would misplace a numbered MiB.
    const text = numberedText(3 * WRITES_AHEAD + MiB / 2 + 3);
    const piece = 64 * 1024 + 7;
    const awaiting = path.join(dir, "awaiting.jsonl");
    const written = await atomicWrite(
      nodeFileSystem,
      awaiting,
      { sync: true },
      async (put, between) => {
        for (let i = 0, n = 0; i < text.length; i += piece, n++) {
          put(text.slice(i, i + piece));
          if (n % 16 === 15) await between();
        }
      },
    );
    assert.equal(written, text.length);
    assert.equal(fs.readFileSync(awaiting, "utf8"), text);
    const never = path.join(dir, "never.jsonl");
    await atomicWrite(nodeFileSystem, never, { sync: true }, (put) => {
      for (let i = 0; i < text.length; i += piece) put(text.slice(i, i + piece));
    });
    assert.equal(fs.readFileSync(never, "utf8"), text);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["awaiting.jsonl", "never.jsonl"]);
  });
});

test("the real file system writes at the place it is given and leaves the file's offset alone; in Deno it offers no writes on their way", async () => {
  await inTempDir(async (dir) => {
    const bytes = (c: string, n: number) => new TextEncoder().encode(c.repeat(n));
    const file = path.join(dir, "placed.bin");
    const fd = nodeFileSystem.open(file, "create_exclusive");
    try {
      assert.equal(nodeFileSystem.writeAt!(fd, bytes("b", 3), 6), 3);
      const away = nodeFileSystem.writeAtAsync;
      if ("Deno" in globalThis) assert.equal(away, undefined);
      else {
        // Started before the write at 0, and far from it: each lands where it was sent.
        const late = away!(fd, bytes("c", 2), 12);
        assert.equal(await away!(fd, bytes("a", 3), 0), 3);
        assert.equal(await late, 2);
      }
      // The offset is still at 0: a plain write goes to the start.
      nodeFileSystem.write(fd, bytes("A", 1));
    } finally {
      nodeFileSystem.close(fd);
    }
    const expected = "Deno" in globalThis ? "A\0\0\0\0\0bbb" : "Aaa\0\0\0bbb\0\0\0cc";
    assert.equal(fs.readFileSync(file, "latin1"), expected);
  });
});

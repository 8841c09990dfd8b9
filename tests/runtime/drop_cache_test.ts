/**
 * Dropping a file's cached pages (`posix_fadvise`), and a long copy doing it as it goes: what the
 * kernel holds of a file is read back with util-linux's `fincore`, so the tests see the page
 * cache itself, not our own account of it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { dropCachedPages, type FileSystem, nodeFileSystem } from "../../lib/runtime/mod.ts";
import { atomicWrite, SYNC_AHEAD } from "../../lib/store/atomic_replace.ts";
import { writeNewFile } from "../../lib/cli/commands/context.ts";
import { skipReason, tempDir, writingInTurn } from "../helpers.ts";

const MiB = 1024 * 1024;

/** Bytes of `file` in the page cache, by `fincore`. */
function residentBytes(file: string): number {
  const run = spawnSync("fincore", ["--bytes", "--noheadings", "--output", "RES", file], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout.trim());
}

/** tmpfs and ramfs: their pages are the files themselves, and are never dropped. */
const MEMORY_FILE_SYSTEMS = [0x01021994, 0x858458f6];

const noFincore = process.platform !== "linux"
  ? "the page cache is looked at through Linux's fincore"
  : spawnSync("fincore", ["--version"]).status !== 0
  ? "fincore (util-linux) is missing"
  : MEMORY_FILE_SYSTEMS.includes(fs.statfsSync(os.tmpdir()).type)
  ? `the temporary folder ${os.tmpdir()} is in memory (tmpfs), where no page is dropped`
  : false;
const skip = skipReason("drop_cache_test.ts", noFincore);

/**
 * The real file system whose syncs ahead end (really synced) before the copy goes on, so that
 * every one ends while the copy runs, with `dropCache` in place of its own. Its writes are made
 * in turn, so that each sync starts at a known length.
 */
function syncingAtOnce(dropCache: (fd: number, length: number) => void): FileSystem {
  return {
    ...writingInTurn(nodeFileSystem),
    fdatasyncAsync(fd) {
      nodeFileSystem.fdatasync(fd);
      return Promise.resolve();
    },
    dropCache,
  };
}

/** A file of `mib` MiB written and synced, all of it in the page cache. */
function syncedFile(dir: string, mib: number): { file: string; fd: number } {
  const file = path.join(dir, "data.bin");
  const fd = fs.openSync(file, "w+");
  const block = new Uint8Array(MiB).fill(0x61);
  for (let i = 0; i < mib; i++) fs.writeSync(fd, block);
  fs.fsyncSync(fd);
  return { file, fd };
}

test(
  "dropCachedPages frees the synced pages of the part it is given, and only those",
  { skip },
  () => {
    const { dir, cleanup } = tempDir();
    try {
      const { file, fd } = syncedFile(dir, 8);
      try {
        assert.equal(residentBytes(file), 8 * MiB);
        assert.equal(dropCachedPages(fd, 0), false, "nothing to drop");
        assert.equal(dropCachedPages(fd, 5 * MiB), true);
        // The first 5 MiB are gone from the cache, the last 3 are still there.
        assert.equal(residentBytes(file), 3 * MiB);
        // The bytes are the same, read back from the disk.
        assert.ok(fs.readFileSync(file).every((byte) => byte === 0x61));
      } finally {
        fs.closeSync(fd);
      }
    } finally {
      cleanup();
    }
  },
);

test(
  "a long copy lets go of what each sync ahead wrote, and keeps every byte",
  { skip },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      const target = path.join(dir, "copy.jsonl");
      const drops: Array<{ length: number; size: number }> = [];
      const fsys = syncingAtOnce((fd, length) => {
        drops.push({ length, size: fs.fstatSync(fd).size });
        nodeFileSystem.dropCache!(fd, length);
      });
      const line = "c".repeat(64 * 1024 - 1) + "\n";
      await atomicWrite(fsys, target, { sync: true, syncAhead: 4 * MiB }, async (put, between) => {
        for (let i = 0; i < 24 * 16; i++) {
          put(line);
          if (i % 16 === 15) await between();
        }
      });
      // Each drop is of what its sync ahead had written when it started (one every 4 MiB; none
      // for the last MiBs, which the final sync makes durable), never beyond the file.
      assert.deepEqual(drops.map((d) => d.length / MiB), [4, 8, 12, 16, 20]);
      for (const drop of drops) assert.ok(drop.length <= drop.size);
      // What the drops let go of is not in the cache any more: at most the tail after them is.
      assert.ok(residentBytes(target) <= 4 * MiB, `${residentBytes(target)} bytes resident`);
      // Looked at before the file is read back, which brings it into the cache again.
      assert.equal(fs.readFileSync(target, "utf8"), line.repeat(24 * 16));
    } finally {
      cleanup();
    }
  },
);

test("a copy without syncs drops nothing from the cache", { skip }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = path.join(dir, "copy.jsonl");
    let drops = 0;
    const fsys = {
      ...nodeFileSystem,
      dropCache(fd: number, length: number) {
        drops++;
        nodeFileSystem.dropCache!(fd, length);
      },
    };
    await atomicWrite(fsys, target, { sync: false, syncAhead: MiB }, async (put, between) => {
      for (let i = 0; i < 8; i++) {
        put("d".repeat(MiB));
        await between();
      }
    });
    assert.equal(drops, 0);
    assert.equal(residentBytes(target), 8 * MiB);
  } finally {
    cleanup();
  }
});

test("a copy whose dropping of pages fails is written all the same", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = path.join(dir, "copy.jsonl");
    let tried = 0;
    const fsys = syncingAtOnce(() => {
      tried++;
      throw new Error("fadvise went wrong");
    });
    await atomicWrite(fsys, target, { sync: true, syncAhead: MiB }, async (put, between) => {
      for (let i = 0; i < 6; i++) {
        put("e".repeat(MiB - 1) + "\n");
        await between();
      }
    });
    assert.ok(tried >= 2, `${tried} drops tried`);
    assert.equal(fs.readFileSync(target, "utf8"), ("e".repeat(MiB - 1) + "\n").repeat(6));
    assert.deepEqual(fs.readdirSync(dir), ["copy.jsonl"]);
  } finally {
    cleanup();
  }
});

test(
  "a new output file of a writer (export -o) is synced ahead and let go of before it is closed",
  {
    skip,
  },
  async () => {
    const { dir, cleanup } = tempDir();
    try {
      const target = path.join(dir, "out", "export.html");
      const line = "h".repeat(1024 - 1) + "\n";
      const mib = line.repeat(1024);
      let turns = 0;
      await writeNewFile(target, async (put, between) => {
        for (let i = 0; i < 100; i++) {
          put(mib);
          await between();
          turns++;
        }
      });
      assert.equal(turns, 100);
      // A sync ahead starts once SYNC_AHEAD bytes are written, and the file is closed only after
      // it has ended and its pages were let go of. (How much more is let go of depends on how
      // fast the disk syncs: the writer here is faster than any, and one sync runs at a time.)
      const resident = residentBytes(target);
      const most = 100 * MiB - SYNC_AHEAD;
      assert.ok(resident <= most, `${resident} bytes resident, at most ${most}`);
      assert.equal(fs.statSync(target).size, 100 * MiB);
      assert.equal((fs.statSync(target).mode & 0o777).toString(8), "600");
      assert.equal(fs.readFileSync(target, "utf8"), mib.repeat(100));
    } finally {
      cleanup();
    }
  },
);

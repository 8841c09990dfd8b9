/**
 * The atomic replace's own contract, call by call: which files count as its temporary files,
 * what a failed write leaves (nothing), what it syncs, and what it says of an existing target.
 * Written from StrykerJS's survivors in atomic_replace.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/file_system.ts";
import {
  assertAbsent,
  atomicReplace,
  atomicWrite,
  isTempOf,
  removeStaleTemps,
} from "../../lib/store/atomic_replace.ts";
import { inTempDir, tempDir, writingInTurn } from "../helpers.ts";

/** The real file system, its fsyncs counted: `file` for an open file, `folder` for a folder. */
function syncCounting(): FileSystem & { syncs: string[] } {
  const syncs: string[] = [];
  const folders = new Set<number>();
  return {
    ...nodeFileSystem,
    syncs,
    open(path, mode) {
      const fd = nodeFileSystem.open(path, mode);
      if (mode === "directory") folders.add(fd);
      return fd;
    },
    fsync(fd) {
      syncs.push(folders.has(fd) ? "folder" : "file");
      nodeFileSystem.fsync(fd);
    },
    close(fd) {
      folders.delete(fd);
      nodeFileSystem.close(fd);
    },
  };
}

test("isTempOf knows its own temporary files and nothing else", () => {
  const target = "/h/sessions/rollout-a.jsonl";
  const yes = ["rollout-a.jsonl.tmp-k3j9x0q2ab", "rollout-a.jsonl.tmp-0"];
  const no = [
    "rollout-a.jsonl",
    "rollout-a.jsonl.tmp-",
    "rollout-a.jsonl.tmp-AB1",
    "rollout-a.jsonl.tmp-abc.x",
    "rollout-a.jsonl.tmp-abc-1",
    "x-rollout-a.jsonl.tmp-abc",
    "rollout-b.jsonl.tmp-abc",
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
  ];
  for (const name of yes) assert.equal(isTempOf(target, name), true, name);
  for (const name of no) assert.equal(isTempOf(target, name), false, name);
  const { dir, cleanup } = tempDir();
  try {
    for (const name of [...yes, ...no.filter((n) => !n.includes("/"))]) {
      fs.writeFileSync(`${dir}/${name}`, "x");
    }
    const removed = removeStaleTemps(nodeFileSystem, `${dir}/rollout-a.jsonl`, { sync: false });
    assert.deepEqual(removed.sort(), [...yes].sort());
    assert.deepEqual(fs.readdirSync(dir).sort(), no.filter((n) => !n.includes("/")).sort());
  } finally {
    cleanup();
  }
});

test("atomicWrite returns the bytes it wrote; a failing writer leaves the target as it was and no temporary file", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = `${dir}/copy.jsonl`;
    const text = "é".repeat(300_000) + "\n";
    const written = await atomicWrite(nodeFileSystem, target, { sync: false }, (put) => {
      for (let i = 0; i < text.length; i += 1000) put(text.slice(i, i + 1000));
    });
    assert.equal(written, fs.statSync(target).size);
    assert.equal(fs.readFileSync(target, "utf8"), text);
    await assert.rejects(
      atomicWrite(nodeFileSystem, target, { sync: false }, (put) => {
        put("half of a new copy\n".repeat(50_000));
        throw new Error("the source went away");
      }),
      /the source went away/,
    );
    assert.equal(fs.readFileSync(target, "utf8"), text, "the target untouched");
    assert.deepEqual(fs.readdirSync(dir), ["copy.jsonl"], "no temporary file left");
  } finally {
    cleanup();
  }
});

test("atomicReplace syncs the file and its folder when asked, and nothing when not", () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = `${dir}/doc.json`;
    for (const sync of [true, false]) {
      const fsys = syncCounting();
      atomicReplace(fsys, target, { bytes: new TextEncoder().encode(`{"sync":${sync}}`), sync });
      assert.deepEqual(fsys.syncs, sync ? ["file", "folder"] : [], `sync: ${sync}`);
      assert.equal(fs.readFileSync(target, "utf8"), `{"sync":${sync}}`);
    }
  } finally {
    cleanup();
  }
});

test("assertAbsent: a missing target is fine, an existing one is invalid_argument, any other failure an io_error", () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = `${dir}/rollout.jsonl`;
    assertAbsent(nodeFileSystem, target);
    fs.writeFileSync(target, "");
    assert.throws(() => assertAbsent(nodeFileSystem, target), {
      code: "invalid_argument",
      message: `Cannot create rollout "${target}": it exists`,
    });
    const denied: FileSystem = {
      ...nodeFileSystem,
      open() {
        throw Object.assign(new Error("EACCES: permission denied, open"), { code: "EACCES" });
      },
    };
    assert.throws(() => assertAbsent(denied, `${dir}/other.jsonl`), { code: "io_error" });
  } finally {
    cleanup();
  }
});

/**
 * The real file system, with `fdatasyncAsync` replaced: each sync ends (really syncing) at the
 * event loop's next turn, or when `release()` is called if `held`; what happens is logged. Its
 * writes are made in turn, so that a sync ahead starts as soon as a MiB is written (with writes
 * on their way, once the event loop has seen them end: tests/store/streamed_write_test.ts).
 */
function syncLogging(options: { held?: boolean; fail?: boolean } = {}) {
  const log: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const waiting: Array<() => void> = [];
  const fsys: FileSystem = {
    ...writingInTurn(nodeFileSystem),
    fdatasyncAsync(fd) {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      log.push("sync starts");
      return new Promise<void>((resolve, reject) => {
        const end = () => {
          running--;
          log.push("sync ends");
          if (options.fail === true) {
            reject(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
          } else {
            nodeFileSystem.fdatasync(fd);
            resolve();
          }
        };
        if (options.held === true) waiting.push(end);
        else setImmediate(end);
      });
    },
    fsync(fd) {
      log.push("fsync");
      nodeFileSystem.fsync(fd);
    },
    close(fd) {
      log.push("close");
      nodeFileSystem.close(fd);
    },
  };
  return {
    fsys,
    log,
    mostAtOnce: () => mostAtOnce,
    release: () => waiting.splice(0).forEach((end) => end()),
  };
}

const MiB = 1024 * 1024;

/**
 * Starts an atomicWrite of `write` into `dir` whose syncs ahead are held until `release()`, and
 * returns once the write waits on one (a turn of the event loop later).
 */
async function withHeldSync(
  dir: string,
  options: { fail?: boolean },
  write: Parameters<typeof atomicWrite>[3],
) {
  const logged = syncLogging({ held: true, ...options });
  const writing = atomicWrite(logged.fsys, `${dir}/copy.jsonl`, {
    sync: true,
    syncAhead: MiB,
  }, write);
  // Settled by the caller's await; no unhandled rejection meanwhile.
  writing.catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 0));
  return { logged, writing };
}

test("atomicWrite syncs ahead while it writes, one sync at a time, each started once `between` let the last end", async () => {
  await inTempDir(async (dir) => {
    const target = `${dir}/copy.jsonl`;
    const logged = syncLogging();
    const piece = "x".repeat(256 * 1024 - 1) + "\n";
    await atomicWrite(logged.fsys, target, { sync: true, syncAhead: MiB }, async (put, between) => {
      for (let i = 0; i < 24; i++) {
        put(piece);
        if (i % 4 === 3) await between();
      }
    });
    assert.equal(fs.readFileSync(target, "utf8"), piece.repeat(24));
    const starts = logged.log.filter((e) => e === "sync starts").length;
    // 6 MiB written a MiB at a time: a sync after each but the first ends while writing goes on.
    assert.ok(starts >= 4, logged.log.join(", "));
    assert.equal(logged.mostAtOnce(), 1);
    // The final sync makes it durable, after every sync ahead ended; then the file closes (and
    // its folder is synced and closed).
    assert.equal(logged.log.lastIndexOf("sync ends"), logged.log.indexOf("fsync") - 1);
    assert.deepEqual(logged.log.slice(logged.log.indexOf("fsync")), [
      "fsync",
      "close",
      "fsync",
      "close",
    ]);
  });
});

test("atomicWrite closes the file only after a sync ahead still running at the end has ended", async () => {
  await inTempDir(async (dir) => {
    const target = `${dir}/copy.jsonl`;
    const { logged, writing } = await withHeldSync(dir, {}, (put) => {
      put("y".repeat(2 * MiB));
    });
    // atomicWrite waits for the sync ahead; nothing is closed yet.
    assert.deepEqual(logged.log, ["sync starts"]);
    logged.release();
    await writing;
    // The file's sync and close, then its folder's.
    assert.deepEqual(logged.log, ["sync starts", "sync ends", "fsync", "close", "fsync", "close"]);
    assert.equal(fs.statSync(target).size, 2 * MiB);
  });
});

test("atomicWrite fails when a sync ahead fails, and leaves no file behind", async () => {
  await inTempDir(async (dir) => {
    const target = `${dir}/copy.jsonl`;
    const logged = syncLogging({ fail: true });
    await assert.rejects(
      atomicWrite(logged.fsys, target, { sync: true, syncAhead: MiB }, async (put, between) => {
        for (let i = 0; i < 8; i++) {
          put("z".repeat(MiB));
          await between();
        }
      }),
      /EIO/,
    );
    // It stopped at the first write after the failure, not at the end.
    assert.ok(logged.log.filter((e) => e === "sync starts").length === 1, logged.log.join(", "));
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

test("atomicWrite whose writer fails keeps the file open until the sync ahead has ended, then removes it", async () => {
  await inTempDir(async (dir) => {
    const { logged, writing } = await withHeldSync(dir, {}, (put) => {
      // Four MiB: a sync ahead starts at the first, and no second one while it runs.
      for (let i = 0; i < 4; i++) put("w".repeat(MiB));
      throw new Error("the source went away");
    });
    assert.deepEqual(logged.log, ["sync starts"]);
    logged.release();
    await assert.rejects(writing, /the source went away/);
    assert.deepEqual(logged.log, ["sync starts", "sync ends", "close"]);
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

test("atomicWrite fails when a sync ahead fails after the last write: its error is not lost to the final sync", async () => {
  // Linux says an I/O error once per open file: after a failed fdatasync the final fsync of the
  // same descriptor may succeed, so only the failure seen ahead tells the copy is not on disk.
  await inTempDir(async (dir) => {
    const { logged, writing } = await withHeldSync(dir, { fail: true }, (put) => {
      put("v".repeat(2 * MiB));
    });
    logged.release();
    await assert.rejects(writing, /EIO/);
    assert.ok(!logged.log.includes("fsync"), logged.log.join(", "));
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

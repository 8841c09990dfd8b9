import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { type FileSystem, nodeFileSystem, type OpenMode } from "../../lib/runtime/file_system.ts";
import { archiveRollout, restoreRollout } from "../../lib/store/archive.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { setup, skipReason, tempDir } from "../helpers.ts";
import { ARCHIVE_MUTANTS, sourceMutantsSkip, withMutant } from "../reliability/source_mutants.ts";
import { REAL_WRITERS, type Writers } from "../reliability/writers.ts";

const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
const ID = "019abc00-0000-7000-8000-0000000a4c01";
const PAST = new Date("2026-10-01T08:00:00.000Z");
const hasZstd = spawnSync("zstd", ["--version"]).status === 0;
/** The tests that apply a deliberate bug (source_mutants.ts). */
const mutants = { skip: skipReason("archive_test.ts", sourceMutantsSkip()) };
const SCREENSHOT = `data:image/png;base64,${"iVBORw0KGgo".repeat(4000)}`;

/** A recorded session with repeated screenshots, last changed at PAST; returns its path. */
async function session(home: string, turns = 6): Promise<string> {
  const rec = await RolloutRecorder.create({ home, meta: { id: ID, cwd: "/repo" } });
  for (let turn = 0; turn < turns; turn++) {
    await rec.recordItems([{
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: `look ${turn}` }, {
        type: "input_image",
        image_url: SCREENSHOT,
      }],
    }]);
  }
  await rec.close();
  fs.utimesSync(rec.path!, PAST, PAST);
  return rec.path!;
}

const names = (file: string) => fs.readdirSync(path.dirname(file)).sort();

test("archiveRollout() compresses to <name>.zst with the same time, readable by rollout and zstd; restoreRollout() brings back the same bytes", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    const original = fs.readFileSync(file);
    const before = loadRollout(file).saved;
    const done = await archiveRollout(file);
    const packed = `${file}.zst`;
    assert.deepEqual(done, {
      status: "archived",
      path: file,
      archive: packed,
      bytesBefore: original.length,
      bytesAfter: fs.statSync(packed).size,
    });
    assert.ok(done.bytesAfter * 20 < original.length, `${done.bytesAfter} of ${original.length}`);
    assert.deepEqual(names(file), [path.basename(packed)]);
    assert.ok(Math.abs(fs.statSync(packed).mtimeMs - PAST.getTime()) < 0.01, "time kept");
    assert.equal(fs.statSync(packed).mode & 0o777, 0o600);
    assert.deepEqual(loadRollout(packed).saved, before);
    assert.deepEqual(zlib.zstdDecompressSync(fs.readFileSync(packed)), original);
    const back = await restoreRollout(packed);
    assert.deepEqual(back, {
      status: "restored",
      path: file,
      from: packed,
      bytes: original.length,
    });
    assert.deepEqual(names(file), [path.basename(file)]);
    assert.deepEqual(fs.readFileSync(file), original);
    assert.ok(Math.abs(fs.statSync(file).mtimeMs - PAST.getTime()) < 0.01, "time kept");
  } finally {
    cleanup();
  }
});

test("archiveRollout() reports its progress in order, up to twice the size (compressed, then checked)", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir, 40);
    const size = fs.statSync(file).size;
    const seen: number[] = [];
    await archiveRollout(file, { pieceBytes: 16 * 1024, progress: (done) => seen.push(done) });
    assert.ok(seen.length > 4, `${seen.length} reports`);
    assert.deepEqual([...seen].sort((a, b) => a - b), seen);
    assert.ok(seen.some((n) => n === size), "the compression reached the end of the file");
    assert.equal(seen.at(-1), 2 * size);
  } finally {
    cleanup();
  }
});

test("archiveRollout() writes what `zstd -d` restores byte for byte", {
  skip: skipReason("archive_test.ts", hasZstd ? false : "zstd is not installed"),
}, async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    const original = fs.readFileSync(file);
    await archiveRollout(file, { level: 19 });
    const unpacked = spawnSync("zstd", ["-d", "-c", `${file}.zst`], { maxBuffer: 1 << 28 });
    assert.equal(unpacked.status, 0, String(unpacked.stderr));
    assert.deepEqual(new Uint8Array(unpacked.stdout), new Uint8Array(original));
  } finally {
    cleanup();
  }
});

test("archiveRollout() skips a session held by a writer and changes nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    const original = fs.readFileSync(file);
    const { recorder } = await RolloutRecorder.resume(file);
    fs.utimesSync(file, PAST, PAST);
    const done = await archiveRollout(file);
    assert.deepEqual(done, {
      status: "skipped",
      path: file,
      reason: "locked",
      message: `held by a writer (process ${process.pid})`,
    });
    assert.deepEqual(names(file), [path.basename(file), `${path.basename(file)}.lock`]);
    const restore = await restoreRollout(`${file}.zst`);
    assert.equal(restore.status, "skipped");
    await recorder.close();
    assert.deepEqual(fs.readFileSync(file), original);
    assert.equal((await archiveRollout(file)).status, "archived");
  } finally {
    cleanup();
  }
});

test("archiveRollout() skips a document, an archive, an empty file and zstd under a plain name", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const write = (name: string, bytes: Uint8Array | string) => {
      fs.writeFileSync(path.join(dir, name), bytes);
      return path.join(dir, name);
    };
    const cases: [string, string, string][] = [
      [
        write("a.json", "{}"),
        "document",
        "not a line rollout (*.jsonl): Codex reads only those compressed",
      ],
      [
        write("b.jsonl.zst", zlib.zstdCompressSync(Buffer.from("x\n"))),
        "archived",
        "already archived",
      ],
      [write("c.jsonl", ""), "empty", "an empty file"],
      [
        write("d.jsonl", zlib.zstdCompressSync(Buffer.from("x\n"))),
        "compressed",
        "it holds zstd already; rename it to end in .jsonl.zst",
      ],
      [path.join(dir, "e.jsonl"), "missing", "it is gone (archived or removed meanwhile)"],
    ];
    const listed = fs.readdirSync(dir).sort();
    for (const [file, reason, message] of cases) {
      assert.deepEqual(await archiveRollout(file), {
        status: "skipped",
        path: file,
        reason,
        message,
      });
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), listed);
  } finally {
    cleanup();
  }
});

test("archiveRollout() replaces a stale archive beside the plain file and removes a killed run's temporary files", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    const original = fs.readFileSync(file);
    fs.writeFileSync(`${file}.zst`, zlib.zstdCompressSync(original.subarray(0, 100)));
    fs.writeFileSync(`${file}.zst.tmp-k1ll3d`, "half a copy");
    fs.writeFileSync(`${file}.tmp-k1ll3d`, "half a restore");
    assert.equal((await archiveRollout(file)).status, "archived");
    assert.deepEqual(names(file), [`${path.basename(file)}.zst`]);
    assert.deepEqual(zlib.zstdDecompressSync(fs.readFileSync(`${file}.zst`)), original);
  } finally {
    cleanup();
  }
});

test("archiveRollout() of an archive removes what a killed restore left beside it", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    await archiveRollout(file);
    fs.writeFileSync(`${file}.tmp-k1ll3d`, "half a restore");
    assert.deepEqual(await archiveRollout(`${file}.zst`), {
      status: "skipped",
      path: `${file}.zst`,
      reason: "archived",
      message: "already archived",
    });
    assert.deepEqual(names(file), [`${path.basename(file)}.zst`]);
  } finally {
    cleanup();
  }
});

test("restoreRollout() beside a plain file: removes an archive the plain file contains, keeps one that differs", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    const original = fs.readFileSync(file);
    const packed = `${file}.zst`;
    fs.writeFileSync(packed, zlib.zstdCompressSync(original.subarray(0, original.length - 40)));
    assert.deepEqual(await restoreRollout(packed), {
      status: "plain_stands",
      path: file,
      from: packed,
      removed: true,
    });
    assert.deepEqual(names(file), [path.basename(file)]);
    fs.writeFileSync(packed, zlib.zstdCompressSync(Buffer.from("another session\n")));
    assert.deepEqual(await restoreRollout(packed), {
      status: "plain_stands",
      path: file,
      from: packed,
      removed: false,
    });
    assert.deepEqual(names(file), [path.basename(file), path.basename(packed)]);
    assert.deepEqual(fs.readFileSync(file), original);
  } finally {
    cleanup();
  }
});

test("restoreRollout() refuses a cut or corrupt archive, keeps it and writes nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    const packed = `${file}.zst`;
    const whole = zlib.zstdCompressSync(fs.readFileSync(file), {
      params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 },
    });
    fs.rmSync(file);
    const flipped = whole.slice();
    flipped[flipped.length - 1]! ^= 0xff;
    const cases: [Uint8Array, RegExp][] = [
      [
        whole.subarray(0, whole.length - 2),
        /it is damaged at byte \d+: the last block or the checksum is cut short/,
      ],
      [whole.subarray(0, 9), /it is damaged at byte 9: a block header is cut short/],
      [flipped, /zstd cannot decompress it \(.*checksum/],
    ];
    for (const [bytes, message] of cases) {
      fs.writeFileSync(packed, bytes);
      await assert.rejects(restoreRollout(packed), (error: Error & { code: string }) => {
        assert.equal(error.code, "invalid_rollout");
        assert.match(
          error.message,
          new RegExp(`^Cannot restore "${packed.replaceAll(".", "\\.")}": `),
        );
        assert.match(error.message, message);
        assert.match(error.message, /; it is kept as it is$/);
        return true;
      });
      assert.deepEqual(names(file), [path.basename(packed)]);
      assert.deepEqual(fs.readFileSync(packed), Buffer.from(bytes));
    }
  } finally {
    cleanup();
  }
});

/** The real file system, but writes to temporary files have one byte flipped. */
function corruptingFs(): FileSystem {
  const temps = new Set<number>();
  return {
    ...nodeFileSystem,
    open(file: string, mode: OpenMode) {
      const fd = nodeFileSystem.open(file, mode);
      if (mode === "create_exclusive" && file.includes(".tmp-")) temps.add(fd);
      return fd;
    },
    write(fd: number, data: Uint8Array) {
      if (!temps.has(fd) || data.length < 64) return nodeFileSystem.write(fd, data);
      const bad = data.slice();
      bad[bad.length >> 1]! ^= 1;
      return nodeFileSystem.write(fd, bad);
    },
  };
}

test("archiveRollout() refuses a copy that does not decompress to the original: the original stays, no copy is left", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    const original = fs.readFileSync(file);
    await assert.rejects(
      archiveRollout(file, { fs: corruptingFs() }),
      (error: Error & { code: string }) => {
        assert.equal(error.code, "io_error");
        assert.match(
          error.message,
          /^Cannot archive rollout ".*": the compressed copy does not match the original \(.*\); the original is kept$/,
        );
        return true;
      },
    );
    assert.deepEqual(names(file), [path.basename(file)]);
    assert.deepEqual(fs.readFileSync(file), original);
  } finally {
    cleanup();
  }
});

test(
  "archiveRollout() without its byte-for-byte check (the mutant no_verify) lets the damaged copy replace the session",
  mutants,
  async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      // The test above relies on the check: without it the damaged copy replaces the session.
      const file = await session(dir);
      const original = fs.readFileSync(file);
      const unchecked = await withMutant(
        ARCHIVE_MUTANTS.no_verify,
        (writers) => writers.archiveRollout(file, { fs: corruptingFs() }),
      );
      assert.equal(unchecked.status, "archived");
      assert.throws(() => {
        if (!zlib.zstdDecompressSync(fs.readFileSync(`${file}.zst`)).equals(original)) {
          throw new Error("damaged");
        }
      });
    } finally {
      cleanup();
    }
  },
);

test("archiveRollout() leaves a file that grew while it was compressed as it is", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await session(dir);
    let grown = false;
    const appending: FileSystem = {
      ...nodeFileSystem,
      write(fd, data) {
        if (!grown) {
          grown = true;
          fs.appendFileSync(file, '{"late":true}\n');
        }
        return nodeFileSystem.write(fd, data);
      },
    };
    const done = await archiveRollout(file, { fs: appending });
    assert.deepEqual(done, {
      status: "skipped",
      path: file,
      reason: "changed",
      message: "it changed while it was being archived; try again",
    });
    assert.deepEqual(names(file), [path.basename(file)]);
    assert.ok(fs.readFileSync(file, "utf8").endsWith('{"late":true}\n'));
  } finally {
    cleanup();
  }
});

/** The real file system, logging each call by what it touches: plain, archive, temp, folder. */
function recordingFs(plain: string, log: string[]): FileSystem {
  const fds = new Map<number, string>();
  const role = (file: string) =>
    file === plain
      ? "plain"
      : file === `${plain}.zst`
      ? "archive"
      : file.includes(".tmp-")
      ? "temp"
      : file === path.dirname(plain)
      ? "folder"
      : file;
  const note = (entry: string) => {
    if (log.at(-1) !== entry) log.push(entry);
  };
  const byFd = (call: string) => (fd: number) => note(`${call} ${fds.get(fd)}`);
  const wrap = <A extends unknown[], R>(
    log: (...args: A) => void,
    run: (...args: A) => R,
  ) =>
  (...args: A): R => {
    log(...args);
    return run(...args);
  };
  return {
    ...nodeFileSystem,
    open(file: string, mode: OpenMode) {
      const fd = nodeFileSystem.open(file, mode);
      fds.set(fd, role(file));
      note(`open ${role(file)} ${mode}`);
      return fd;
    },
    read: wrap((fd) => byFd("read")(fd), nodeFileSystem.read),
    write: wrap((fd) => byFd("write")(fd), nodeFileSystem.write),
    size: wrap((fd) => byFd("size")(fd), nodeFileSystem.size),
    mtime: wrap((fd) => byFd("mtime")(fd), nodeFileSystem.mtime),
    setMtime: wrap((fd) => byFd("setMtime")(fd), nodeFileSystem.setMtime),
    fsync: wrap((fd) => byFd("fsync")(fd), nodeFileSystem.fsync),
    fdatasync: wrap((fd) => byFd("fdatasync")(fd), nodeFileSystem.fdatasync),
    close: wrap((fd) => byFd("close")(fd), nodeFileSystem.close),
    rename: wrap((from, to) => note(`rename ${role(from)} ${role(to)}`), nodeFileSystem.rename),
    unlink: wrap((file) => note(`unlink ${role(file)}`), nodeFileSystem.unlink),
    readdir: wrap((dir) => note(`readdir ${role(dir)}`), nodeFileSystem.readdir),
  };
}

/** The calls of one archive and one restore, consecutive repeats folded. */
async function recipes(dir: string, writers: Writers): Promise<[string[], string[]]> {
  const file = await session(dir);
  const archived: string[] = [];
  const restored: string[] = [];
  // One piece for the whole session, so each read and write of the copy is one call.
  const pieceBytes = 4 << 20;
  await writers.archiveRollout(file, { fs: recordingFs(file, archived), pieceBytes });
  await writers.restoreRollout(`${file}.zst`, { fs: recordingFs(file, restored), pieceBytes });
  fs.rmSync(path.join(dir, "sessions"), { recursive: true, force: true });
  return [archived, restored];
}

/**
 * Written aside, given the original's time, synced, closed, read back and compared, checked
 * unchanged, renamed, the folder synced, checked unchanged again, the original removed and the
 * folder synced (a session of one piece: each read and write is one call).
 */
const ARCHIVE_RECIPE = [
  "readdir folder",
  "open plain read",
  "size plain",
  "mtime plain",
  "read plain",
  "open temp create_exclusive",
  "read plain",
  "write temp",
  "setMtime temp",
  "fsync temp",
  "close temp",
  "open temp read",
  "size temp",
  "read temp",
  "read plain",
  "size plain",
  "mtime plain",
  "close temp",
  "rename temp archive",
  "open folder directory",
  "fsync folder",
  "close folder",
  "size plain",
  "mtime plain",
  "unlink plain",
  "open folder directory",
  "fsync folder",
  "close folder",
  "close plain",
];

const RESTORE_RECIPE = [
  "readdir folder",
  "open archive read",
  "size archive",
  "mtime archive",
  "read archive",
  "open temp create_exclusive",
  "read archive",
  "write temp",
  "setMtime temp",
  "fsync temp",
  "close temp",
  "open temp read",
  "size temp",
  "read archive",
  "read temp",
  "close temp",
  "rename temp plain",
  "open folder directory",
  "fsync folder",
  "close folder",
  "unlink archive",
  "open folder directory",
  "fsync folder",
  "close folder",
  "close archive",
];

test("archiveRollout() and restoreRollout() follow the recipe call by call", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    assert.deepEqual(await recipes(dir, REAL_WRITERS), [ARCHIVE_RECIPE, RESTORE_RECIPE]);
  } finally {
    cleanup();
  }
});

test(
  "archiveRollout() and restoreRollout() recipes: each broken order is seen",
  mutants,
  async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      for (const mutant of ["no_folder_sync", "no_sync_before_rename", "no_verify"] as const) {
        const [archived, restored] = await withMutant(
          ARCHIVE_MUTANTS[mutant],
          (writers) => recipes(dir, writers),
        );
        assert.notDeepEqual(archived, ARCHIVE_RECIPE, mutant);
        assert.notDeepEqual(restored, RESTORE_RECIPE, mutant);
      }
    } finally {
      cleanup();
    }
  },
);

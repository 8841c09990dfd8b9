/**
 * archiveRollout() and restoreRollout() at their edges: whose lock they take, what they sync
 * (and nothing with `sync: false`), restore's progress, a restore asked of a plain name or of
 * an archive that is gone, and a disk failing in the middle of either (an I/O error, both
 * forms of the session as they were).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/mod.ts";
import { RolloutError } from "../../lib/schemas/mod.ts";
import {
  archiveRollout,
  restoreRollout,
  RolloutRecorder,
  WriterLock,
} from "../../lib/store/mod.ts";
import { FaultyFileSystem } from "../reliability/faulty_fs.ts";
import { inTempDir, userMessage } from "../helpers.ts";

const ID = "019abc00-0000-7000-8000-0000000a4ce1";

/** A recorded session of a few turns; returns its path. */
async function session(home: string): Promise<string> {
  const rec = await RolloutRecorder.create({ home, meta: { id: ID, cwd: "/repo" } });
  for (let turn = 0; turn < 20; turn++) {
    await rec.recordItems([userMessage(`turn ${turn}: ${"words of the turn ".repeat(40)}`)]);
  }
  await rec.close();
  return rec.path!;
}

/** The node file system, counting its syncs (a FaultyFileSystem that never fails). */
function countingSyncs(): { fsys: FileSystem; syncs: () => number } {
  const fsys = new FaultyFileSystem(nodeFileSystem, {
    failAt: Infinity,
    code: "EIO",
    sticky: false,
  });
  return { fsys, syncs: () => fsys.syncs };
}

/** The node file system whose reads fail with EIO once `failAfter` reads went well. */
function failingReads(failAfter: number): FileSystem {
  let reads = 0;
  return {
    ...nodeFileSystem,
    read: (fd, into, at) => {
      if (++reads > failAfter) {
        throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
      }
      return nodeFileSystem.read(fd, into, at);
    },
  };
}

const names = (file: string) => fs.readdirSync(path.dirname(file)).sort();

test("archive and restore hold the session's lock for the given process, else this one", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    const holders = new Set<string | null>();
    const seen = () => holders.add(WriterLock.heldBy(file));
    await archiveRollout(file, { pid: 777, progress: seen });
    assert.deepEqual([...holders], ["process 777"]);
    holders.clear();
    await restoreRollout(`${file}.zst`, { progress: seen });
    assert.deepEqual([...holders], [`process ${process.pid}`]);
    assert.equal(WriterLock.heldBy(file), null);
  });
});

test("archive and restore sync the copy and the folder, and nothing with sync: false", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    const synced = countingSyncs();
    await archiveRollout(file, { fs: synced.fsys });
    // The copy, the folder after the rename, the folder after the original went.
    assert.ok(synced.syncs() >= 3, `archive: ${synced.syncs()} syncs`);
    const restoredSynced = countingSyncs();
    await restoreRollout(`${file}.zst`, { fs: restoredSynced.fsys });
    assert.ok(restoredSynced.syncs() >= 3, `restore: ${restoredSynced.syncs()} syncs`);

    const none = countingSyncs();
    await archiveRollout(file, { fs: none.fsys, sync: false });
    await restoreRollout(`${file}.zst`, { fs: none.fsys, sync: false });
    // Stale temporary files are removed without syncs too.
    fs.writeFileSync(`${file}.tmp-killedrun1`, "x");
    await archiveRollout(`${file}.zst`, { fs: none.fsys, sync: false });
    assert.equal(none.syncs(), 0);
    assert.deepEqual(names(file), [path.basename(file)]);
    // By default their removal is made durable.
    await archiveRollout(file);
    fs.writeFileSync(`${file}.tmp-killedrun2`, "x");
    const tidied = countingSyncs();
    await archiveRollout(`${file}.zst`, { fs: tidied.fsys });
    assert.ok(tidied.syncs() >= 1, "the removal of a temporary file is not synced");
    assert.deepEqual(names(file), [`${path.basename(file)}.zst`]);
  });
});

test("restore reports its progress in order, up to twice the archive's size", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    await archiveRollout(file);
    const size = fs.statSync(`${file}.zst`).size;
    const seen: number[] = [];
    await restoreRollout(`${file}.zst`, { pieceBytes: 512, progress: (n) => seen.push(n) });
    assert.ok(seen.length > 2, `${seen.length} reports`);
    assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]!), `out of order: ${seen}`);
    assert.ok(seen.some((n) => n > size && n < 2 * size), "no report while checking");
    assert.ok(Math.abs(seen.at(-1)! - 2 * size) < 1e-6, `${seen.at(-1)} for ${size} bytes`);
  });
});

test("restore is asked of a .jsonl.zst only, and says when the archive is gone", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    await assert.rejects(
      restoreRollout(file),
      (error: unknown) =>
        error instanceof RolloutError && error.code === "invalid_argument" &&
        error.message ===
          `Cannot restore "${file}": only a compressed rollout (*.jsonl.zst) can be restored`,
    );
    // Only the plain file: another process restored it meanwhile.
    assert.deepEqual(await restoreRollout(`${file}.zst`), {
      status: "skipped",
      path: `${file}.zst`,
      reason: "missing",
      message: "it is gone (restored meanwhile)",
    });
    // Neither form: not found, naming the archive.
    fs.rmSync(file);
    await assert.rejects(
      restoreRollout(`${file}.zst`),
      (error: unknown) =>
        error instanceof RolloutError && error.code === "not_found" &&
        error.message === `Cannot restore rollout "${file}.zst": no such file or directory`,
    );
  });
});

test("a disk failing under archive or restore is an I/O error; both forms stay as they were", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    const original = fs.readFileSync(file);
    for (const failAfter of [0, 1, 3]) {
      await assert.rejects(
        archiveRollout(file, { fs: failingReads(failAfter), pieceBytes: 4096 }),
        (error: unknown) =>
          error instanceof RolloutError && error.code === "io_error" &&
          error.message.startsWith(`Cannot archive rollout "${file}": `),
        `after ${failAfter} reads`,
      );
      assert.deepEqual(names(file), [path.basename(file)], `after ${failAfter} reads`);
      assert.deepEqual(fs.readFileSync(file), original);
    }
    await archiveRollout(file);
    const packed = fs.readFileSync(`${file}.zst`);
    for (const failAfter of [0, 1, 3]) {
      await assert.rejects(
        restoreRollout(`${file}.zst`, { fs: failingReads(failAfter), pieceBytes: 512 }),
        (error: unknown) =>
          error instanceof RolloutError && error.code === "io_error" &&
          error.message.startsWith(`Cannot restore rollout "${file}.zst": `),
        `after ${failAfter} reads`,
      );
      assert.deepEqual(names(file), [`${path.basename(file)}.zst`], `after ${failAfter} reads`);
      assert.deepEqual(fs.readFileSync(`${file}.zst`), packed);
    }
  });
});

/** The node file system with `open` of `file` failing with `code`. */
function refusingOpen(file: string, code: string): FileSystem {
  return {
    ...nodeFileSystem,
    open: (at, mode) => {
      if (at === file) throw Object.assign(new Error(`${code}: refused, open`), { code });
      return nodeFileSystem.open(at, mode);
    },
  };
}

test("a file that cannot be opened or measured is an I/O error naming it, not a session gone", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    /** Rejects with an I/O error saying `what` of `where`, ending in the system's code. */
    const rejectsWith = (work: Promise<unknown>, what: string, where: string, errno: string) =>
      assert.rejects(
        work,
        (error: unknown) =>
          error instanceof RolloutError && error.code === "io_error" &&
          error.message.startsWith(`Cannot ${what} "${where}": `) &&
          error.message.endsWith(`(${errno})`),
      );
    await rejectsWith(
      archiveRollout(file, { fs: refusingOpen(file, "EACCES") }),
      "archive rollout",
      file,
      "EACCES",
    );
    const unmeasured: FileSystem = {
      ...nodeFileSystem,
      size: () => {
        throw Object.assign(new Error("EIO: i/o error, fstat"), { code: "EIO" });
      },
    };
    await rejectsWith(
      archiveRollout(file, { fs: unmeasured }),
      "archive rollout",
      file,
      "EIO",
    );
    await archiveRollout(file);
    const packed = `${file}.zst`;
    await rejectsWith(
      restoreRollout(packed, { fs: refusingOpen(packed, "EACCES") }),
      "restore rollout",
      packed,
      "EACCES",
    );
    // The plain form is looked at too: when the archive is gone, and beside it.
    await rejectsWith(
      restoreRollout(packed, { fs: refusingOpen(file, "EACCES") }),
      "restore rollout",
      file,
      "EACCES",
    );
    fs.renameSync(packed, `${packed}.aside`);
    await rejectsWith(
      restoreRollout(packed, { fs: refusingOpen(file, "EACCES") }),
      "restore rollout",
      file,
      "EACCES",
    );
    fs.renameSync(`${packed}.aside`, packed);
    // The folder cannot be listed for a killed run's temporary files.
    const unlisted: FileSystem = {
      ...nodeFileSystem,
      readdir: () => {
        throw Object.assign(new Error("EIO: i/o error, scandir"), { code: "EIO" });
      },
    };
    await assert.rejects(
      restoreRollout(packed, { fs: unlisted }),
      (error: unknown) =>
        error instanceof RolloutError &&
        error.message.startsWith(`Cannot remove temporary files of "${file}": `),
    );
    assert.deepEqual(names(file), [`${path.basename(file)}.zst`]);
  });
});

test("the lock: a caller holding it passes lock: false; another error of the lock is no skip", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    const lock = WriterLock.acquire(file, { pid: process.pid });
    try {
      const archived = await archiveRollout(file, { lock: false });
      assert.equal(archived.status, "archived");
      const restored = await restoreRollout(`${file}.zst`, { lock: false });
      assert.equal(restored.status, "restored");
    } finally {
      lock.release();
    }
    // The lock file cannot be made (a folder stands in its place): an error, not "held".
    fs.rmSync(`${file}.lock`, { force: true });
    fs.mkdirSync(`${file}.lock`);
    await assert.rejects(
      archiveRollout(file),
      (error: unknown) => error instanceof RolloutError && error.code !== "locked",
    );
    assert.deepEqual(names(file), [path.basename(file), `${path.basename(file)}.lock`]);
  });
});

test("archive: a file appended to between the check and the rename keeps no copy", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    const line = `${JSON.stringify({ appended: true })}\n`;
    const racing: FileSystem = {
      ...nodeFileSystem,
      rename: (from, to) => {
        if (to === `${file}.zst`) fs.appendFileSync(file, line);
        nodeFileSystem.rename(from, to);
      },
    };
    const outcome = await archiveRollout(file, { fs: racing });
    assert.equal(outcome.status, "skipped");
    assert.equal((outcome as { reason: string }).reason, "changed");
    assert.deepEqual(names(file), [path.basename(file)]);
    assert.ok(fs.readFileSync(file, "utf8").endsWith(line));
  });
});

test("a copy that does not check out is refused with what differs, and nothing is left of it", async () => {
  await inTempDir(async (home) => {
    const file = await session(home);
    const original = fs.readFileSync(file);
    /** Writes of temporary files with one byte changed. */
    const corrupting: FileSystem = {
      ...nodeFileSystem,
      write: (fd, data) => {
        const changed = new Uint8Array(data);
        changed[Math.floor(changed.length / 2)]! ^= 0x20;
        return nodeFileSystem.write(fd, changed);
      },
    };
    await assert.rejects(
      archiveRollout(file, { fs: corrupting }),
      (error: unknown) =>
        error instanceof RolloutError && error.code === "io_error" &&
        error.message.startsWith(
          `Cannot archive rollout "${file}": the compressed copy does not match the original (`,
        ) && error.message.endsWith("); the original is kept"),
    );
    assert.deepEqual(names(file), [path.basename(file)]);
    assert.deepEqual(fs.readFileSync(file), original);

    await archiveRollout(file);
    const packed = `${file}.zst`;
    await assert.rejects(
      restoreRollout(packed, { fs: corrupting }),
      (error: unknown) =>
        error instanceof RolloutError && error.code === "invalid_rollout" &&
        /^Cannot restore "[^"]+": byte \d+ differs; it is kept as it is$/.test(error.message),
    );
    // A plain copy longer than the archive holds (bytes added before its time is set).
    const longer: FileSystem = {
      ...nodeFileSystem,
      setMtime: (fd, ms) => {
        nodeFileSystem.write(fd, new TextEncoder().encode("extra\n"));
        nodeFileSystem.setMtime(fd, ms);
      },
    };
    await assert.rejects(
      restoreRollout(packed, { fs: longer }),
      (error: unknown) =>
        error instanceof RolloutError && error.code === "invalid_rollout" &&
        error.message ===
          `Cannot restore "${packed}": the plain copy came out longer; it is kept as it is`,
    );
    assert.deepEqual(names(file), [`${path.basename(file)}.zst`]);
  });
});

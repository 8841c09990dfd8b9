/**
 * The writer lock's edges in one process: the names of one file (symbolic links, a linked
 * folder, hard links), the files that are no rollout, lock files that cannot be made or
 * removed, `heldBy` for dry runs, and `holdFile` after a restore.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { lockPathOf, WriterLock } from "../../lib/store/writer_lock.ts";
import { inTempDir } from "../helpers.ts";

/** Runs `body` in a new folder, named by its real path (symbolic links resolved). */
function inTemp(body: (dir: string) => void): Promise<void> {
  return inTempDir((dir) => body(fs.realpathSync(dir)), "rollout-lock-");
}

test("two names of one existing file share its lock: a symbolic link to it", async () => {
  await inTemp((dir) => {
    const file = path.join(dir, "a.jsonl");
    fs.writeFileSync(file, "");
    const link = path.join(dir, "link.jsonl");
    fs.symlinkSync(file, link);
    const lock = WriterLock.acquire(link, { pid: 31 });
    assert.equal(lock.path, lockPathOf(file));
    assert.throws(() => WriterLock.acquire(file, { pid: 1 }), {
      code: "locked",
      message: `Cannot write rollout "${file}": it is locked by process 31`,
    });
    lock.release();
    assert.equal(fs.existsSync(lockPathOf(file)), false);
  });
});

test("two names of a file not made yet share its lock: a linked folder", async () => {
  await inTemp((dir) => {
    fs.mkdirSync(path.join(dir, "real"));
    fs.symlinkSync(path.join(dir, "real"), path.join(dir, "linked"));
    const lock = WriterLock.acquire(path.join(dir, "linked", "new.jsonl"), { pid: 32 });
    assert.equal(lock.path, lockPathOf(path.join(dir, "real", "new.jsonl")));
    assert.throws(() => WriterLock.acquire(path.join(dir, "real", "new.jsonl"), { pid: 1 }), {
      code: "locked",
    });
    lock.release();
  });
});

test("a hard link to a file being written is refused, and so after holdFile once it exists", async () => {
  await inTemp((dir) => {
    const file = path.join(dir, "a.jsonl");
    fs.writeFileSync(file, "");
    fs.linkSync(file, path.join(dir, "b.jsonl"));
    const lock = WriterLock.acquire(file, { pid: 33 });
    assert.throws(() => WriterLock.acquire(path.join(dir, "b.jsonl"), { pid: 1 }), {
      code: "locked",
      message: `Cannot write rollout "${
        path.join(dir, "b.jsonl")
      }": it is being written under another name (a hard link to the same file)`,
    });
    // The refused attempt left the holder's lock file alone.
    assert.equal(fs.readFileSync(lockPathOf(file), "utf8"), "33\n");
    lock.release();
    WriterLock.acquire(path.join(dir, "b.jsonl"), { pid: 1 }).release();

    // A file that did not exist when its lock was taken (restored since) is held on request.
    const later = path.join(dir, "later.jsonl");
    const early = WriterLock.acquire(later, { pid: 34 });
    fs.writeFileSync(later, "");
    fs.linkSync(later, path.join(dir, "later-link.jsonl"));
    // Not held yet: the other name's own lock is free, and so is the file.
    WriterLock.acquire(path.join(dir, "later-link.jsonl"), { pid: 1 }).release();
    early.holdFile(later);
    early.holdFile(later); // a second call changes nothing
    assert.throws(() => WriterLock.acquire(path.join(dir, "later-link.jsonl"), { pid: 1 }), {
      code: "locked",
    });
    early.release();
    // Released: holding the file again is refused quietly, and nothing stays locked.
    early.holdFile(later);
    WriterLock.acquire(path.join(dir, "later-link.jsonl"), { pid: 1 }).release();
  });
});

test("a folder, a FIFO, a socket or a device is refused before anything is created", async () => {
  await inTemp((dir) => {
    const fifo = path.join(dir, "pipe.jsonl");
    execFileSync("mkfifo", [fifo]);
    const socket = path.join(dir, "sock.jsonl");
    execFileSync("python3", [
      "-c",
      "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
      socket,
    ]);
    const folder = path.join(dir, "folder.jsonl");
    fs.mkdirSync(folder);
    const cases: [string, string][] = [
      [folder, "a folder"],
      [fifo, "a FIFO (named pipe)"],
      [socket, "a socket"],
      ["/dev/null", "a device"],
    ];
    for (const [file, what] of cases) {
      assert.throws(() => WriterLock.acquire(file, { pid: 1 }), {
        code: "invalid_rollout",
        message: `Cannot write rollout "${file}": it is ${what}, not a rollout file`,
      }, file);
      assert.equal(fs.existsSync(lockPathOf(file)), false, file);
    }
  });
});

test("a lock file that cannot be made says why, naming the lock file", async () => {
  await inTemp((dir) => {
    // A folder that is not there is named as missing, not as one that refuses files.
    const missing = path.join(dir, "gone", "a.jsonl");
    assert.throws(() => WriterLock.acquire(missing, { pid: 1 }), {
      code: "not_found",
      message: `Cannot write rollout "${missing}": its folder "${
        path.join(dir, "gone")
      }" does not exist`,
    });
    assert.throws(() => WriterLock.acquire(missing, { pid: 1 }), (error: Error) => {
      assert.equal((error.cause as { code?: string } | undefined)?.code, "ENOENT");
      return true;
    });
    fs.writeFileSync(path.join(dir, "plain"), "");
    const underFile = path.join(dir, "plain", "a.jsonl");
    assert.throws(() => WriterLock.acquire(underFile, { pid: 1 }), (error: Error) => {
      assert.equal((error as { code?: string }).code, "io_error");
      assert.match(
        error.message,
        /its lock file ".*plain\/a\.jsonl\.lock" cannot be created there: /,
      );
      assert.match(error.message, /ENOTDIR/);
      assert.doesNotMatch(error.message, /does not take new files/);
      return true;
    });
  });
});

test("a rollout name that loops is an io_error, not a crash", async () => {
  await inTemp((dir) => {
    const loop = path.join(dir, "loop.jsonl");
    fs.symlinkSync(loop, loop);
    assert.throws(() => WriterLock.acquire(loop, { pid: 1 }), (error: Error) => {
      assert.equal((error as { code?: string }).code, "io_error");
      assert.match(error.message, /^Cannot lock rollout ".*loop\.jsonl": /);
      assert.match(error.message, /ELOOP/);
      return true;
    });
    // Nothing stays locked: the lock file the attempt made is gone.
    assert.equal(fs.existsSync(lockPathOf(loop)), false);
  });
});

test("heldBy names the holder without creating anything", async () => {
  await inTemp((dir) => {
    const file = path.join(dir, "a.jsonl");
    fs.writeFileSync(file, "");
    assert.equal(WriterLock.heldBy(file), null);
    assert.equal(fs.existsSync(lockPathOf(file)), false, "heldBy made a lock file");
    const lock = WriterLock.acquire(file, { pid: 4321 });
    assert.equal(WriterLock.heldBy(file), "process 4321");
    for (const written of ["x12\n", "12x\n", "", "  \n"]) {
      fs.writeFileSync(lockPathOf(file), written);
      assert.equal(WriterLock.heldBy(file), "another process", JSON.stringify(written));
    }
    lock.release();
    // A lock file nobody holds (its writer died) holds nobody.
    fs.writeFileSync(lockPathOf(file), "77\n");
    assert.equal(WriterLock.heldBy(file), null);
    // A rollout whose folder is a file cannot be checked.
    fs.writeFileSync(path.join(dir, "plain"), "");
    const underFile = path.join(dir, "plain", "a.jsonl");
    assert.throws(() => WriterLock.heldBy(underFile), {
      code: "io_error",
      message: new RegExp(`^Cannot check the lock of "${underFile}": .*ENOTDIR`),
    });
  });
});

test("release removes the lock file, tolerates one already gone, and says when it cannot", async () => {
  await inTemp((dir) => {
    const file = path.join(dir, "a.jsonl");
    fs.writeFileSync(file, "");
    const gone = WriterLock.acquire(file, { pid: 1 });
    fs.unlinkSync(lockPathOf(file));
    gone.release();
    WriterLock.acquire(file, { pid: 2 }).release();

    const stuck = WriterLock.acquire(file, { pid: 3 });
    fs.unlinkSync(lockPathOf(file));
    fs.mkdirSync(lockPathOf(file));
    fs.writeFileSync(path.join(lockPathOf(file), "x"), "");
    assert.throws(() => stuck.release(), (error: Error) => {
      assert.equal((error as { code?: string }).code, "io_error");
      assert.match(error.message, /remove lock file/);
      return true;
    });
    // The lock itself was let go: the file can be locked again once the folder is cleared.
    fs.rmSync(lockPathOf(file), { recursive: true });
    WriterLock.acquire(file, { pid: 4 }).release();
  });
});

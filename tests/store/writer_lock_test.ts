import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { runtimeName } from "../../lib/runtime/runtime.ts";
import { lockPathOf, WriterLock } from "../../lib/store/writer_lock.ts";
import { JOURNAL_ITEMS, JOURNAL_LINES, jsonl, writeFixture } from "../fixtures_rollouts.ts";
import { markFixture, ROOT, setup, tempDir, userMessage } from "../helpers.ts";

const SCRIPT = path.join(ROOT, "tests", "store", "hold_lock.ts");

/** The runtime this test is not running on, as a command line for the lock holder script. */
function otherRuntime(): { name: string; command: string; args: string[] } {
  const bin = path.join(ROOT, "node_modules", ".bin");
  return runtimeName() === "deno"
    ? { name: "bun", command: path.join(bin, "bun"), args: [SCRIPT] }
    : { name: "deno", command: path.join(bin, "deno"), args: ["run", "-A", SCRIPT] };
}

/** Starts the holder on the other runtime; resolves with its first stdout line. */
async function startHolder(file: string): Promise<{ child: ChildProcess; first: string }> {
  const other = otherRuntime();
  const child = spawn(other.command, [...other.args, file], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  const first = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      const newline = out.indexOf("\n");
      if (newline >= 0) resolve(out.slice(0, newline));
    });
    child.on("exit", (code) => reject(new Error(`holder exited (${code}) early: ${stderr}`)));
  });
  return { child, first };
}

async function withJournal(body: (file: string) => Promise<void> | void): Promise<void> {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    await body(writeFixture(dir, "a.jsonl", jsonl(JOURNAL_LINES)));
  } finally {
    cleanup();
  }
}

/**
 * Runs `body` while the holder on the other runtime holds `file`'s lock, then kills the
 * holder with SIGKILL; resolves with its exit code and signal.
 */
async function whileHeld(
  file: string,
  body: (holder: ChildProcess) => Promise<void>,
): Promise<[number | null, string | null]> {
  const { child, first } = await startHolder(file);
  try {
    assert.equal(first, `holding ${child.pid}`);
    await body(child);
  } finally {
    child.kill("SIGKILL");
  }
  return await once(child, "exit") as [number | null, string | null];
}

test("resume() is refused with `locked` while a process on the other runtime holds the lock; SIGKILL frees it", async () => {
  await withJournal(async (file) => {
    const [code, signal] = await whileHeld(file, async (child) => {
      await assert.rejects(RolloutRecorder.resume(file), {
        name: "RolloutError",
        code: "locked",
        message: `Cannot write rollout "${file}": it is locked by process ${child.pid}`,
      });
      assert.deepEqual(loadRollout(file).saved.items, JOURNAL_ITEMS, "readers never lock");
    });
    assert.deepEqual([code, signal], [null, "SIGKILL"]);
    const { recorder } = await RolloutRecorder.resume(file);
    await recorder.recordItems([userMessage("after the kill")]);
    await recorder.close();
    assert.equal(loadRollout(file).saved.items.length, JOURNAL_ITEMS.length + 1);
    assert.equal(fs.existsSync(lockPathOf(file)), false);
  });
});

test("resume() through a hard link is refused while the other runtime writes the file", async () => {
  await withJournal(async (file) => {
    const link = markFixture(path.join(path.dirname(file), "b.jsonl"));
    fs.linkSync(file, link);
    await whileHeld(file, async () => {
      await assert.rejects(RolloutRecorder.resume(link), {
        name: "RolloutError",
        code: "locked",
        message:
          `Cannot write rollout "${link}": it is being written under another name (a hard link to the same file)`,
      });
      assert.equal(fs.existsSync(lockPathOf(link)), false, "the refused lock file is removed");
    });
    const { recorder } = await RolloutRecorder.resume(link);
    try {
      // And the other way round, in one process: the first name is now refused.
      await assert.rejects(RolloutRecorder.resume(file), { code: "locked" });
    } finally {
      await recorder.close();
    }
  });
});

test("a process on the other runtime is refused with `locked` naming this process", async () => {
  await withJournal(async (file) => {
    const { recorder } = await RolloutRecorder.resume(file);
    try {
      const { child, first } = await startHolder(file);
      const [code] = await once(child, "exit");
      assert.equal(
        first,
        `refused locked: Cannot write rollout "${file}": it is locked by process ${process.pid}`,
      );
      assert.equal(code, 3);
    } finally {
      await recorder.close();
    }
  });
});

test("the other runtime's holder releases the lock and removes its file when its input ends", async () => {
  await withJournal(async (file) => {
    const { child, first } = await startHolder(file);
    assert.equal(first, `holding ${child.pid}`);
    let out = "";
    child.stdout!.on("data", (chunk) => (out += String(chunk)));
    child.stdin!.end();
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
    assert.equal(out, "released\n");
    assert.equal(fs.existsSync(lockPathOf(file)), false);
    const { recorder } = await RolloutRecorder.resume(file);
    await recorder.close();
  });
});

test("WriterLock refuses a second writer in the same process, naming its pid", async () => {
  await withJournal(async (file) => {
    const lock = WriterLock.acquire(file, { pid: 4242 });
    assert.equal(fs.readFileSync(lockPathOf(file), "utf8"), "4242\n");
    assert.throws(() => WriterLock.acquire(file, { pid: 1 }), {
      code: "locked",
      message: `Cannot write rollout "${file}": it is locked by process 4242`,
    });
    await assert.rejects(RolloutRecorder.resume(file), { code: "locked" });
    lock.release();
    lock.release();
    assert.equal(fs.existsSync(lockPathOf(file)), false);
    WriterLock.acquire(file, { pid: 7 }).release();
  });
});

test("WriterLock says `another process` when the lock file holds no pid", async () => {
  await withJournal((file) => {
    const lock = WriterLock.acquire(file, { pid: 9 });
    fs.writeFileSync(lockPathOf(file), "");
    assert.throws(() => WriterLock.acquire(file, { pid: 1 }), {
      code: "locked",
      message: `Cannot write rollout "${file}": it is locked by another process`,
    });
    lock.release();
  });
});

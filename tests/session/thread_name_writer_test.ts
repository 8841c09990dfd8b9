import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { readThreadNames, sessionIndexPath, threadNames } from "../../lib/session/thread_names.ts";
import { appendThreadName, removeThreadNames } from "../../lib/session/thread_name_writer.ts";
import { lockFile } from "../../lib/runtime/runtime.ts";
import { ROOT, setup, tempDir } from "../helpers.ts";

const A = "019abc00-0000-7000-8000-0000000000a1";
const B = "019abc00-0000-7000-8000-0000000000b2";
const SCRIPT = path.join(ROOT, "tests", "session", "append_names.ts");
const BIN = path.join(ROOT, "node_modules", ".bin");

function entry(id: string, name: string, at = "2026-11-26T11:15:28.123Z"): string {
  return JSON.stringify({ id, thread_name: name, updated_at: at });
}

function withHome(body: (home: string, index: string) => void | Promise<void>) {
  return async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      await body(dir, sessionIndexPath(dir));
    } finally {
      cleanup();
    }
  };
}

/** Starts `append_names.ts` on Deno or Bun; resolves with its exit code, stdout and stderr. */
function appender(runtime: "deno" | "bun", args: string[]) {
  const child = runtime === "deno"
    ? spawn(path.join(BIN, "deno"), ["run", "-A", SCRIPT, ...args], { cwd: ROOT })
    : spawn(path.join(BIN, "bun"), [SCRIPT, ...args], { cwd: ROOT });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk) => (out += String(chunk)));
  child.stderr.on("data", (chunk) => (err += String(chunk)));
  const done = once(child, "exit").then(([code]) => ({ code, out, err }));
  return { pid: child.pid!, done };
}

test(
  "appendThreadName() appends one synced line, in a file it creates 0600",
  withHome((home, index) => {
    const now = new Date("2026-11-26T11:15:28.123Z");
    const written = appendThreadName(home, { id: A, title: "  Fix the flaky test ", now });
    const line =
      `{"id":"${A}","thread_name":"Fix the flaky test","updated_at":"2026-11-26T11:15:28.123Z"}\n`;
    assert.deepEqual(written, {
      id: A,
      thread_name: "Fix the flaky test",
      updated_at: "2026-11-26T11:15:28.123Z",
    });
    assert.equal(fs.readFileSync(index, "utf8"), line);
    assert.equal(fs.statSync(index).mode & 0o777, 0o600);
    appendThreadName(home, { id: A, title: "Second", now });
    assert.equal(
      fs.readFileSync(index, "utf8"),
      `${line}{"id":"${A}","thread_name":"Second","updated_at":"2026-11-26T11:15:28.123Z"}\n`,
    );
    assert.deepEqual(threadNames(home), new Map([[A, "Second"]]));
  }),
);

test(
  "appendThreadName() ends a torn last line first, so the new line stands on its own",
  withHome((home, index) => {
    const before = `${entry(A, "one")}\n${entry(B, "tw")}`.slice(0, -30);
    fs.writeFileSync(index, before, { mode: 0o644 });
    const now = new Date("2026-11-26T11:15:28.123Z");
    appendThreadName(home, { id: B, title: "two", now });
    assert.equal(fs.readFileSync(index, "utf8"), `${before}\n${entry(B, "two")}\n`);
    assert.equal(fs.statSync(index).mode & 0o777, 0o600);
    const read = readThreadNames(home);
    assert.deepEqual(read.names.map((n) => [n.id, n.name]), [[A, "one"], [B, "two"]]);
    assert.deepEqual(read.skipped, [{ line: 2, message: "not JSON" }]);
    assert.equal(read.tornTail, null);
  }),
);

test(
  "appendThreadName() refuses a title with control characters and leaves the file alone",
  withHome((home, index) => {
    for (const title of ["two\nlines", "bell\u0007", "esc\u001b[31m", "a\u2029b", "", " "]) {
      assert.throws(
        () => appendThreadName(home, { id: A, title }),
        (error: Error & { code?: string }) =>
          error.name === "RolloutError" && error.code === "invalid_argument" &&
          error.message.startsWith("Cannot use "),
        JSON.stringify(title),
      );
    }
    assert.equal(fs.existsSync(index), false);
    assert.throws(
      () => appendThreadName(home, { id: "a\nb", title: "fine" }),
      { message: 'Cannot title session "a\\nb": its id is not one line of text' },
    );
    fs.writeFileSync(index, `${entry(A, "one")}\n`);
    assert.throws(() => appendThreadName(home, { id: A, title: "x\ny" }), {
      code: "invalid_argument",
    });
    assert.equal(fs.readFileSync(index, "utf8"), `${entry(A, "one")}\n`);
  }),
);

test(
  "appendThreadName() creates a missing home 0700 and writes the keys in Codex's order",
  withHome((dir) => {
    const home = path.join(dir, "new-home");
    const written = appendThreadName(home, { id: A, title: "t", now: new Date(0) });
    assert.deepEqual(Object.keys(written), ["id", "thread_name", "updated_at"]);
    assert.equal(fs.statSync(home).mode & 0o777, 0o700);
    assert.equal(
      fs.readFileSync(sessionIndexPath(home), "utf8"),
      `{"id":"${A}","thread_name":"t","updated_at":"1970-01-01T00:00:00.000Z"}\n`,
    );
  }),
);

test(
  "appendThreadName() from several Deno and Bun processes at once, and Codex, loses no line",
  withHome(async (home, index) => {
    const ids = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `019abc00-0000-7000-8000-00000000000${n}`);
    const count = 100;
    // The last three append as Codex does, without our lock: only O_APPEND keeps their lines.
    const runs = ids.map((id, n) =>
      appender(n % 2 === 0 ? "deno" : "bun", [home, id, `${count}`, n >= 5 ? "--as-codex" : ""])
    );
    for (const run of runs) assert.deepEqual(await run.done, { code: 0, out: "done\n", err: "" });
    const all = fs.readFileSync(index, "utf8").split("\n");
    assert.equal(all.pop(), "");
    // A Codex line seen half-written makes the next title start with a line end: a blank line,
    // which readers skip. Nothing else may sit between the entries.
    const lines = all.filter((line) => line !== "");
    assert.ok(all.length - lines.length <= 3 * count, `${all.length - lines.length} blank lines`);
    assert.equal(lines.length, ids.length * count);
    const titles = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const line of lines) {
      const { id, thread_name } = JSON.parse(line);
      titles.get(id)!.push(thread_name);
    }
    for (const id of ids) {
      const expected = Array.from(
        { length: count },
        (_, i) => `${id} title ${i} ${"x".repeat(200)}`,
      );
      assert.deepEqual(titles.get(id), expected, id);
    }
    const read = readThreadNames(home);
    assert.deepEqual(read.skipped, []);
    assert.deepEqual(
      [...threadNames(home)].sort(),
      ids.map((id) => [id, `${id} title ${count - 1} ${"x".repeat(200)}`]),
    );
  }),
);

/** Whether /proc/locks shows process `pid` waiting for a lock on inode `ino`. */
function waitsForLock(pid: number, ino: number): boolean {
  return fs.readFileSync("/proc/locks", "utf8").split("\n").some((line) =>
    line.includes("->") && line.split(/\s+/).includes(String(pid)) &&
    line.includes(`:${ino} `)
  );
}

test(
  "appendThreadName() waits while another process holds the index's lock",
  withHome(async (home, index) => {
    const held = lockFile(index, { wait: false })!;
    const ino = fs.statSync(index).ino;
    const run = appender("bun", [home, A, "1"]);
    let exited = false;
    run.done.then(() => (exited = true));
    let released = false;
    try {
      // Polled: the kernel says nothing when a process starts waiting for a lock.
      while (!exited && !waitsForLock(run.pid, ino)) await new Promise((r) => setTimeout(r, 20));
      assert.equal(exited, false, "the appender finished without waiting for the lock");
      assert.equal(fs.statSync(index).size, 0);
      held.release();
      released = true;
      assert.deepEqual(await run.done, { code: 0, out: "done\n", err: "" });
    } finally {
      if (!released) held.release();
    }
    assert.deepEqual([...threadNames(home).keys()], [A]);
  }),
);

test(
  "removeThreadNames() removes one session's entries and keeps every other line as it was",
  withHome(async (home, index) => {
    const kept = [entry(B, "b1"), "not json at all", entry(B, "b2")];
    const lines = [entry(A, "a1"), kept[0], kept[1], entry(A.toUpperCase(), "a2"), kept[2]];
    fs.writeFileSync(index, `${lines.join("\n")}\n${entry(B, "torn").slice(0, 12)}`);
    const ino = fs.statSync(index).ino;
    assert.equal(await removeThreadNames(home, A), 2);
    assert.equal(
      fs.readFileSync(index, "utf8"),
      `${kept.join("\n")}\n${entry(B, "torn").slice(0, 12)}`,
    );
    assert.notEqual(fs.statSync(index).ino, ino);
    assert.equal(fs.statSync(index).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(home), ["session_index.jsonl"]);
    const after = fs.statSync(index).ino;
    assert.equal(await removeThreadNames(home, A), 0);
    assert.equal(fs.statSync(index).ino, after);
    assert.deepEqual(threadNames(home), new Map([[B, "b2"]]));
  }),
);

test(
  "removeThreadNames() leaves a missing file missing and refuses a file it cannot keep whole",
  withHome(async (home, index) => {
    assert.equal(await removeThreadNames(home, A), 0);
    assert.equal(fs.existsSync(index), false);
    const bytes = Buffer.concat([
      Buffer.from(`${entry(A, "a")}\n`),
      Buffer.from([0xc3, 0x28, 0x0a]),
    ]);
    fs.writeFileSync(index, bytes);
    await assert.rejects(removeThreadNames(home, A), {
      code: "invalid_argument",
      message:
        `Cannot remove titles from "${index}": line 2 is not valid UTF-8; mend or remove it first`,
    });
    assert.deepEqual(fs.readFileSync(index), bytes);
    assert.deepEqual(fs.readdirSync(home), ["session_index.jsonl"]);
  }),
);

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { clearInterval, setInterval, setTimeout } from "node:timers";
import { History } from "../../lib/proto/history.ts";
import { lockFile } from "../../lib/runtime/mod.ts";
import { ROOT, setup, tempDir } from "../helpers.ts";
import { lines, runScript } from "./fake_io.ts";

test("History.append() appends entries with 0-based offsets and the inode as log_id", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const home = path.join(dir, "home");
    const history = new History(home, { sync: true });
    assert.deepEqual(history.metadata(), { log_id: 0, entry_count: 0 });
    assert.equal(history.lookup(0, 0), null);
    const a = history.append({ session_id: "s1", ts: 1_700_000_000, text: "first" });
    const b = history.append({ session_id: "s1", ts: 1_700_000_001, text: 'sé"cond\n' });
    const file = path.join(home, "history.jsonl");
    const ino = fs.statSync(file).ino;
    assert.deepEqual([a, b], [{ log_id: ino, offset: 0 }, { log_id: ino, offset: 1 }]);
    assert.equal(
      fs.readFileSync(file, "utf8"),
      '{"session_id":"s1","ts":1700000000,"text":"first"}\n' +
        '{"session_id":"s1","ts":1700000001,"text":"sé\\"cond\\n"}\n',
    );
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(home).mode & 0o777, 0o700);
    assert.deepEqual(history.metadata(), { log_id: ino, entry_count: 2 });
    const other = new History(home, { sync: false });
    assert.deepEqual(other.lookup(ino, 1), {
      session_id: "s1",
      ts: 1_700_000_001,
      text: 'sé"cond\n',
    });
    assert.equal(other.lookup(ino, 2), null);
    assert.equal(other.lookup(ino + 1, 0), null);
  } finally {
    cleanup();
  }
});

test("History.append() cuts a torn last line and lookup() returns null for a bad line", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "history.jsonl");
    fs.writeFileSync(file, 'not json\n{"session_id":"s","ts":1,"text":"ok"}\n{"session_id":"s",', {
      mode: 0o644,
    });
    const history = new History(dir, { sync: true });
    assert.deepEqual(history.metadata().entry_count, 2);
    const added = history.append({ session_id: "t", ts: 2, text: "new" });
    assert.equal(added.offset, 2);
    assert.equal(
      fs.readFileSync(file, "utf8"),
      'not json\n{"session_id":"s","ts":1,"text":"ok"}\n{"session_id":"t","ts":2,"text":"new"}\n',
    );
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(history.lookup(added.log_id, 0), null);
    assert.deepEqual(history.lookup(added.log_id, 1), { session_id: "s", ts: 1, text: "ok" });
    assert.deepEqual(history.lookup(added.log_id, 2), { session_id: "t", ts: 2, text: "new" });
  } finally {
    cleanup();
  }
});

test("History: entries longer than a read chunk are counted and looked up whole", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const history = new History(dir, { sync: false });
    // 64 KiB chunks: lines that span one and two borders, a short one between.
    const texts = ["a".repeat(70_000), "b", "c".repeat(140_000), "é".repeat(40_000)];
    const added = texts.map((text, n) => history.append({ session_id: "s", ts: n, text }));
    assert.deepEqual(added.map((a) => a.offset), [0, 1, 2, 3]);
    const fresh = new History(dir, { sync: false });
    assert.deepEqual(fresh.metadata().entry_count, 4);
    texts.forEach((text, n) => {
      assert.deepEqual(fresh.lookup(added[0]!.log_id, n), { session_id: "s", ts: n, text }, `${n}`);
    });
    assert.equal(fresh.lookup(added[0]!.log_id, 4), null);
  } finally {
    cleanup();
  }
});

test("History counts again a file that another process grew, shrank or replaced", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "history.jsonl");
    const line = (text: string) => `${JSON.stringify({ session_id: "o", ts: 1, text })}\n`;
    const history = new History(dir, { sync: false });
    history.append({ session_id: "s", ts: 0, text: "mine" });
    assert.equal(history.metadata().entry_count, 1);
    // Grown by another writer: its lines are counted on from where this one stopped.
    fs.appendFileSync(file, line("x") + line("y"));
    assert.equal(history.metadata().entry_count, 3);
    assert.equal(history.append({ session_id: "s", ts: 0, text: "next" }).offset, 3);
    // Shrunk in place (same inode): counted from the start again.
    const ino = fs.statSync(file).ino;
    fs.truncateSync(file, fs.readFileSync(file, "utf8").indexOf("\n") + 1);
    assert.equal(fs.statSync(file).ino, ino);
    assert.deepEqual(history.metadata(), { log_id: ino, entry_count: 1 });
    // Replaced by a longer file: a new inode, counted from its start (read on from where the
    // old file ended, it would count 4).
    const replacement = path.join(dir, "new.jsonl");
    fs.writeFileSync(replacement, ["p", "q", "r"].map((t) => line(t.repeat(100))).join(""));
    fs.renameSync(replacement, file);
    const now = fs.statSync(file).ino;
    assert.notEqual(now, ino);
    assert.deepEqual(history.metadata(), { log_id: now, entry_count: 3 });
    const appended = history.append({ session_id: "s", ts: 0, text: "last" });
    assert.deepEqual(appended, { log_id: now, offset: 3 });
    assert.equal(history.lookup(ino, 0), null, "the old file's log_id no longer answers");
  } finally {
    cleanup();
  }
});

test("History.metadata() is empty when the home is a file, not a folder", () => {
  const { dir, cleanup } = tempDir();
  try {
    const home = path.join(dir, "home");
    fs.writeFileSync(home, "");
    assert.deepEqual(new History(home, { sync: false }).metadata(), { log_id: 0, entry_count: 0 });
    assert.equal(new History(home, { sync: false }).lookup(1, 0), null);
  } finally {
    cleanup();
  }
});

test("History.append() from two processes at once never interleaves bytes", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const code = `
      import { History } from "./lib/proto/history.ts";
      import { initRuntime } from "./lib/runtime/mod.ts";
      await initRuntime();
      const history = new History(process.env.HISTORY_HOME, { sync: false });
      const tag = process.env.TAG;
      const offsets = [];
      for (let i = 0; i < 500; i++) {
        offsets.push(history.append({ session_id: tag, ts: i, text: tag.repeat(20000) }).offset);
      }
      process.stdout.write(JSON.stringify(offsets));
    `;
    const args = "Deno" in globalThis ? ["eval", "--ext=ts", code] : ["-e", code];
    const run = (tag: string) =>
      new Promise<{ status: number | null; offsets: number[] }>((resolve) => {
        const child = spawn(process.execPath, args, {
          cwd: ROOT,
          env: { ...process.env, HISTORY_HOME: dir, TAG: tag },
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.on("close", (status) => resolve({ status, offsets: JSON.parse(out || "[]") }));
      });
    const [a, b] = await Promise.all([run("a"), run("b")]);
    assert.deepEqual([a!.status, b!.status], [0, 0]);
    const entries = fs.readFileSync(path.join(dir, "history.jsonl"), "utf8").split("\n");
    assert.equal(entries.pop(), "");
    const parsed = entries.map((line) => JSON.parse(line));
    for (const tag of ["a", "b"]) {
      const mine = parsed.filter((e) => e.session_id === tag);
      assert.deepEqual(mine.map((e) => e.ts), Array.from({ length: 500 }, (_, i) => i));
      assert.ok(mine.every((e) => e.text === tag.repeat(20000)));
    }
    assert.equal(parsed.length, 1000);
    for (const [tag, run] of [["a", a!], ["b", b!]] as const) {
      assert.deepEqual(
        run.offsets.map((offset) => parsed[offset].session_id),
        run.offsets.map(() => tag),
      );
      assert.deepEqual(
        run.offsets.map((offset) => parsed[offset].ts),
        run.offsets.map((_, i) => i),
      );
    }
  } finally {
    cleanup();
  }
});

test("runProto() add_to_history and get_history_entry_request round-trip through the op stream", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const first = await runScript(
      lines([
        { id: "1", op: { type: "add_to_history", text: "before any session" } },
        { id: "2", op: { type: "configure_session" } },
        { id: "3", op: { type: "add_to_history", text: "hello" } },
      ]),
      { home: dir },
    );
    const ino = fs.statSync(path.join(dir, "history.jsonl")).ino;
    const sessionId = first.events[1]!.msg.session_id;
    assert.deepEqual(first.events[0]!.msg, { type: "history_entry_added", log_id: ino, offset: 0 });
    assert.deepEqual(first.events[1]!.msg.history_log_id, ino);
    assert.deepEqual(first.events[1]!.msg.history_entry_count, 1);
    assert.deepEqual(first.events[2]!.msg, { type: "history_entry_added", log_id: ino, offset: 1 });
    const second = await runScript(
      lines([
        { id: "a", op: { type: "get_history_entry_request", offset: 1, log_id: ino } },
        { id: "b", op: { type: "get_history_entry_request", offset: 0, log_id: ino } },
        { id: "c", op: { type: "get_history_entry_request", offset: 2, log_id: ino } },
        { id: "d", op: { type: "get_history_entry_request", offset: 0, log_id: ino + 1 } },
        { id: "e", op: { type: "get_history_entry_request", offset: -1, log_id: ino } },
        { id: "f", op: { type: "configure_session", disable_response_storage: true } },
      ]),
      { home: dir },
    );
    const entry = (id: string, offset: number, logId: number, value: unknown) => ({
      id,
      msg: { type: "get_history_entry_response", offset, log_id: logId, entry: value },
    });
    const ts = second.events[0]!.msg.entry as { ts: number };
    assert.equal(Number.isInteger(ts.ts) && Math.abs(ts.ts - Date.now() / 1000) < 600, true);
    assert.deepEqual(second.events.slice(0, 5), [
      entry("a", 1, ino, { session_id: sessionId, ts: ts.ts, text: "hello" }),
      entry("b", 0, ino, {
        session_id: "",
        ts: (second.events[1]!.msg.entry as { ts: number }).ts,
        text: "before any session",
      }),
      entry("c", 2, ino, null),
      entry("d", 0, ino + 1, null),
      {
        id: "e",
        msg: {
          type: "error",
          code: "invalid_submission",
          message: "op.offset: expected a number >= 0, got -1",
        },
      },
    ]);
    assert.equal(second.events[5]!.msg.history_entry_count, 2);
  } finally {
    cleanup();
  }
});

test("History.lookup() answers null for a line that is not UTF-8, never a guess at it", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "history.jsonl");
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('{"session_id":"s","ts":1,"text":"a'),
        Buffer.from([0xff]),
        Buffer.from('"}\n{"session_id":"s","ts":2,"text":"ok"}\n'),
      ]),
    );
    const history = new History(dir, { sync: false });
    const ino = fs.statSync(file).ino;
    assert.equal(history.lookup(ino, 0), null);
    assert.deepEqual(history.lookup(ino, 1), { session_id: "s", ts: 2, text: "ok" });
  } finally {
    cleanup();
  }
});

test("History says which file failed and how, instead of taking a broken one for none", () => {
  const { dir, cleanup } = tempDir();
  try {
    const home = path.join(dir, "home");
    fs.mkdirSync(home);
    const file = path.join(home, "history.jsonl");
    const history = new History(home, { sync: false });
    /** An io_error of `what` on the history file. */
    const failsWith = (work: () => unknown, what: string) =>
      assert.throws(work, (error: unknown) => {
        const e = error as { code?: string; message: string };
        assert.equal(e.code, "io_error", e.message);
        assert.ok(e.message.startsWith(`Cannot ${what} "${file}": `), e.message);
        return true;
      });
    // A name that loops: it cannot be opened, and it is not "no history yet".
    fs.symlinkSync("history.jsonl", file);
    failsWith(() => history.metadata(), "read history");
    failsWith(() => history.lookup(1, 0), "read history");
    fs.rmSync(file);
    // A folder in its place opens, and fails on the read.
    fs.mkdirSync(file);
    const ino = fs.statSync(file).ino;
    failsWith(() => history.metadata(), "read history");
    failsWith(() => history.lookup(ino, 0), "read history");
    assert.throws(
      () => history.append({ session_id: "s", ts: 1, text: "t" }),
      (error: unknown) =>
        (error as { code?: string }).code === "io_error" &&
        /^Cannot (lock|append to) history "/.test((error as Error).message),
    );
    // A home that cannot be made: the folder is named (a file above it: see the test below).
    fs.mkdirSync(path.join(dir, "closed"), { mode: 0o500 });
    const nowhere = new History(path.join(dir, "closed", "home"), { sync: false });
    if (process.getuid?.() !== 0) {
      assert.throws(
        () => nowhere.append({ session_id: "s", ts: 1, text: "t" }),
        (error: unknown) =>
          (error as Error).message.startsWith(
            `Cannot create folder "${path.join(dir, "closed", "home")}": `,
          ),
      );
    }
  } finally {
    cleanup();
  }
});

test("History refuses a FIFO in place of the file instead of waiting on it or losing the entry", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "history.jsonl");
    const made = spawnSync("mkfifo", [file]);
    assert.equal(made.status, 0, String(made.stderr));
    const history = new History(dir, { sync: false });
    for (
      const [work, what] of [
        [() => history.metadata(), "read history"],
        [() => history.lookup(fs.statSync(file).ino, 0), "read history"],
        [() => history.append({ session_id: "s", ts: 1, text: "kept?" }), "append to history"],
      ] as const
    ) {
      assert.throws(work, (error: unknown) => {
        const e = error as { code?: string; message: string };
        assert.equal(e.code, "io_error", e.message);
        assert.ok(
          e.message.startsWith(`Cannot ${what} "${file}": `) &&
            e.message.includes("is not a regular file"),
          e.message,
        );
        return true;
      });
    }
    assert.ok(fs.statSync(file).isFIFO(), "the FIFO is left as it was");
  } finally {
    cleanup();
  }
});

test("History: a torn last line just past a read chunk is neither counted nor looked up", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Lines of 257 bytes: 256 of them end 256 bytes into the second 64 KiB chunk, and a torn
    // line of 257 more bytes ends the file where the first chunk had a line end (byte 513).
    // A scan that looked one byte past what it read would see that stale line end.
    const entry = (n: number) => {
      const head = JSON.stringify({ session_id: "s", ts: n, text: "" });
      return JSON.stringify({ session_id: "s", ts: n, text: "x".repeat(256 - head.length) });
    };
    const whole = Array.from({ length: 256 }, (_, n) => `${entry(n)}\n`).join("");
    const torn = `${entry(256)} `;
    assert.equal(whole.length, 256 * 257);
    assert.equal(torn.length, 257);
    assert.equal(whole[513], "\n");
    const file = path.join(dir, "history.jsonl");
    fs.writeFileSync(file, whole + torn);
    const ino = fs.statSync(file).ino;
    const history = new History(dir, { sync: false });
    assert.deepEqual(history.metadata(), { log_id: ino, entry_count: 256 });
    assert.deepEqual(history.lookup(ino, 255), JSON.parse(entry(255)));
    assert.equal(history.lookup(ino, 256), null);
    const added = history.append({ session_id: "t", ts: 9, text: "after" });
    assert.deepEqual(added, { log_id: ino, offset: 256 });
    assert.equal(
      fs.readFileSync(file, "utf8"),
      `${whole}{"session_id":"t","ts":9,"text":"after"}\n`,
    );
    assert.deepEqual(history.lookup(ino, 256), { session_id: "t", ts: 9, text: "after" });
  } finally {
    cleanup();
  }
});

test("History closes every file it opens, whether the read or the append worked or failed", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const openFiles = () => fs.readdirSync("/proc/self/fd").length;
    const before = openFiles();
    const good = new History(path.join(dir, "good"), { sync: false });
    const bad = new History(path.join(dir, "bad"), { sync: false });
    fs.mkdirSync(path.join(dir, "bad", "history.jsonl"), { recursive: true });
    const badIno = fs.statSync(bad.path).ino;
    const refusals: string[] = [];
    for (let n = 0; n < 20; n++) {
      const { log_id } = good.append({ session_id: "s", ts: n, text: `entry ${n}` });
      assert.equal(good.metadata().entry_count, n + 1);
      assert.deepEqual(good.lookup(log_id, n), { session_id: "s", ts: n, text: `entry ${n}` });
      assert.equal(good.lookup(log_id, n + 1), null);
      // A folder in the file's place opens for reading, then fails: the descriptor still closes.
      for (
        const work of [
          () => bad.metadata(),
          () => bad.lookup(badIno, 0),
          () => bad.append({ session_id: "s", ts: n, text: "refused" }),
        ]
      ) {
        try {
          work();
          refusals.push("answered");
        } catch (error) {
          refusals.push((error as { code?: string }).code ?? String(error));
        }
      }
    }
    assert.deepEqual(refusals, Array(60).fill("io_error"));
    assert.equal(openFiles(), before, "descriptors left open");
  } finally {
    cleanup();
  }
});

test("History.appendWhenFree() waits for a lock held elsewhere without blocking, then gives up", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const history = new History(dir, { sync: false });
    fs.writeFileSync(history.path, "", { mode: 0o600 });
    // Another open file holds the flock, as another process would.
    const held = lockFile(history.path, { wait: true });
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 5);
    try {
      await assert.rejects(
        history.appendWhenFree({ session_id: "s", ts: 1, text: "late" }, { waitMs: 150 }),
        {
          code: "locked",
          message:
            `Cannot append to history "${history.path}": another process has held its lock for 0.15 s`,
        },
      );
      // The event loop ran while it waited: the stream's other ops (and a signal) go on.
      assert.ok(ticks >= 5, `${ticks} ticks`);
      const added = history.appendWhenFree({ session_id: "s", ts: 2, text: "now" }, {
        waitMs: 10_000,
      });
      setTimeout(() => held.release(), 50);
      assert.deepEqual(await added, { log_id: fs.statSync(history.path).ino, offset: 0 });
    } finally {
      clearInterval(ticking);
    }
    assert.equal(fs.readFileSync(history.path, "utf8"), '{"session_id":"s","ts":2,"text":"now"}\n');
  } finally {
    cleanup();
  }
});

test("History.append() says a home that is a file is not a folder", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "home-file");
    fs.writeFileSync(file, "");
    for (const home of [file, path.join(file, "below")]) {
      const history = new History(home, { sync: false });
      assert.throws(() => history.append({ session_id: "s", ts: 1, text: "x" }), {
        code: "invalid_argument",
        message: `Cannot use the home "${home}": it (or a folder above it) is not a folder`,
      });
    }
  } finally {
    cleanup();
  }
});

test("History.appendWhenFree() keeps the order entries were asked in while it waits", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const history = new History(dir, { sync: false });
    fs.writeFileSync(history.path, "", { mode: 0o600 });
    const held = lockFile(history.path, { wait: true });
    const ask = (text: string, ts: number) =>
      history.appendWhenFree({ session_id: "s", ts, text }, { waitMs: 10_000 });
    // The first has waited long enough to try the lock only now and then; the second, asked
    // later, would try it often, and take it first, were they not served in order.
    const first = ask("first", 0);
    const later = new Promise<{ offset: number }[]>((resolve) => {
      setTimeout(() => {
        const second = ask("second", 1);
        const third = ask("third", 2);
        setTimeout(() => held.release(), 5);
        resolve(Promise.all([first, second, third]));
      }, 90);
    });
    assert.deepEqual((await later).map((a) => a.offset), [0, 1, 2]);
    const texts = fs.readFileSync(history.path, "utf8").trim().split("\n").map((l) =>
      JSON.parse(l).text
    );
    assert.deepEqual(texts, ["first", "second", "third"]);
  } finally {
    cleanup();
  }
});

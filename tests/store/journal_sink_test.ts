/**
 * The journal writer's checks against a file that does not behave: shrunk under it, a cut
 * that did not happen, a recovery that must be retried at close; its syncs, line ends and
 * descriptors counted call by call. Each test was run against the
 * code with the check removed and failed there.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/file_system.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { JournalSink } from "../../lib/store/journal_sink.ts";
import type { PendingRecord } from "../../lib/store/sink.ts";
import { repairRollout } from "../../lib/session/repair_rollout.ts";
import { validateFile } from "../../lib/session/validate_rollouts.ts";
import { setup, tempDir, userMessage } from "../helpers.ts";

const clock = () => new Date("2026-11-26T11:15:28.123Z");

/** A journal holding one item, closed. */
async function journal(dir: string): Promise<string> {
  const rec = await RolloutRecorder.create({ home: dir, clock, meta: { cwd: "/repo" } });
  await rec.recordItems([userMessage("one")]);
  await rec.close();
  return rec.path!;
}

test("JournalSink refuses to append to a file that shrank under it, and writes nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await journal(dir);
    const { recorder } = await RolloutRecorder.resume(file, { clock });
    // Another program cuts the file between the read and the first append.
    const cut = fs.readFileSync(file).subarray(0, 100);
    fs.writeFileSync(file, cut);
    await assert.rejects(recorder.recordItems([userMessage("two")]), {
      code: "io_error",
      message: new RegExp(
        `Cannot append to rollout "${file}": it shrank to 100 bytes, expected at least \\d+`,
      ),
    });
    await recorder.close().catch(() => {});
    assert.deepEqual(fs.readFileSync(file), Buffer.from(cut), "nothing appended after the cut");
  } finally {
    cleanup();
  }
});

/**
 * A file system whose writes land but report EIO once armed, and whose truncate does nothing:
 * a cut the writer asks for does not happen.
 */
function stubbornFs(): FileSystem & { armed: boolean } {
  const fsys = {
    ...nodeFileSystem,
    armed: false,
    write(fd: number, data: Uint8Array): number {
      const n = nodeFileSystem.write(fd, data);
      if (fsys.armed) {
        fsys.armed = false;
        throw Object.assign(new Error("EIO: input/output error, write"), { code: "EIO" });
      }
      return n;
    },
    truncate(): void {},
  };
  return fsys;
}

test("JournalSink checks the size after its cut: a cut that did not happen fails the recovery, nothing more is acknowledged", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await journal(dir);
    const fsys = stubbornFs();
    const { recorder } = await RolloutRecorder.resume(file, { clock, fs: fsys });
    const before = fs.statSync(file).size;
    fsys.armed = true;
    await assert.rejects(recorder.recordItems([userMessage("refused")]), { code: "io_error" });
    assert.ok(fs.statSync(file).size > before, "the refused write's bytes are still there");
    // The next batch recovers first: the cut is checked, found not done, and the batch refused.
    await assert.rejects(recorder.recordItems([userMessage("after")]), {
      code: "io_error",
      message: /bringing the file back to its last acknowledged state failed too: .*after the cut/,
    });
    await recorder.close().catch(() => {});
  } finally {
    cleanup();
  }
});

test("RolloutRecorder.close() retries a failed recovery: the file ends at its last acknowledged line", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = await journal(dir);
    let failWrites = 0;
    const fsys: FileSystem = {
      ...nodeFileSystem,
      write(fd: number, data: Uint8Array): number {
        const n = nodeFileSystem.write(fd, data);
        if (failWrites > 0) {
          failWrites--;
          throw Object.assign(new Error("EIO: input/output error, write"), { code: "EIO" });
        }
        return n;
      },
      // The cut right after the failed write fails, and so do the next two recoveries' cuts.
      truncate(fd: number, length: number): void {
        if (failWrites === 0 && blockTruncate > 0) {
          blockTruncate--;
          throw Object.assign(new Error("EIO: input/output error, ftruncate"), { code: "EIO" });
        }
        nodeFileSystem.truncate(fd, length);
      },
    };
    let blockTruncate = 0;
    const { recorder } = await RolloutRecorder.resume(file, { clock, fs: fsys });
    const acknowledged = fs.readFileSync(file);
    failWrites = 1;
    blockTruncate = 3;
    await assert.rejects(recorder.recordItems([userMessage("refused")]), { code: "io_error" });
    assert.ok(fs.statSync(file).size > acknowledged.length, "the refused bytes are still there");
    // The next batch tries to recover first; its cut fails as well, so it is refused.
    await assert.rejects(recorder.recordItems([userMessage("also refused")]), {
      code: "io_error",
      message: /bringing the file back to its last acknowledged state failed too/,
    });
    assert.ok(fs.statSync(file).size > acknowledged.length);
    // close() commits what is queued (nothing: its recovery fails a third time), then tries
    // once more, and this time the disk lets it cut. It still reports the failed flush.
    await assert.rejects(recorder.close(), { code: "io_error" });
    assert.deepEqual(fs.readFileSync(file), acknowledged, "close cut the refused bytes");
    assert.deepEqual(loadRollout(file).saved.items, [userMessage("one")]);
  } finally {
    cleanup();
  }
});

/** A journal whose last record lacks its `\n` and is followed by NULs: a crash's leftover. */
async function nulEnded(dir: string): Promise<{ file: string; record: number }> {
  const file = await journal(dir);
  const whole = fs.readFileSync(file);
  // Power lost after the writer appended the missing `\n` but before its sync: the file kept
  // its new size, not its data.
  fs.writeFileSync(file, Buffer.concat([whole.subarray(0, -1), Buffer.alloc(2)]));
  return { file, record: whole.length - 1 };
}

test("JournalSink resumes a journal ending in a whole record and NULs: cuts the NULs, adds the line end, loses nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { file, record } = await nulEnded(dir);
    const { recorder, loaded } = await RolloutRecorder.resume(file, { clock });
    assert.deepEqual(loaded.saved.items, [userMessage("one")]);
    assert.notEqual(loaded.report.line_end_missing, undefined);
    assert.equal(loaded.end, record);
    await recorder.recordItems([userMessage("two")]);
    await recorder.close();
    const after = loadRollout(file);
    assert.deepEqual(after.saved.items, [userMessage("one"), userMessage("two")]);
    assert.equal(after.report.torn_tail, null);
    assert.equal(after.report.line_end_missing, undefined);
    assert.deepEqual(after.report.skipped_lines, []);
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.indexOf(0), -1, "no NUL left in the file");
    assert.equal(bytes[record], 10, "the kept record ends its line");
  } finally {
    cleanup();
  }
});

test("validate and repair of a journal ending in a whole record and NULs: the record kept, the NULs reported and dropped", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { file, record } = await nulEnded(dir);
    const checked = await validateFile(file, { strict: false });
    assert.equal(checked.ok, true);
    assert.equal(checked.items, 1);
    assert.ok(checked.warnings.some((w) => w.includes(`(byte ${record}): torn tail of 2 byte(s)`)));
    assert.ok(checked.warnings.some((w) => w.includes("the last record has no line end")));
    const repaired = await repairRollout(file, { pid: process.pid, now: clock() });
    assert.notEqual(repaired.original, null);
    assert.equal(repaired.kept, 1);
    assert.ok(repaired.fixed.some((f) => f.includes("the missing line end was added")));
    assert.ok(repaired.dropped.some((d) => d.includes("torn tail of 2 byte(s) ignored")));
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.indexOf(0), -1, "no NUL left in the file");
    assert.equal(bytes.at(-1), 10);
    const after = loadRollout(file);
    assert.deepEqual(after.saved.items, [userMessage("one")]);
    assert.equal(after.report.torn_tail, null);
    assert.equal(after.report.line_end_missing, undefined);
  } finally {
    cleanup();
  }
});

/** The file system with every call counted, and failures to arm. */
function countingFs() {
  const calls: string[] = [];
  /** The descriptors open now. */
  const fds = new Set<number>();
  const fsys = {
    ...nodeFileSystem,
    calls,
    fds,
    failWrites: 0,
    failTruncates: 0,
    open_(path: string, mode: Parameters<FileSystem["open"]>[1]): number {
      const fd = nodeFileSystem.open(path, mode);
      calls.push(`open ${mode}`);
      fds.add(fd);
      return fd;
    },
  };
  return Object.assign(fsys, {
    open: (path: string, mode: Parameters<FileSystem["open"]>[1]) => fsys.open_(path, mode),
    close: (fd: number) => {
      calls.push("close");
      fds.delete(fd);
      nodeFileSystem.close(fd);
    },
    write: (fd: number, data: Uint8Array) => {
      const n = nodeFileSystem.write(fd, data);
      calls.push(`write ${n}`);
      if (fsys.failWrites > 0) {
        fsys.failWrites--;
        throw Object.assign(new Error("EIO: input/output error, write"), { code: "EIO" });
      }
      return n;
    },
    truncate: (fd: number, length: number) => {
      calls.push(`truncate ${length}`);
      if (fsys.failTruncates > 0) {
        fsys.failTruncates--;
        throw Object.assign(new Error("EIO: input/output error, ftruncate"), { code: "EIO" });
      }
      nodeFileSystem.truncate(fd, length);
    },
    fdatasync: (fd: number) => {
      calls.push("fdatasync");
      nodeFileSystem.fdatasync(fd);
    },
    fdatasyncAsync: (fd: number) => {
      calls.push("fdatasyncAsync");
      return nodeFileSystem.fdatasyncAsync(fd);
    },
  });
}

function item(text: string, mirror: string | null = null): PendingRecord {
  const payload = JSON.stringify(userMessage(text));
  return {
    kind: "response_item",
    item: undefined,
    payload,
    mirror,
    timestamp: clock().toISOString(),
  };
}

function sinkOn(
  file: string,
  fsys: FileSystem,
  options: Partial<ConstructorParameters<typeof JournalSink>[1]> = {},
): JournalSink {
  return new JournalSink(fsys, {
    path: file,
    format: "codex_envelope",
    sync: true,
    durableBytes: fs.statSync(file).size,
    nextOrdinal: 10,
    ...options,
  });
}

test("JournalSink syncs each batch once, inline below the background size and off the loop from it, never when not syncing", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = `${dir}/j.jsonl`;
    fs.writeFileSync(file, "");
    const batch = [item("a")];
    // The size of that batch, as written.
    const probe = countingFs();
    sinkOn(file, probe, { sync: false }).commit(batch);
    const length = fs.statSync(file).size;
    assert.ok(!probe.calls.some((c) => c.startsWith("fdatasync")), "sync: false syncs nothing");
    fs.writeFileSync(file, "");
    for (const [threshold, expected] of [[length + 1, "fdatasync"], [length, "fdatasyncAsync"]]) {
      fs.writeFileSync(file, "");
      const fsys = countingFs();
      const sink = sinkOn(file, fsys, { backgroundSyncBytes: threshold as number });
      const done = sink.commit(batch);
      assert.equal(
        done instanceof Promise,
        expected === "fdatasyncAsync",
        `threshold ${threshold}`,
      );
      await done;
      assert.deepEqual(fsys.calls.filter((c) => c.startsWith("fdatasync")), [expected]);
      // An awaited commit asks for the sync inline whatever its size.
      fsys.calls.length = 0;
      assert.equal(sink.commit(batch, { inlineSync: true }), undefined);
      assert.deepEqual(fsys.calls.filter((c) => c.startsWith("fdatasync")), ["fdatasync"]);
      sink.close();
      assert.equal(fsys.fds.size, 0, "close() closes the file");
    }
  } finally {
    cleanup();
  }
});

test("JournalSink.recover() syncs, then refuses a file whose kept part no longer ends a line", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = `${dir}/j.jsonl`;
    fs.writeFileSync(file, '{"a":1}\n{"b":2}\n');
    const fsys = countingFs();
    const sink = sinkOn(file, fsys);
    sink.recover();
    assert.ok(fsys.calls.includes("fdatasync"), "the cut is synced");
    assert.equal(fsys.fds.size, 1, "the file read for its last byte is closed again");
    // Another program overwrites the last line end in place.
    const fd = fs.openSync(file, "r+");
    fs.writeSync(fd, Buffer.from("x"), 0, 1, 15);
    fs.closeSync(fd);
    assert.throws(() => sink.recover(), {
      code: "io_error",
      message: `Cannot recover rollout "${file}": byte 15 no longer ends a line`,
    });
    // A cut that did not happen: the size is checked against what was acknowledged.
    fs.writeFileSync(file, '{"a":1}\n{"b":2}\n{"c":3}\n');
    const noCut = { ...countingFs(), truncate: () => {} };
    assert.throws(() => sinkOn(file, noCut, { durableBytes: 16 }).recover(), {
      code: "io_error",
      message: `Cannot recover rollout "${file}": it holds 24 bytes after the cut, expected 16`,
    });
    // An empty journal, and one whose last record lacks its line end by design, recover.
    fs.writeFileSync(file, "");
    sinkOn(file, fsys).recover();
    fs.writeFileSync(file, '{"a":1}');
    sinkOn(file, fsys, { lineEndMissing: true }).recover();
  } finally {
    cleanup();
  }
});

test("JournalSink adds a missing line end once, durably, and counts it as written", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = `${dir}/j.jsonl`;
    const kept = JSON.stringify({
      timestamp: clock().toISOString(),
      type: "response_item",
      payload: userMessage("kept"),
    });
    fs.writeFileSync(file, kept);
    const fsys = countingFs();
    const sink = sinkOn(file, fsys, { lineEndMissing: true });
    sink.commit([item("one")], { inlineSync: true });
    // The line end, synced, before the batch (synced in turn).
    assert.deepEqual(fsys.calls.filter((c) => c.startsWith("write") || c === "fdatasync"), [
      "write 1",
      "fdatasync",
      `write ${fs.statSync(file).size - kept.length - 1}`,
      "fdatasync",
    ]);
    // The recovery finds the file exactly as long as acknowledged, and reopening adds nothing.
    sink.recover();
    sink.commit([item("two")], { inlineSync: true });
    sink.close();
    const lines = fs.readFileSync(file, "utf8").split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(lines.length, 3);
    for (const line of lines) JSON.parse(line);
  } finally {
    cleanup();
  }
});

test("JournalSink asked not to sync syncs nothing: not its batches, its recovery or an added line end", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = `${dir}/j.jsonl`;
    fs.writeFileSync(file, '{"a":1}');
    const fsys = countingFs();
    const sink = sinkOn(file, fsys, { sync: false, lineEndMissing: true });
    sink.commit([item("one")], { inlineSync: true });
    sink.recover();
    sink.commit([item("two")]);
    sink.close();
    assert.deepEqual(fsys.calls.filter((c) => c.startsWith("fdatasync")), []);
    assert.equal(fs.readFileSync(file, "utf8").split("\n").length, 4, "three lines, each ended");
  } finally {
    cleanup();
  }
});

test("JournalSink: a batch whose write and cut both failed is cut before the next one", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = `${dir}/j.jsonl`;
    fs.writeFileSync(file, "");
    const fsys = countingFs();
    const sink = sinkOn(file, fsys);
    sink.commit([item("first")], { inlineSync: true });
    const acknowledged = fs.readFileSync(file);
    fsys.failWrites = 1;
    fsys.failTruncates = 1;
    assert.throws(() => sink.commit([item("refused")], { inlineSync: true }), /EIO/);
    assert.ok(fs.statSync(file).size > acknowledged.length, "the refused bytes are still there");
    sink.commit([item("next")], { inlineSync: true });
    const text = fs.readFileSync(file, "utf8");
    assert.ok(text.startsWith(acknowledged.toString("utf8")));
    assert.ok(!text.includes("refused"), "the refused batch was cut first");
    assert.ok(text.includes("next"));
    // A failed line end is cut as well, and reported.
    const other = `${dir}/k.jsonl`;
    fs.writeFileSync(other, '{"a":1}');
    const failing = countingFs();
    failing.failWrites = 1;
    assert.throws(
      () =>
        sinkOn(other, failing, { lineEndMissing: true }).commit([item("x")], { inlineSync: true }),
      /EIO/,
    );
    assert.equal(fs.readFileSync(other, "utf8"), '{"a":1}');
  } finally {
    cleanup();
  }
});

test("JournalSink writes event_msg mirrors in Codex's enveloped lines only, not in its 2025 files", () => {
  const { dir, cleanup } = tempDir();
  try {
    for (
      const [format, lines] of [["codex_envelope", 2], ["codex_jsonl_2025", 1], [
        "journal",
        2,
      ]] as const
    ) {
      const file = `${dir}/${format}.jsonl`;
      fs.writeFileSync(file, "");
      const sink = sinkOn(file, nodeFileSystem, { format });
      sink.commit([item("hi", JSON.stringify({ type: "user_message", message: "hi" }))], {
        inlineSync: true,
      });
      sink.close();
      assert.equal(fs.readFileSync(file, "utf8").trim().split("\n").length, lines, format);
    }
  } finally {
    cleanup();
  }
});

/**
 * The journal writer's checks against a file that does not behave: shrunk under it, a cut
 * that did not happen, a recovery that must be retried at close. Each test was run against the
 * code with the check removed and failed there.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/file_system.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
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

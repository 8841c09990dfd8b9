import assert from "node:assert/strict";
import { test } from "node:test";
import type { RolloutError } from "../../lib/schemas/errors.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { CrashFS } from "../reliability/crash_fs.ts";
import { FaultyFileSystem } from "../reliability/faulty_fs.ts";
import { userMessage } from "../helpers.ts";

const clock = () => new Date("2026-11-26T11:15:28.123Z");
const FILE = "/h/rollout.jsonl";
const HEALTHY = { failAt: Infinity, sticky: false, code: "EIO" } as const;

async function open(maxBatchBytes?: number) {
  const disk = new CrashFS();
  const fs = new FaultyFileSystem(disk, HEALTHY);
  const rec = await RolloutRecorder.create({
    fs,
    home: "/h",
    path: FILE,
    lock: false,
    clock,
    meta: { id: "019abc00-0000-7000-8000-00000000c0c0" },
    ...(maxBatchBytes === undefined ? {} : { maxBatchBytes }),
  });
  return { disk, fs, rec };
}

function texts(fs: CrashFS): string[] {
  return loadRollout(FILE, { fs }).saved.items.map((item) =>
    (item.content as { text: string }[])[0]!.text
  );
}

/** What a restart after a power loss finds (only synced data), and what a process restart finds. */
function onDisk(disk: CrashFS): { synced: string[]; restarted: string[] } {
  const [synced] = disk.images({ seed: 0, reorders: 0 });
  return { synced: texts(synced!.fs), restarted: texts(disk.restarted()) };
}

function outcome(s: PromiseSettledResult<unknown>): string {
  return s.status === "fulfilled" ? "ok" : (s.reason as RolloutError).code;
}

test("RolloutRecorder: 10,000 concurrent recordItems calls are one write and one sync, in call order", async () => {
  const { disk, fs, rec } = await open();
  const [writes, syncs] = [fs.writes, fs.syncs];
  const calls = [];
  for (let i = 0; i < 10_000; i++) calls.push(rec.recordItems([userMessage(`m${i}`)]));
  const acks = await Promise.all(calls);
  assert.deepEqual([fs.writes - writes, fs.syncs - syncs], [1, 1]);
  assert.deepEqual(acks.map((a) => a.item_count), acks.map((_, i) => i + 1));
  await rec.close();
  const want = acks.map((_, i) => `m${i}`);
  assert.deepEqual(onDisk(disk), { synced: want, restarted: want });
});

test("RolloutRecorder commits full batches of a burst before the caller yields", async () => {
  const { disk, fs, rec } = await open(2048);
  const [writes, syncs] = [fs.writes, fs.syncs];
  const calls = [];
  for (let i = 0; i < 100; i++) calls.push(rec.recordItems([userMessage(`m${i}`)]));
  // No await yet: every full batch is already written and synced, only the rest is queued.
  const early = fs.writes - writes;
  assert.ok(early >= 5, `${early} writes before the caller yielded`);
  assert.equal(fs.syncs - syncs, early);
  const acks = await Promise.all(calls);
  assert.equal(fs.writes - writes, early + 1);
  assert.deepEqual(acks.map((a) => a.item_count), acks.map((_, i) => i + 1));
  await rec.close();
  const want = acks.map((_, i) => `m${i}`);
  assert.deepEqual(onDisk(disk), { synced: want, restarted: want });
});

test("RolloutRecorder syncs a batch of 16 KiB or more on a worker thread, a smaller one inline", async () => {
  const { disk, fs, rec } = await open();
  const [syncs, background] = [fs.syncs, fs.backgroundSyncs];
  await rec.recordItems([userMessage("small")]);
  assert.deepEqual([fs.syncs - syncs, fs.backgroundSyncs - background], [1, 0]);
  const big = "x".repeat(16 * 1024);
  await rec.recordItems([userMessage(big)]);
  assert.deepEqual([fs.syncs - syncs, fs.backgroundSyncs - background], [2, 1]);
  await rec.close();
  assert.deepEqual(onDisk(disk).synced, ["small", big]);
});

test("RolloutRecorder: a failed batch rejects exactly the ops it covered; the next batch recovers", async () => {
  // Two ops fit in a batch of 750 bytes (each a message and its event_msg mirror, 354 bytes
  // as the recorder counts them); ops: open, size, then write + fdatasync per batch.
  const { disk, fs, rec } = await open(750);
  fs.arm({ ...HEALTHY, failAt: fs.operations + 5 });
  const settled = await Promise.allSettled(
    ["a", "b", "c", "d", "e", "f"].map((t) => rec.recordItems([userMessage(t)])),
  );
  assert.deepEqual(settled.map(outcome), ["ok", "ok", "io_error", "io_error", "ok", "ok"]);
  assert.equal(
    ((settled[2] as PromiseRejectedResult).reason as Error).message,
    `Cannot write rollout "${FILE}": the device reported an input/output error (the disk may be failing) (EIO in fdatasync)`,
  );
  assert.equal(fs.failures, 1);
  await rec.close();
  assert.deepEqual(onDisk(disk), { synced: ["a", "b", "e", "f"], restarted: ["a", "b", "e", "f"] });
});

test("RolloutRecorder acknowledges nothing after a failed sync until its recovery succeeds", async () => {
  const { disk, fs, rec } = await open();
  await rec.recordItems([userMessage("kept")]);
  // The next commit is write (0) + fdatasync (1): the sync fails, and every operation after it.
  fs.arm({ failAt: fs.operations + 1, sticky: true, code: "EIO" });
  await assert.rejects(rec.recordItems([userMessage("lost")]), { code: "io_error" });
  await assert.rejects(rec.recordState({ previous_response_id: "r1" }), (error: RolloutError) => {
    assert.equal(error.code, "io_error");
    assert.equal(
      error.message,
      `Cannot write rollout "${FILE}": an earlier write failed, and bringing the file back to its last acknowledged state failed too: the device reported an input/output error (the disk may be failing) (EIO in close); nothing acknowledged is lost; fix the cause, then resume the session`,
    );
    return true;
  });
  await assert.rejects(rec.flush(), { code: "io_error" });
  assert.deepEqual(rec.items.length, 1);
  fs.healed = true;
  const ack = await rec.recordItems([userMessage("after")]);
  assert.deepEqual(ack, { recorded: 1, dropped: [], item_count: 2 });
  await rec.close();
  assert.deepEqual(onDisk(disk), { synced: ["kept", "after"], restarted: ["kept", "after"] });
});

test("RolloutRecorder never recreates a journal deleted before its recovery", async () => {
  const { disk, fs, rec } = await open();
  await rec.recordItems([userMessage("kept")]);
  fs.arm({ failAt: fs.operations + 1, sticky: false, code: "EIO" });
  await assert.rejects(rec.recordItems([userMessage("lost")]), { code: "io_error" });
  disk.unlink(FILE);
  // The recovery reopens the file to cut it back: it is gone, so the op fails and no empty
  // journal takes its place.
  await assert.rejects(rec.recordItems([userMessage("after")]), (error: RolloutError) => {
    assert.equal(error.code, "io_error");
    assert.match(
      error.message,
      /bringing the file back to its last acknowledged state failed too: no such file or directory \(ENOENT/,
    );
    return true;
  });
  await rec.close().catch(() => {});
  assert.equal(disk.peek(FILE), null);
});

test("RolloutRecorder.close() refuses operations started after it and keeps them off the disk", async () => {
  const { disk, rec } = await open();
  const first = rec.recordItems([userMessage("before")]);
  const closing = rec.close();
  await assert.rejects(rec.recordItems([userMessage("late")]), (error: RolloutError) => {
    assert.equal(error.code, "io_error");
    assert.equal(error.message, `Rollout "${FILE}" is closed`);
    return true;
  });
  assert.equal(rec.close(), closing);
  await Promise.all([first, closing]);
  assert.deepEqual(onDisk(disk), { synced: ["before"], restarted: ["before"] });
});

test("RolloutRecorder refuses byte options that cannot work, before touching the disk", async () => {
  const disk = new CrashFS();
  const base = { fs: disk, home: "/h", path: FILE, lock: false, clock };
  await assert.rejects(RolloutRecorder.create({ ...base, maxBatchBytes: 0 }), {
    name: "RangeError",
    message: "maxBatchBytes must be at least 1, got 0",
  });
  await assert.rejects(RolloutRecorder.create({ ...base, backgroundSyncBytes: -1 }), {
    name: "RangeError",
    message: "backgroundSyncBytes must be at least 0, got -1",
  });
  assert.throws(() => RolloutRecorder.inMemory({ maxBatchBytes: Number.NaN }), RangeError);
  assert.equal(disk.peek(FILE), null);
});

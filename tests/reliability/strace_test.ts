import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { processTierSkip } from "./process_tier_gate.ts";
import { BINARY, ProtoProcess, SUBJECTS } from "./proto_process.ts";
import {
  type FaultCase,
  injectSpec,
  OPS,
  runFaultCase,
  STRACE,
  straceWrapper,
} from "./strace_faults.ts";
import { setup, tempDir, userMessage } from "../helpers.ts";

function straceSkip(): string | false {
  const gate = processTierSkip("strace_test.ts");
  if (gate !== false) return gate;
  if (fs.existsSync(STRACE)) return false;
  const reason = `${STRACE} is missing: tier 3 (strace fault injection) not run`;
  console.log(`strace_test.ts: skipped: ${reason}`);
  return reason;
}

const skip = straceSkip();
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Each case, and the ops (0-based) that must fail: one write and one sync per op. */
const CASES: { c: FaultCase; failed: number[]; acked: number }[] = [
  ...range(OPS).map((n) => ({
    c: { fault: "EIO", syscall: "fdatasync", when: n } as FaultCase,
    failed: [n - 1],
    acked: OPS - 1,
  })),
  ...range(3).map((n) => ({
    c: { fault: "EIO", syscall: "fdatasync", when: n, from: true } as FaultCase,
    failed: range(OPS - n + 1).map((i) => i + n - 2),
    acked: n - 1,
  })),
  ...range(OPS).map((n) => ({
    c: { fault: "ENOSPC", syscall: "write", when: n } as FaultCase,
    failed: [n - 1],
    acked: OPS - 1,
  })),
  // Syncs on worker threads: all of them failing, and a kill at the first.
  {
    c: { fault: "EIO", syscall: "fdatasync", when: 1, from: true, background: true },
    failed: range(OPS).map((i) => i - 1),
    acked: 0,
  },
  {
    c: { fault: "SIGKILL", syscall: "fdatasync", when: 1, background: true },
    failed: [],
    acked: 0,
  },
  ...range(4).flatMap((n) =>
    (["write", "fdatasync", "rename"] as const).map((syscall) => ({
      c: { fault: "SIGKILL", syscall, when: n } as FaultCase,
      failed: [],
      acked: n - 1,
    }))
  ),
];

for (const subject of SUBJECTS) {
  test(
    `rollout proto (${subject.name}) under strace: ${CASES.length} injected faults each fail exactly their op and recover`,
    { skip },
    async () => {
      await setup();
      const seen: string[] = [];
      for (const [index, { c, failed, acked }] of CASES.entries()) {
        const { dir, cleanup } = tempDir("rollout-strace-");
        try {
          const outcome = await runFaultCase(subject, c, { dir, seed: 600 + index });
          const spec = `${injectSpec(c)}${c.background === true ? " (worker thread)" : ""}`;
          assert.deepEqual(
            {
              spec,
              problems: outcome.problems,
              failedOps: outcome.failedOps,
              acked: outcome.acked,
            },
            { spec, problems: [], failedOps: failed, acked },
          );
          assert.ok(outcome.injected >= 1, `${spec}: nothing injected`);
          seen.push(spec);
        } finally {
          cleanup();
        }
      }
      console.log(`strace_test ${subject.name}: ${seen.length} cases passed: ${seen.join(" ")}`);
    },
  );
}

/** Runs `rollout proto [--no-fsync]` under strace on a fresh journal; returns what it saw. */
async function syncCalls(subject: (typeof SUBJECTS)[number], noFsync: boolean, dir: string) {
  const home = path.join(dir, "home");
  const created = await RolloutRecorder.create({ home });
  const file = created.path!;
  await created.close();
  const log = path.join(dir, "strace.log");
  const wrapper = straceWrapper({ log, trace: "write,fdatasync,fsync", path: file });
  const args = ["--home", home, ...(noFsync ? ["--no-fsync"] : [])];
  const proc = ProtoProcess.start(subject, { args, wrapper });
  await proc.send({ id: "c", op: { type: "configure_session", resume_path: file } });
  // A small item (synced inline) and a big one (synced on a worker thread when syncing).
  const texts = ["small", "x".repeat(64 * 1024)];
  for (const [i, text] of texts.entries()) {
    await proc.send({ id: `r${i}`, op: { type: "record_items", items: [userMessage(text)] } });
    assert.equal((await proc.eventFor(`r${i}`))?.msg.type, "items_recorded");
  }
  await proc.send({ id: "s", op: { type: "shutdown" } });
  proc.end();
  assert.deepEqual(await proc.exited, { code: 0, signal: null });
  const calls = fs.readFileSync(log, "utf8").split("\n");
  const items = loadRollout(file).saved.items;
  assert.deepEqual(items, texts.map((text) => userMessage(text)));
  return {
    writes: calls.filter((line) => /\bwrite\(/.test(line)).length,
    syncs: calls.filter((line) => /\bf(data)?sync\(/.test(line)).length,
  };
}

for (const subject of SUBJECTS) {
  test(`rollout proto (${subject.name}) --no-fsync writes every item and never syncs the rollout`, {
    skip,
  }, async () => {
    await setup();
    const { dir, cleanup } = tempDir("rollout-nofsync-");
    try {
      const synced = await syncCalls(subject, false, path.join(dir, "a"));
      assert.ok(synced.syncs >= 2, `${synced.syncs} syncs without --no-fsync`);
      const unsynced = await syncCalls(subject, true, path.join(dir, "b"));
      assert.ok(unsynced.writes >= 2, `${unsynced.writes} writes with --no-fsync`);
      assert.equal(unsynced.syncs, 0);
    } finally {
      cleanup();
    }
  });
}

test(
  "add_to_history syncs the history before it answers, and --no-fsync does not",
  { skip },
  () => {
    const { dir, cleanup } = tempDir("rollout-history-sync-");
    try {
      const op = `${JSON.stringify({ id: "1", op: { type: "add_to_history", text: "kept" } })}\n`;
      /** The answer to one add_to_history while every fdatasync fails with EIO. */
      const answer = (home: string, ...flags: string[]) => {
        const run = spawnSync(STRACE, [
          "-f",
          "-qq",
          "-o",
          "/dev/null",
          "-e",
          "trace=fdatasync",
          "-e",
          "inject=fdatasync:error=EIO",
          BINARY,
          "proto",
          "--home",
          home,
          ...flags,
        ], { input: op, encoding: "utf8" });
        assert.equal(run.status, 0, run.stderr);
        return JSON.parse(run.stdout).msg;
      };
      const synced = answer(path.join(dir, "a"));
      assert.equal(synced.type, "error", JSON.stringify(synced));
      assert.equal(synced.code, "io_error");
      assert.match(synced.message, /^Cannot append to history ".*": .*\(EIO in fdatasync\)$/);
      const home = path.join(dir, "b");
      const unsynced = answer(home, "--no-fsync");
      const ino = fs.statSync(path.join(home, "history.jsonl")).ino;
      assert.deepEqual(unsynced, { type: "history_entry_added", log_id: ino, offset: 0 });
    } finally {
      cleanup();
    }
  },
);

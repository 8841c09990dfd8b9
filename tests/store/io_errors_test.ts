import assert from "node:assert/strict";
import { test } from "node:test";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { type FileSystem, writeAll } from "../../lib/runtime/file_system.ts";
import type { ResponseItem } from "../../lib/schemas/items.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import type { SessionState } from "../../lib/schemas/session_meta.ts";
import { CrashFS } from "../reliability/crash_fs.ts";
import { FaultyFileSystem } from "../reliability/faulty_fs.ts";
import {
  checkImage,
  type Content,
  contentOf,
  type Expectation,
} from "../reliability/invariants.ts";
import { SeededRandom } from "../reliability/seeded_random.ts";
import { userMessage } from "../helpers.ts";

const clock = () => new Date("2026-11-26T11:15:28.123Z");
const FILE = "/h/s/rollout.jsonl";
const SESSION = "019abc00-0000-7000-8000-00000000e10e";

type Step = { items: ResponseItem[] } | { state: SessionState };

/** Sequential steps, then a pipelined group of three, then one more. */
const STEPS: Step[] = [
  { items: [userMessage("one") as ResponseItem] },
  { items: [userMessage("two ✓") as ResponseItem, userMessage("three") as ResponseItem] },
  { state: { previous_response_id: "resp_1" } },
  { items: [userMessage("four 😀") as ResponseItem] },
  { items: [userMessage("five") as ResponseItem] },
  { state: { previous_response_id: "resp_2" } },
  { items: [userMessage("six") as ResponseItem] },
];
const GROUPS = [[0], [1], [2], [3, 4, 5], [6]];

interface Run {
  disk: CrashFS;
  faulty: FaultyFileSystem;
  created: boolean;
  acked: boolean[];
  errors: unknown[];
}

/** A new journal, a new document, or a journal resumed with a torn tail and a stale temp. */
/** `journal_background`: a new journal whose every batch is synced on a worker thread. */
type Kind = "journal" | "journal_background" | "document" | "resume";

const encoder = new TextEncoder();

/** A journal holding "zero", a torn tail and a stale temporary file, all durable. */
async function tornBase(): Promise<CrashFS> {
  const disk = new CrashFS();
  const rec = await RolloutRecorder.create({
    fs: disk,
    home: "/h",
    path: FILE,
    lock: false,
    clock,
    meta: { id: SESSION },
    items: [userMessage("zero") as ResponseItem],
  });
  await rec.close();
  const image = disk.restarted();
  const old = image.peek(FILE)!;
  const tail = encoder.encode('{"timestamp":"2026-11-26T1');
  const bytes = new Uint8Array(old.length + tail.length);
  bytes.set(old);
  bytes.set(tail, old.length);
  image.seed(FILE, bytes);
  image.seed(`${FILE}.tmp-stale1`, encoder.encode("{"));
  return image;
}

function startOf(kind: Kind): Content {
  return { items: kind === "resume" ? [JSON.stringify(userMessage("zero"))] : [], state: {} };
}

async function runWorkload(
  kind: Kind,
  plan: ConstructorParameters<typeof FaultyFileSystem>[1],
): Promise<Run> {
  const document = kind === "document";
  const disk = kind === "resume" ? (await tornBase()).restarted() : new CrashFS();
  const faulty = new FaultyFileSystem(disk, plan);
  const acked = STEPS.map(() => false);
  const errors: unknown[] = [];
  let recorder: RolloutRecorder;
  try {
    recorder = kind === "resume"
      ? (await RolloutRecorder.resume(FILE, { fs: faulty, lock: false, clock })).recorder
      : await RolloutRecorder.create({
        fs: faulty,
        home: "/h",
        path: document ? FILE.replace(".jsonl", ".json") : FILE,
        format: document ? "json" : "jsonl",
        lock: false,
        clock,
        meta: { id: SESSION },
        ...(kind === "journal_background" ? { backgroundSyncBytes: 0 } : {}),
      });
  } catch (error) {
    return { disk, faulty, created: false, acked, errors: [error] };
  }
  for (const group of GROUPS) {
    const settled = await Promise.allSettled(group.map((i) => {
      const step = STEPS[i]!;
      return "items" in step ? recorder.recordItems(step.items) : recorder.recordState(step.state);
    }));
    settled.forEach((s, j) => {
      if (s.status === "fulfilled") acked[group[j]!] = true;
      else errors.push(s.reason);
    });
  }
  await recorder.close().catch((error) => errors.push(error));
  return { disk, faulty, created: true, acked, errors };
}

/** The content of exactly the acknowledged steps, in order. */
function ackedContent(acked: boolean[], start: Content): Content {
  const content: Content = { items: [...start.items], state: start.state };
  STEPS.forEach((step, i) => {
    if (!acked[i]) return;
    if ("items" in step) content.items.push(...step.items.map((item) => JSON.stringify(item)));
    else content.state = step.state;
  });
  return content;
}

/** Every prefix of the submitted records that holds all the acknowledged ones. */
function prefixesFrom(acked: boolean[], start: Content): Content[] {
  const out: Content[] = [];
  let current: Content = start;
  const need = ackedContent(acked, start).items.length;
  const push = () => current.items.length >= need && out.push(current);
  push();
  for (const step of STEPS) {
    if ("items" in step) {
      for (const item of step.items) {
        current = { items: [...current.items, JSON.stringify(item)], state: current.state };
        push();
      }
    } else {
      current = { items: current.items, state: step.state };
      push();
    }
  }
  return out;
}

async function checkEveryN(kind: Kind, sticky: boolean): Promise<{ runs: number; images: number }> {
  const document = kind === "document";
  const file = document ? FILE.replace(".jsonl", ".json") : FILE;
  const total =
    (await runWorkload(kind, { failAt: Infinity, code: "EIO", sticky })).faulty.operations;
  let images = 0;
  for (let n = 0; n < total; n++) {
    const code = n % 2 === 0 ? "EIO" : "ENOSPC";
    const run = await runWorkload(kind, { failAt: n, code, sticky });
    const where = `${kind} ${sticky ? "sticky" : "once"} ${code} at ${n}`;
    assert.ok(run.faulty.failures > 0, `${where}: the fault was not hit`);
    for (const error of run.errors) {
      assert.ok(error instanceof RolloutError, `${where}: ${error}`);
      assert.equal(error.code, "io_error", `${where}: ${error.message}`);
      assert.match(error.message, /^Cannot [a-z ]+ "\/h\/s(\/rollout\.jsonl?)?": /, where);
    }
    const firstRejected = run.acked.indexOf(false);
    if (sticky) {
      // Nothing is acknowledged after the first failure: the recovery fails too.
      assert.ok(
        run.acked.every((a, i) => a === (run.created && (firstRejected < 0 || i < firstRejected))),
        where,
      );
    } else if (run.created && firstRejected >= 0) {
      // One batch (group) fails whole; the recorder recovers and acknowledges every other one.
      const failed = GROUPS.find((g) => g.includes(firstRejected))!;
      assert.deepEqual(run.acked, STEPS.map((_, i) => !failed.includes(i)), where);
    }
    const expect: Expectation = {
      file,
      sessionId: SESSION,
      candidates: sticky || !run.created
        ? prefixesFrom(run.acked, startOf(kind))
        : [ackedContent(run.acked, startOf(kind))],
      mayBeAbsent: !run.created && kind !== "resume",
      document,
    };
    // A restart on the same disk, then a restart after a power loss at the end of the run.
    for (
      const image of [
        { label: "restart", fs: run.disk.restarted() },
        ...run.disk.images({ seed: n, reorders: 2 }),
      ]
    ) {
      images++;
      // Once the fault has passed, a failed atomic replace has removed its temporary file.
      const tidyNow = !sticky && run.created && image.label === "restart";
      const verdict = await checkImage(image.fs, { ...expect, tidyNow });
      assert.deepEqual(verdict.ok ? null : verdict.violation, null, `${where}, ${image.label}`);
    }
  }
  return { runs: total, images };
}

for (const kind of ["journal", "journal_background", "document", "resume"] as const) {
  for (const sticky of [false, true]) {
    const what = kind === "resume"
      ? "journal resumed after a torn tail"
      : kind === "journal_background"
      ? "new journal synced in the background"
      : `new ${kind}`;
    const name = `RolloutRecorder, ${what}: the N-th operation fails ${
      sticky ? "from then on" : "once"
    }, for every N: covered ops reject with io_error and a restart keeps the invariants`;
    test(name, async () => {
      const figures = await checkEveryN(kind, sticky);
      assert.ok(figures.runs > 20, `only ${figures.runs} operations`);
      console.log(
        `io errors (${kind}, ${
          sticky ? "sticky" : "once"
        }): ${figures.runs} fault points, ${figures.images} images checked`,
      );
    });
  }
}

test("RolloutRecorder writes every byte through short writes", async () => {
  for (const document of [false, true]) {
    const disk = new CrashFS();
    const faulty = new FaultyFileSystem(disk, {
      failAt: Infinity,
      code: "EIO",
      sticky: false,
      shortWrites: new SeededRandom(7),
    });
    const file = document ? FILE.replace(".jsonl", ".json") : FILE;
    const rec = await RolloutRecorder.create({
      fs: faulty,
      home: "/h",
      path: file,
      format: document ? "json" : "jsonl",
      lock: false,
      clock,
      meta: { id: SESSION },
    });
    const items = STEPS.flatMap((s) => ("items" in s ? s.items : []));
    await Promise.all(items.map((item) => rec.recordItems([item])));
    await rec.recordItems([userMessage("x".repeat(5000))]);
    await rec.close();
    assert.ok(faulty.shortWrites > 3, `only ${faulty.shortWrites} short writes`);
    const loaded = loadRollout(file, { fs: disk.restarted() });
    assert.deepEqual(
      contentOf(loaded).items,
      [...items, userMessage("x".repeat(5000))].map((i) => JSON.stringify(i)),
    );
    assert.equal(loaded.report.torn_tail, null);
  }
});

test("writeAll() fails with EIO when a write makes no progress", () => {
  const stuck = { write: () => 0 } as unknown as FileSystem;
  assert.throws(
    () => writeAll(stuck, 3, new Uint8Array([1, 2])),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, "EIO");
      assert.equal(error.message, "write made no progress");
      return true;
    },
  );
});

import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { OpPipeline } from "../../lib/proto/op_pipeline.ts";
import { collect, skipReason } from "../helpers.ts";

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test("OpPipeline.submit() starts shared ops at once and exclusive ones after all before them", async () => {
  const pipeline = new OpPipeline();
  const log: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  const op = (name: string) => () => {
    log.push(`start ${name}`);
    const gate = deferred<void>();
    gates.set(name, gate);
    return gate.promise.then(() => {
      log.push(`end ${name}`);
      return name;
    });
  };
  const outcomes = [
    pipeline.submit("shared", op("a")),
    pipeline.submit("shared", op("b")),
    pipeline.submit("exclusive", op("X")),
    pipeline.submit("shared", op("c")),
    pipeline.submit("shared", op("d")),
  ];
  assert.deepEqual(log, ["start a", "start b"]);
  gates.get("b")!.resolve();
  await outcomes[1];
  assert.deepEqual(log, ["start a", "start b", "end b"]);
  gates.get("a")!.resolve();
  await outcomes[0];
  await Promise.resolve();
  assert.deepEqual(log.slice(3), ["end a", "start X"]);
  gates.get("X")!.resolve();
  await outcomes[2];
  await Promise.resolve();
  assert.deepEqual(log.slice(5), ["end X", "start c", "start d"]);
  const settled = pipeline.settled();
  const fifth = pipeline.submit("shared", op("e"));
  assert.equal(log.at(-1), "start e");
  for (const name of ["c", "d", "e"]) gates.get(name)!.resolve();
  assert.deepEqual(await Promise.all([...outcomes, fifth]), ["a", "b", "X", "c", "d", "e"]);
  await settled;
});

test("OpPipeline.settled() resolves at once when idle and after the last op otherwise", async () => {
  const pipeline = new OpPipeline();
  await pipeline.settled();
  const gate = deferred<void>();
  let done = false;
  pipeline.submit("exclusive", () => gate.promise.then(() => (done = true)));
  const settled = pipeline.settled().then(() => done);
  gate.resolve();
  assert.equal(await settled, true);
});

test("OpPipeline.startShared() starts only when submit would, and holds exclusive ops back", async () => {
  const pipeline = new OpPipeline();
  const first = pipeline.startShared();
  assert.notEqual(first, null);
  const log: string[] = [];
  const gate = deferred<void>();
  const exclusive = pipeline.submit("exclusive", () => {
    log.push("X");
    return gate.promise;
  });
  // An exclusive op waits for the shared op started by startShared()...
  await Promise.resolve();
  assert.deepEqual(log, []);
  // ...and a shared op after it may not start at once.
  assert.equal(pipeline.startShared(), null);
  first!();
  assert.deepEqual(log, ["X"]);
  assert.equal(pipeline.startShared(), null);
  gate.resolve();
  await exclusive;
  await Promise.resolve();
  const last = pipeline.startShared();
  assert.notEqual(last, null);
  let idle = false;
  const settled = pipeline.settled().then(() => (idle = true));
  await Promise.resolve();
  assert.equal(idle, false);
  last!();
  await settled;
});

test("OpPipeline: a shared op submitted while an exclusive one runs waits for it", async () => {
  const pipeline = new OpPipeline();
  const log: string[] = [];
  const gate = deferred<void>();
  const exclusive = pipeline.submit("exclusive", () => {
    log.push("start X");
    return gate.promise.then(() => log.push("end X"));
  });
  // The exclusive op is running and nothing is queued behind it.
  assert.deepEqual(log, ["start X"]);
  const shared = pipeline.submit("shared", () => {
    log.push("start s");
    return Promise.resolve();
  });
  await Promise.resolve();
  assert.deepEqual(log, ["start X"]);
  gate.resolve();
  await exclusive;
  await shared;
  assert.deepEqual(log, ["start X", "end X", "start s"]);
});

test("OpPipeline.settled() waits for every op, round after round", async () => {
  const pipeline = new OpPipeline();
  for (let round = 0; round < 2; round++) {
    const gates = [deferred<void>(), deferred<void>()];
    const ops = gates.map((gate) => pipeline.submit("shared", () => gate.promise));
    let idle = false;
    const settled = pipeline.settled().then(() => (idle = true));
    gates[0]!.resolve();
    await ops[0];
    await Promise.resolve();
    assert.equal(idle, false, `round ${round}: one op still runs`);
    gates[1]!.resolve();
    await settled;
    assert.equal(idle, true);
  }
});

test("OpPipeline's memory stays flat over millions of queued ops: started ones leave its queue", {
  skip: skipReason(
    "op_pipeline_test.ts",
    collect === null && "needs a full collection on demand (Bun, or V8's --expose-gc)",
  ),
}, async () => {
  const pipeline = new OpPipeline();
  // Exclusive ops always pass through the queue; a batch of them at a time, as a busy stream.
  const run = async (ops: number) => {
    for (let i = 0; i < ops; i += 1000) {
      const batch = [];
      for (let k = 0; k < 1000; k++) {
        batch.push(pipeline.submit("exclusive", () => Promise.resolve()));
      }
      await Promise.all(batch);
    }
  };
  await run(10_000);
  collect!();
  const before = process.memoryUsage().heapUsed;
  // A queue that kept a slot per op ever started would hold 2 million slots: 16 MB or more.
  await run(2_000_000);
  await pipeline.settled();
  collect!();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 6 * 1024 * 1024, `the heap grew by ${grown} bytes`);
});

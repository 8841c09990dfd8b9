import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { eventLine, EventWriter } from "../../lib/proto/event_writer.ts";
import type { EventMsg } from "../../lib/schemas/protocol.ts";
import { collect, skipReason } from "../helpers.ts";

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** An EventWriter over an output that keeps every write. */
function recordingWriter(): { writer: EventWriter; written: string[] } {
  const written: string[] = [];
  const writer = new EventWriter({
    isTTY: false,
    write: (data) => {
      written.push(data as string);
      return Promise.resolve();
    },
  }, { onFailure: () => assert.fail("no failure expected") });
  return { writer, written };
}

test("EventWriter writes events in push order, settled ones sharing a write, none split", async () => {
  const { writer, written } = recordingWriter();
  const late = deferred<EventMsg>();
  writer.push("1", late.promise);
  writer.push("2", { type: "flushed" });
  assert.equal(writer.backlog, 2);
  const below = writer.below(1);
  late.resolve({ type: "shutdown_complete" });
  await below;
  await writer.drained();
  assert.deepEqual(written, [
    '{"id":"1","msg":{"type":"shutdown_complete"}}\n{"id":"2","msg":{"type":"flushed"}}\n',
  ]);
});

test("EventWriter writes the head as soon as it settles, before later events are known", async () => {
  const { writer, written } = recordingWriter();
  const late = deferred<EventMsg>();
  writer.push("1", { type: "flushed" });
  writer.push("2", late.promise);
  writer.push("3", { type: "flushed" });
  await writer.below(3);
  assert.deepEqual(written, ['{"id":"1","msg":{"type":"flushed"}}\n']);
  late.resolve({ type: "shutdown_complete" });
  await writer.drained();
  assert.deepEqual(written, [
    '{"id":"1","msg":{"type":"flushed"}}\n',
    '{"id":"2","msg":{"type":"shutdown_complete"}}\n{"id":"3","msg":{"type":"flushed"}}\n',
  ]);
});

test("EventWriter stops writing after a failed write and reports it once", async () => {
  const failures: unknown[] = [];
  let calls = 0;
  const writer = new EventWriter({
    isTTY: false,
    write: () => {
      calls++;
      return Promise.reject(new Error("EPIPE"));
    },
  }, { onFailure: (error) => failures.push(error) });
  writer.push("1", { type: "flushed" });
  writer.push("2", { type: "flushed" });
  await writer.drained();
  assert.equal(calls, 1);
  assert.equal(writer.failed, true);
  assert.deepEqual(failures.map((e) => (e as Error).message), ["EPIPE"]);
  assert.equal(writer.backlog, 0);
});

test("eventLine() gives the JSON of {id, msg} for every event shape, ids of any text", () => {
  const ids = ["0", "c-1", 'q"uote', "back\\slash", "line\nbreak", "é€🎉", "\ud800lone", ""];
  const msgs: EventMsg[] = [
    { type: "items_recorded", recorded: 1, dropped: [], item_count: 100_000 },
    {
      type: "items_recorded",
      recorded: 0,
      dropped: [{ index: 0, type: "reasoning" }],
      item_count: 3,
    },
    { type: "state_recorded", previous_response_id: null },
    { type: "flushed" },
    { type: "error", code: "invalid_json", message: "Line 3 is not JSON" },
  ];
  for (const id of ids) {
    for (const msg of msgs) {
      const line = eventLine(id, msg);
      assert.equal(line, `${JSON.stringify({ id, msg })}\n`);
      assert.deepEqual(JSON.parse(line), { id, msg });
    }
  }
});

test("EventWriter.reserve() keeps a slot in order until its answer comes, then writes it", async () => {
  const { writer, written } = recordingWriter();
  const answerFirst = writer.reserve("1");
  writer.push("2", { type: "flushed" });
  const answerThird = writer.reserve("3");
  answerThird({ type: "shutdown_complete" });
  // Whatever the writer can do without the head's answer, it has done one turn later: nothing.
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(written, []);
  assert.equal(writer.backlog, 3);
  answerFirst({ type: "items_recorded", recorded: 1, dropped: [], item_count: 1 });
  await writer.drained();
  assert.deepEqual(
    written.join(""),
    [
      '{"id":"1","msg":{"type":"items_recorded","recorded":1,"dropped":[],"item_count":1}}\n',
      '{"id":"2","msg":{"type":"flushed"}}\n',
      '{"id":"3","msg":{"type":"shutdown_complete"}}\n',
    ].join(""),
  );
  // An answer given at once is written like any settled event.
  writer.reserve("4")({ type: "flushed" });
  await writer.drained();
  assert.equal(written.at(-1), '{"id":"4","msg":{"type":"flushed"}}\n');
});

/** One turn of the event loop: what the writer can do without the test, it has done. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** An EventWriter whose writes wait until the test lets each one finish (`release()`). */
function gatedWriter() {
  const written: string[] = [];
  const gates: (() => void)[] = [];
  const writer = new EventWriter({
    isTTY: false,
    write: (data) => {
      written.push(data as string);
      return new Promise<void>((resolve) => gates.push(resolve));
    },
  }, { onFailure: () => assert.fail("no failure expected") });
  return {
    writer,
    written,
    /** Waits for the writer to start a write, lets it finish, and gives the writer a turn. */
    async release() {
      while (gates.length === 0) await turn();
      gates.shift()!();
      await turn();
    },
    /** Lets every write finish until all is written. */
    async drain() {
      let done = false;
      void writer.drained().then(() => (done = true));
      while (!done) {
        gates.shift()?.();
        await turn();
      }
    },
  };
}

const flushed = (n: number) => `{"id":"${n}","msg":{"type":"flushed"}}\n`;

test("eventLine() keeps an acknowledgement's redaction counts", () => {
  const msg: EventMsg = {
    type: "items_recorded",
    recorded: 2,
    dropped: [],
    item_count: 7,
    redacted: { github: 1, "private key": 2 },
  };
  const line = eventLine("r", msg);
  assert.equal(line, `${JSON.stringify({ id: "r", msg })}\n`);
  assert.deepEqual(JSON.parse(line).msg.redacted, { github: 1, "private key": 2 });
});

test("EventWriter: events that settled as promises join the next write with the rest", async () => {
  const { writer, written, release, drain } = gatedWriter();
  writer.push("1", { type: "flushed" });
  await turn();
  // Event 1 is being written; the next three wait for that write to finish.
  const late = deferred<EventMsg>();
  writer.push("2", late.promise);
  writer.push("3", Promise.resolve({ type: "flushed" }));
  writer.push("4", { type: "flushed" });
  late.resolve({ type: "flushed" });
  await turn();
  await release();
  await drain();
  assert.deepEqual(written, [flushed(1), flushed(2) + flushed(3) + flushed(4)]);
});

test("EventWriter: an answer given while an earlier write is in flight is written after it", async () => {
  const { writer, written, drain } = gatedWriter();
  writer.push("1", { type: "flushed" });
  await turn();
  assert.deepEqual(written, [flushed(1)]);
  writer.reserve("2")({ type: "flushed" });
  await drain();
  assert.deepEqual(written, [flushed(1), flushed(2)]);
});

test("EventWriter.below(n) resolves once fewer than n events wait, not before", async () => {
  const { writer, release } = gatedWriter();
  let at2 = false;
  let at1 = false;
  assert.equal(await Promise.race([writer.below(1), "waits"]), undefined, "none waits");
  writer.push("1", { type: "flushed" });
  const gated = deferred<EventMsg>();
  writer.push("2", gated.promise);
  writer.push("3", { type: "flushed" });
  await turn();
  // Event 1 is being written (off the backlog); 2 and 3 wait.
  assert.equal(writer.backlog, 2);
  void writer.below(2).then(() => (at2 = true));
  void writer.below(1).then(() => (at1 = true));
  assert.equal(await Promise.race([writer.below(3), "waits"]), undefined, "2 < 3: at once");
  await release();
  assert.deepEqual([at2, at1], [false, false], "still 2 waiting");
  gated.resolve({ type: "flushed" });
  await turn();
  // 2 and 3 are being written in one write: they count as waiting until it is done.
  assert.deepEqual([at2, at1], [false, false]);
  await release();
  assert.deepEqual([at2, at1], [true, true]);
  await writer.drained();
});

test("EventWriter gathers at most about 1 MiB of settled events into one write", async () => {
  const { writer, written, drain } = gatedWriter();
  writer.push("first", { type: "flushed" });
  await turn();
  const big = "x".repeat(300_000);
  for (let i = 0; i < 10; i++) {
    writer.push(`${i}`, { type: "error", code: "invalid_json", message: big });
  }
  await drain();
  // The first write alone, then 3 MB in writes that each stop once past 1 MiB.
  assert.equal(written.length, 4, written.map((w) => w.length).join(" "));
  for (const text of written.slice(1)) assert.ok(text.length < (1 << 20) + 300_100);
  assert.equal(written.join("").split("\n").length - 1, 11);
});

test("EventWriter writes nothing more after a failed write, events pushed later included", async () => {
  let calls = 0;
  const writer = new EventWriter({
    isTTY: false,
    write: () => {
      calls++;
      return Promise.reject(new Error("EPIPE"));
    },
  }, { onFailure: () => {} });
  writer.push("1", { type: "flushed" });
  await writer.drained();
  writer.push("2", { type: "flushed" });
  await writer.drained();
  assert.equal(calls, 1);
});

test("EventWriter keeps order over many thousands of events (its queue is compacted as it goes)", async () => {
  const { writer, written, drain } = gatedWriter();
  const count = 20_000;
  // Pushed while writes wait, so that thousands are taken off the queue between writes.
  for (let i = 0; i < count; i++) {
    writer.push(`${i}`, i % 3 === 0 ? Promise.resolve({ type: "flushed" }) : { type: "flushed" });
    if (i % 5000 === 0) await turn();
  }
  await drain();
  const ids = written.join("").trimEnd().split("\n").map((line) => JSON.parse(line).id);
  assert.deepEqual(ids, Array.from({ length: count }, (_, i) => `${i}`));
});

test("EventWriter's memory stays flat over millions of events: written ones leave its queue", {
  skip: skipReason(
    "event_writer_test.ts",
    collect === null && "needs a full collection on demand (Bun, or V8's --expose-gc)",
  ),
}, async () => {
  const writer = new EventWriter({ isTTY: false, write: () => Promise.resolve() }, {
    onFailure: () => assert.fail("no failure expected"),
  });
  const msg: EventMsg = { type: "flushed" };
  // Batches of 5,000: more than the 4,096 written slots a queue may keep before it compacts.
  const run = async (events: number) => {
    for (let i = 0; i < events; i += 5000) {
      for (let k = 0; k < 5000; k++) writer.push("x", msg);
      await writer.drained();
    }
  };
  await run(10_000);
  collect!();
  const before = process.memoryUsage().heapUsed;
  // A queue that kept a slot per event ever written would hold 4 million slots: 32 MB or more.
  await run(4_000_000);
  collect!();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 8 * 1024 * 1024, `the heap grew by ${grown} bytes`);
});

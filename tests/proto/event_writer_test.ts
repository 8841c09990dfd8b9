import assert from "node:assert/strict";
import { test } from "node:test";
import { eventLine, EventWriter } from "../../lib/proto/event_writer.ts";
import type { EventMsg } from "../../lib/schemas/protocol.ts";

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

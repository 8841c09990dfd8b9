import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { DocumentSink } from "../../lib/store/document_sink.ts";
import { nodeFileSystem } from "../../lib/runtime/file_system.ts";
import { writeFixture } from "../fixtures_rollouts.ts";
import { setup, tempDir, userMessage } from "../helpers.ts";

test("RolloutRecorder.resume() refuses a document it could not rewrite, changing nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const text =
      `{"session":{"id":"a","timestamp":"t"},"items":[{"type":"web_search_call"},{"type":"web_search_call","x":${deep}}],"state":{}}`;
    const file = writeFixture(dir, "deep.json", text);
    const loaded = loadRollout(file);
    assert.equal(loaded.saved.items.length, 1);
    assert.deepEqual(loaded.report.skipped_lines, [
      { line: null, offset: null, message: "items[1]: nested deeper than 1000 levels" },
    ]);
    await assert.rejects(RolloutRecorder.resume(file), (error: unknown) => {
      assert.ok(error instanceof RolloutError);
      assert.equal(error.code, "invalid_rollout");
      assert.equal(
        error.message,
        `Cannot write rollout "${file}": items[1] cannot be encoded again: it is nested deeper than 1000 levels`,
      );
      return true;
    });
    assert.equal(fs.readFileSync(file, "utf8"), text);
    assert.deepEqual(fs.readdirSync(dir), ["deep.json"]);
  } finally {
    cleanup();
  }
});

test("RolloutRecorder.resume() of a document appends without re-encoding stored items", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(
      dir,
      "doc.json",
      `{"session":{"id":"a","timestamp":"t"},"items":[{"type":"web_search_call","keep":"\\u00e9"}],"state":{}}`,
    );
    const { recorder } = await RolloutRecorder.resume(file);
    await recorder.recordItems([{ type: "web_search_call", n: 2 }]);
    await recorder.close();
    assert.equal(
      fs.readFileSync(file, "utf8"),
      JSON.stringify(
        {
          session: { id: "a", timestamp: "t" },
          items: [{ type: "web_search_call", keep: "é" }, { type: "web_search_call", n: 2 }],
          state: {},
        },
        null,
        2,
      ),
    );
  } finally {
    cleanup();
  }
});

/** A DocumentSink over the real file system, and what its file holds now. */
function sinkAt(
  dir: string,
  format: "document" | "codex_ts_document",
  items: unknown[] = [],
  state: Record<string, unknown> = {},
) {
  const file = path.join(dir, `s-${format}.json`);
  const sink = new DocumentSink(nodeFileSystem, {
    path: file,
    format,
    sync: false,
    meta: { id: "019abc00-0000-7000-8000-0000000000d5", timestamp: "2026-11-20T09:00:00Z" },
    items,
    state,
  });
  // SPEC §2.2: the document is what JSON.stringify(x, null, 2) gives, byte for byte.
  const read = () => {
    const text = fs.readFileSync(file, "utf8");
    const value = JSON.parse(text);
    assert.equal(text, JSON.stringify(value, null, 2));
    return value;
  };
  return { sink, file, read };
}
const META = { id: "019abc00-0000-7000-8000-0000000000d5", timestamp: "2026-11-20T09:00:00Z" };
const itemRecord = (item: Record<string, unknown>, asValue = true) => ({
  kind: "response_item" as const,
  item: asValue ? item as never : undefined,
  payload: JSON.stringify(item),
  mirror: null,
  timestamp: "2026-11-20T09:00:01Z",
});
const stateRecord = (state: Record<string, unknown>) => ({
  kind: "state" as const,
  state,
  timestamp: "2026-11-20T09:00:02Z",
});

test("DocumentSink writes the whole document at each commit: items in order, the last state", () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = userMessage("a");
    const b = userMessage("b");
    const { sink, read } = sinkAt(dir, "document");
    sink.commit([itemRecord(a)]);
    assert.deepEqual(read(), { session: META, items: [a], state: {} });
    // An item given as its payload only (from the parse thread) is written the same.
    sink.commit([stateRecord({ previous_response_id: "r1" }), itemRecord(b, false)]);
    assert.deepEqual(read(), {
      session: META,
      items: [a, b],
      state: { previous_response_id: "r1" },
    });
    sink.commit([stateRecord({})]);
    assert.deepEqual(read(), { session: META, items: [a, b], state: {} });
  } finally {
    cleanup();
  }
});

test("DocumentSink keeps the stored items, and Codex's document has a state only with an id", () => {
  const { dir, cleanup } = tempDir();
  try {
    const x = userMessage("x");
    const y = userMessage("y");
    const z = userMessage("z");
    const codex = sinkAt(dir, "codex_ts_document", [x, y]);
    codex.sink.commit([itemRecord(z)]);
    assert.deepEqual(codex.read(), { session: META, items: [x, y, z] });
    codex.sink.commit([stateRecord({ previous_response_id: "r2" })]);
    assert.deepEqual(codex.read(), {
      session: META,
      items: [x, y, z],
      state: { previous_response_id: "r2" },
    });
    const ours = sinkAt(dir, "document", [x], { previous_response_id: "r0" });
    ours.sink.commit([itemRecord(y)]);
    assert.deepEqual(ours.read(), {
      session: META,
      items: [x, y],
      state: { previous_response_id: "r0" },
    });
  } finally {
    cleanup();
  }
});

test("DocumentSink grows its buffer for long and multi-byte items; an empty commit writes nothing", () => {
  const { dir, cleanup } = tempDir();
  try {
    const { sink, file, read } = sinkAt(dir, "document");
    sink.commit([]);
    assert.equal(fs.existsSync(file), false, "nothing committed: no file");
    const items = ["é".repeat(300_000), "🎉".repeat(100_000), "plain".repeat(50_000)].map(
      userMessage,
    );
    for (const item of items) sink.commit([itemRecord(item)]);
    assert.deepEqual(read(), { session: META, items, state: {} });
  } finally {
    cleanup();
  }
});

test("DocumentSink.recover() writes back exactly what was committed", () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = userMessage("a");
    const { sink, file, read } = sinkAt(dir, "document");
    sink.commit([stateRecord({ previous_response_id: "r" }), itemRecord(a)]);
    const committed = fs.readFileSync(file);
    fs.writeFileSync(file, "damaged");
    sink.recover();
    assert.deepEqual(fs.readFileSync(file), committed);
    assert.deepEqual(read(), { session: META, items: [a], state: { previous_response_id: "r" } });
  } finally {
    cleanup();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { checkItem } from "../../lib/schemas/items.ts";
import { nestsDeeperThan } from "../../lib/base/json_depth.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";

function nested(depth: number): unknown {
  return JSON.parse("[".repeat(depth) + "]".repeat(depth));
}

test("nestsDeeperThan() counts objects and arrays, not scalars", () => {
  assert.equal(nestsDeeperThan(1, 0), false);
  assert.equal(nestsDeeperThan({}, 1), false);
  assert.equal(nestsDeeperThan({}, 0), true);
  assert.equal(nestsDeeperThan({ a: [{ b: "x" }] }, 3), false);
  assert.equal(nestsDeeperThan({ a: [{ b: "x" }] }, 2), true);
  assert.equal(nestsDeeperThan(nested(1000), 1000), false);
  assert.equal(nestsDeeperThan(nested(1001), 1000), true);
  assert.equal(nestsDeeperThan(nested(200_000), 1000), true);
});

test("checkItem() refuses an item nested deeper than 1000 levels, whatever its type", () => {
  const item = { type: "reasoning", x: nested(1000) };
  assert.deepEqual(checkItem(item, "items[4]"), {
    ok: false,
    message: "items[4]: nested deeper than 1000 levels",
  });
  assert.equal(checkItem({ type: "reasoning", x: nested(998) }, "items[4]").ok, true);
  assert.deepEqual(checkItem(item, "payload", { nestingChecked: false }), {
    ok: false,
    message: "payload: nested deeper than 1000 levels",
  });
  // A caller that already bounded the nesting (a short line, a scanned op) skips the walk.
  assert.equal(checkItem(item, "payload", { nestingChecked: true }).ok, true);
});

test("RolloutRecorder.recordItems() rejects a deeply nested item at once, recording nothing", async () => {
  const rec = RolloutRecorder.inMemory({});
  const deep = { type: "web_search_call", x: nested(100_000) };
  await assert.rejects(rec.recordItems([{ type: "web_search_call" }, deep]), {
    code: "invalid_submission",
    message: "items[1]: nested deeper than 1000 levels",
  });
  await rec.close();
  assert.deepEqual(rec.items, []);
});

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { writeFixture } from "../fixtures_rollouts.ts";
import { setup, tempDir } from "../helpers.ts";

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

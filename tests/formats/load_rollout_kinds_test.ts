import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { tempDir } from "../helpers.ts";

test("loadRollout() refuses a folder and a FIFO as invalid_rollout, without waiting on the FIFO", () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(() => loadRollout(dir), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${dir}": it is a folder`,
    });
    const fifo = path.join(dir, "pipe.jsonl");
    const made = spawnSync("mkfifo", [fifo]);
    assert.equal(made.status, 0, "mkfifo is needed for this test");
    assert.throws(() => loadRollout(fifo), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${fifo}": it is not a regular file`,
    });
  } finally {
    cleanup();
  }
});

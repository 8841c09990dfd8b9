import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";

test("rollout proto passes --home, --format and --max-line-bytes to the op stream", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const stdin = [
      '{"id":"1","op":{"type":"configure_session","cwd":"/repo"}}',
      `{"id":"2","op":{"type":"record_items","items":[{"type":"message","role":"user","content":[{"type":"input_text","text":"${
        "x".repeat(300)
      }"}]}]}}`,
      '{"id":"3","op":{"type":"shutdown"}}',
      "",
    ].join("\n");
    const result = await cli(
      ["proto", "--home", dir, "--format", "json", "--no-fsync", "--max-line-bytes", "260"],
      { stdin },
    );
    assert.equal(result.code, 0, result.stderr);
    const events = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(events.map((e) => [e.id, e.msg.type]), [
      ["1", "session_configured"],
      ["", "error"],
      ["3", "shutdown_complete"],
    ]);
    assert.equal(events[1].msg.code, "line_too_long");
    const file: string = events[0].msg.rollout_path;
    assert.ok(file.startsWith(`${dir}/sessions/`) && file.endsWith(".json"), file);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")).items, []);
  } finally {
    cleanup();
  }
});

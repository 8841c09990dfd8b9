import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT, tempDir, userMessage } from "../helpers.ts";

const BINARY = path.join(ROOT, "dist", "rollout");

/** Runs the binary with stdout read until the first chunk, then closed (as `| head -c 1`). */
function runClosingEarly(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
    child.stdout.once("data", () => child.stdout.destroy());
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

test("dist/rollout load and export end cleanly when the reader of stdout goes away", async () => {
  assert.ok(fs.existsSync(BINARY), `${BINARY} is missing: run "npm run build" first`);
  const { dir, cleanup } = tempDir();
  try {
    const lines = Array.from(
      { length: 2000 },
      (_, i) => JSON.stringify(userMessage(`message ${i} ${"x".repeat(200)}`)),
    );
    spawnSync(BINARY, ["new", "--home", dir]);
    const appended = spawnSync(BINARY, ["append", "--last", "--home", dir], {
      input: lines.join("\n") + "\n",
      encoding: "utf8",
    });
    assert.equal(appended.status, 0, appended.stderr);
    for (const args of [["load"], ["export", "--to", "json"], ["show"]]) {
      const result = await runClosingEarly([...args, "--last", "--home", dir]);
      assert.deepEqual(result, { code: 0, stderr: "" }, `rollout ${args.join(" ")}`);
    }
  } finally {
    cleanup();
  }
});

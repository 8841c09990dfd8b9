import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT, tempDir, userMessage } from "../helpers.ts";

const BINARY = path.join(ROOT, "dist", "rollout");

/** Runs the binary with stdout read until the first chunk, then closed (as `| head -c 1`). */
function runClosingEarly(
  args: string[],
): Promise<{ code: number | null; stderr: string; first: string }> {
  return new Promise((resolve) => {
    const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let first = "";
    child.stderr.on("data", (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
    child.stdout.once("data", (chunk: Uint8Array) => {
      first = new TextDecoder().decode(chunk);
      child.stdout.destroy();
    });
    child.on("close", (code) => resolve({ code, stderr, first }));
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
    const session = fs.readdirSync(dir, { recursive: true, encoding: "utf8" })
      .find((name) => name.endsWith(".jsonl"))!;
    const before = fs.readFileSync(path.join(dir, session));
    for (const args of [["load"], ["export", "--to", "json"], ["show"]]) {
      const argv = [...args, "--last", "--home", dir];
      const whole = spawnSync(BINARY, argv, { encoding: "utf8", maxBuffer: 1 << 30 });
      assert.equal(whole.status, 0, whole.stderr);
      assert.ok(whole.stdout.length > 200_000, `rollout ${args.join(" ")}: a long output`);
      const result = await runClosingEarly(argv);
      const what = `rollout ${args.join(" ")}`;
      assert.deepEqual({ code: result.code, stderr: result.stderr }, { code: 0, stderr: "" }, what);
      // It had begun writing its real output when the reader went away.
      assert.ok(result.first.length > 0, `${what}: no output`);
      assert.ok(whole.stdout.startsWith(result.first), `${what}: ${result.first.slice(0, 80)}`);
    }
    assert.deepEqual(fs.readFileSync(path.join(dir, session)), before, "the session is unchanged");
  } finally {
    cleanup();
  }
});

/**
 * Keeps scripts/bench_alternating.ts from rotting: two builds (the binary, and the binary with a
 * setting in its environment) timed in turn over a small generated rollout, for a command that
 * writes a copy and one that reads. Not a timed test: no figure is judged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BINARY_PATH, ROOT, tempDir } from "../helpers.ts";
import { writeBigRollout } from "../../scripts/big_rollout.ts";

test("scripts/bench_alternating.ts times each build in turn beside the reference, and leaves no copy", () => {
  assert.ok(fs.existsSync(BINARY_PATH), `${BINARY_PATH} is missing: run "npm run build" first`);
  const { dir, cleanup } = tempDir("rollout-alternating-test-");
  try {
    const file = path.join(dir, "b8.jsonl");
    writeBigRollout(file, 2 * 1024 * 1024);
    const script = path.join(ROOT, "scripts", "bench_alternating.ts");
    const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
    for (const command of ["convert --to jsonl", "validate"]) {
      const args = [
        ...(deno ? ["run", "-A"] : []),
        script,
        file,
        `plain=${BINARY_PATH}`,
        `set=${BINARY_PATH},NO_COLOR=1`,
        "--rounds",
        "2",
        "--command",
        command,
      ];
      const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^${command}, 2 rounds, \\d+ MB$`, "m"));
      assert.match(run.stdout, /^reference +[\d,]+ [\d,]+ +median \d+ ms$/m);
      for (const name of ["plain", "set"]) {
        assert.match(
          run.stdout,
          new RegExp(`^${name} +[\\d,]+ [\\d,]+ +median \\d+ ms +× reference [\\d.]+ +peak `, "m"),
        );
      }
      assert.deepEqual(fs.readdirSync(dir), ["b8.jsonl"]);
    }
    // A build that is not there is refused by name.
    const missing = spawnSync(process.execPath, [
      ...(deno ? ["run", "-A"] : []),
      script,
      file,
      `gone=${path.join(dir, "nothing")}`,
    ], { cwd: ROOT, encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nothing is missing/);
  } finally {
    cleanup();
  }
});

/**
 * Keeps scripts/bench_read_loops.ts from rotting: a run over a small generated rollout prints a
 * row for every variant, each having parsed the same lines (the script fails otherwise). Not a
 * timed test: no figure is judged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../helpers.ts";

test("scripts/bench_read_loops.ts runs every variant over the same lines", () => {
  const script = path.join(ROOT, "scripts", "bench_read_loops.ts");
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  const args = [...(deno ? ["run", "-A"] : []), script, "--mib", "4", "--rounds", "1"];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  const header = /^(bun|deno), 4 MiB, (\d+) lines, 1 rounds/m.exec(run.stdout);
  assert.ok(header !== null && Number(header[2]) > 0, run.stdout);
  for (const variant of ["plain", "no-base64", "worker-decode", "worker-read"]) {
    assert.match(run.stdout, new RegExp(`^${variant} +[\\d,.]+ \\(.*\\) ms +peak `, "m"));
  }
});

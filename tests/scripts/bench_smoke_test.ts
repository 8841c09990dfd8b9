/**
 * Keeps scripts/bench.ts from rotting: a `--quick` run on the runtime running this test prints
 * every scenario and writes the same figures as JSON. Not a timed test: no figure is judged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { readmeTable } from "../../scripts/bench_readme.ts";
import { ROOT, tempDir } from "../helpers.ts";

const IDS = [
  "B1",
  "B2",
  "B3",
  "growth",
  "bytes",
  "B4",
  "B5",
  "B6",
  "B7",
  "B8",
  "B9",
  "B10",
  "B11",
  "B12",
];

function runtime(): "bun" | "deno" {
  return (globalThis as unknown as { Bun?: unknown }).Bun === undefined ? "deno" : "bun";
}

test("scripts/bench.ts --quick prints every scenario and writes numeric medians as JSON", () => {
  const { dir, cleanup } = tempDir("rollout-bench-smoke-");
  try {
    const script = path.join(ROOT, "scripts", "bench.ts");
    // One repetition: the test checks that every scenario runs and reports, not its figures.
    const args = runtime() === "deno"
      ? ["run", "-A", script, "--quick", "--reps", "1", "--out", dir]
      : [script, "--quick", "--reps", "1", "--out", dir];
    const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const printed = new Set(
      run.stdout.split("\n").flatMap((line) => {
        const match = /^\| (\S+)\s+\|/.exec(line) ?? /^(\S+): not measured: /.exec(line);
        return match === null ? [] : [match[1]!];
      }),
    );
    for (const id of IDS) assert.ok(printed.has(id), `scenario ${id} missing from:\n${run.stdout}`);
    const file = path.join(dir, `results-${runtime()}.json`);
    const json = JSON.parse(fs.readFileSync(file, "utf8")) as {
      runtime: string;
      quick: boolean;
      rows: { id: string; median: unknown; min: unknown; max: unknown; samples: unknown[] }[];
      skips: { id: string; reason: string }[];
    };
    assert.equal(json.runtime, runtime());
    assert.equal(json.quick, true);
    const inJson = new Set([...json.rows.map((r) => r.id), ...json.skips.map((s) => s.id)]);
    assert.deepEqual([...inJson].sort(), [...IDS].sort());
    for (const row of json.rows) {
      for (const value of [row.median, row.min, row.max, ...row.samples]) {
        assert.equal(typeof value, "number", `${row.id}: ${JSON.stringify(row)}`);
        assert.ok(Number.isFinite(value), `${row.id}: ${JSON.stringify(row)}`);
      }
    }
  } finally {
    cleanup();
  }
});

test("readmeTable() puts Bun and Deno medians side by side with each runtime's verdict", () => {
  const row = (median: number, met: boolean) => ({
    id: "B1",
    label: "ratio journal / limit",
    unit: "×",
    median,
    min: median,
    max: median,
    samples: [median],
    goal: "≥ 0.8",
    met,
  });
  const speed = { id: "B2", label: "journal, 200,000 pipelined items", unit: "items/s" };
  const table = readmeTable({
    bun: { rows: [row(0.843, true), { ...speed, median: 317405.2, min: 1, max: 2, samples: [] }] },
    deno: { rows: [row(0.79, false)] },
  });
  assert.deepEqual(table.trimEnd().split("\n").slice(2), [
    "| B1 | ratio journal / limit | 0.843 | 0.790 | × | ≥ 0.8: met / **not met** |",
    "| B2 | journal, 200,000 pipelined items | 317,405 | – | items/s |  |",
  ]);
});

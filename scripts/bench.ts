/**
 * The benchmark of BENCH.md (B1–B12): each scenario measured in the same run as its reference,
 * printed as one table and written as JSON to bench/results-<runtime>.json. Not a test.
 *
 *   bun scripts/bench.ts [--quick] [--only B1,B3] [--reps N] [--out DIR] [--binary dist/rollout]
 *                        [--b8-sizes 100,1024,10240] [--b9-sessions 10000] [--b9-size 1GB]
 *                        [--b12-sessions 10000] [--b12-size 1GB] [--b12-reps 3]
 *                        [--rollout "deno run -A main.ts"]
 *   deno run -A scripts/bench.ts ...
 *
 * `--rollout` makes B9 and B10 run that command line instead of the compiled binary.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { initRuntime } from "../lib/runtime/runtime.ts";
import { childMain } from "./bench_child.ts";
import { FULL, QUICK, type Settings } from "./bench_fixtures.ts";
import { benchB4 } from "./bench_load.ts";
import { benchB10 } from "./bench_compression.ts";
import { benchB9 } from "./bench_index.ts";
import { benchB8 } from "./bench_large.ts";
import { benchB11 } from "./bench_html.ts";
import { benchB12 } from "./bench_fleet.ts";
import { benchB5, benchB6, benchB7 } from "./bench_process.ts";
import {
  formatTable,
  machine,
  newResults,
  type Results,
  runtimeName,
  runtimeVersion,
} from "./bench_report.ts";
import { benchB1, benchB2, benchB3, benchGrowth } from "./bench_store.ts";
import { parseSize } from "./gen_home.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");

const SCENARIOS: Record<string, (results: Results, s: Settings) => Promise<void>> = {
  B1: benchB1,
  B2: benchB2,
  B3: benchB3,
  growth: benchGrowth,
  B4: benchB4,
  B5: benchB5,
  B6: benchB6,
  B7: benchB7,
  B8: benchB8,
  B9: benchB9,
  B10: benchB10,
  B11: benchB11,
  B12: benchB12,
};

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "--child") return await childMain(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      reps: { type: "string" },
      out: { type: "string" },
      binary: { type: "string" },
      "b8-sizes": { type: "string" },
      "b9-sessions": { type: "string" },
      "b9-size": { type: "string" },
      "b12-sessions": { type: "string" },
      "b12-size": { type: "string" },
      "b12-reps": { type: "string" },
      rollout: { type: "string" },
    },
  });
  const settings: Settings = { ...(values.quick ? QUICK : FULL) };
  if (values.reps !== undefined) settings.reps = Number(values.reps);
  if (values.binary !== undefined) settings.binary = path.resolve(values.binary);
  if (values["b8-sizes"] !== undefined) {
    settings.b8Sizes = values["b8-sizes"].split(",").map(Number);
    if (settings.b8Sizes.some((n) => !(n > 0))) {
      process.stderr.write(`bench: --b8-sizes takes sizes in MiB, like 100,1024\n`);
      return 2;
    }
  }
  if (values["b9-sessions"] !== undefined) settings.b9Sessions = Number(values["b9-sessions"]);
  if (values["b9-size"] !== undefined) settings.b9Bytes = parseSize(values["b9-size"]);
  if (!(settings.b9Sessions >= 1) || !(settings.b9Bytes > 0)) {
    process.stderr.write(`bench: --b9-sessions takes a count, --b9-size a size like 1GB\n`);
    return 2;
  }
  if (values["b12-sessions"] !== undefined) settings.b12Sessions = Number(values["b12-sessions"]);
  if (values["b12-size"] !== undefined) settings.b12Bytes = parseSize(values["b12-size"]);
  if (values["b12-reps"] !== undefined) settings.b12Reps = Number(values["b12-reps"]);
  if (!(settings.b12Sessions >= 1) || !(settings.b12Bytes > 0) || !(settings.b12Reps >= 1)) {
    process.stderr.write(
      `bench: --b12-sessions takes a count, --b12-size a size like 1GB, --b12-reps a count\n`,
    );
    return 2;
  }
  if (values.rollout !== undefined) settings.rollout = values.rollout.split(/\s+/).filter(Boolean);
  const wanted = values.only === undefined
    ? Object.keys(SCENARIOS)
    : values.only.split(",").map((s) => s.trim());
  for (const id of wanted) {
    if (!(id in SCENARIOS)) {
      process.stderr.write(
        `bench: unknown scenario "${id}" (known: ${Object.keys(SCENARIOS).join(", ")})\n`,
      );
      return 2;
    }
  }
  await initRuntime();
  const runtime = runtimeName();
  const results = newResults();
  results.notes.push(
    "items are assistant messages of ~1 KB ASCII text (1,144-byte journal lines); durable = synced",
  );
  const started = new Date();
  for (const id of wanted) {
    const t0 = performance.now();
    process.stderr.write(`bench: ${id} on ${runtime}...`);
    await SCENARIOS[id]!(results, settings);
    process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const header = `rollout bench on ${runtime} ${runtimeVersion()}, ${machine()}, ${
    settings.quick ? "--quick" : "full sizes"
  }, ${settings.reps} repetitions, ${started.toISOString()}\n`;
  process.stdout.write(header + formatTable(results));
  const outDir = values.out ?? path.join(ROOT, "bench");
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `results-${runtime}.json`);
  const json = {
    runtime,
    version: runtimeVersion(),
    machine: machine(),
    started: started.toISOString(),
    quick: settings.quick,
    reps: settings.reps,
    scenarios: wanted,
    ...results,
  };
  fs.writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
  process.stdout.write(`written: ${file}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

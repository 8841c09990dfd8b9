/**
 * B4: loading a large journal into a SavedSession, in a child process, against reading the
 * file and `JSON.parse`-ing each line; speed in MB/s and peak process memory (VmHWM).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RolloutRecorder } from "../lib/store/recorder.ts";
import { addRow, ratios, type Results, runtimeName } from "./bench_report.ts";
import { items, journalLine, remove, scratch, type Settings } from "./bench_fixtures.ts";

const SCRIPT = path.join(import.meta.dirname ?? ".", "bench.ts");
const ROOT = path.resolve(import.meta.dirname ?? ".", "..");
const MB = 2 ** 20;

/** How to start this script again on the same runtime. */
export function selfCommand(args: string[]): [string, string[]] {
  const runtimeArgs = runtimeName() === "deno" ? ["run", "-A", SCRIPT] : [SCRIPT];
  return [process.execPath, [...runtimeArgs, ...args]];
}

interface ChildFigures {
  ms: number;
  count: number;
  peak: number;
}

function child(mode: string, file: string): ChildFigures {
  const [cmd, args] = selfCommand(["--child", mode, file]);
  const run = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 });
  if (run.status !== 0) {
    throw new Error(`Benchmark child "${mode}" failed (${run.status}): ${run.stderr}`);
  }
  return JSON.parse(run.stdout) as ChildFigures;
}

/** B4; the journal is written once with about `b4Bytes` of ~1 KB items. */
export async function benchB4(results: Results, s: Settings): Promise<void> {
  const dir = scratch("b4");
  const file = path.join(dir, "big.jsonl");
  const perLine = journalLine(0, 1, new Date().toISOString()).length;
  const count = Math.ceil(s.b4Bytes / perLine);
  const rec = await RolloutRecorder.create({
    home: dir,
    path: file,
    items: items(count),
    sync: false,
    lock: false,
  });
  await rec.close();
  const size = fs.statSync(file).size;
  const ours: ChildFigures[] = [];
  const limit: ChildFigures[] = [];
  const idle: ChildFigures[] = [];
  for (let rep = 0; rep < s.reps; rep++) {
    limit.push(child("parse", file));
    ours.push(child("load", file));
    idle.push(child("idle", file));
  }
  remove(dir);
  for (const f of ours) {
    if (f.count !== count) throw new Error(`B4 loaded ${f.count} items, expected ${count}`);
  }
  const mbs = (figures: ChildFigures[]) => figures.map((f) => size / MB / (f.ms / 1000));
  const mb = `${(size / MB).toFixed(0)} MB`;
  const oursRate = mbs(ours);
  const limitRate = mbs(limit);
  addRow(results, {
    id: "B4",
    label: `loadRollout, ${mb} journal`,
    unit: "MB/s",
    samples: oursRate,
  });
  addRow(results, {
    id: "B4",
    label: "limit: read + JSON.parse lines",
    unit: "MB/s",
    samples: limitRate,
  });
  addRow(
    results,
    { id: "B4", label: "ratio load / limit", unit: "×", samples: ratios(oursRate, limitRate) },
    ["≥ 0.7", (m) => m >= 0.7],
  );
  const peakMb = (figures: ChildFigures[]) => figures.map((f) => f.peak / MB);
  addRow(results, { id: "B4", label: "peak RSS, load", unit: "MB", samples: peakMb(ours) });
  addRow(results, { id: "B4", label: "peak RSS, limit", unit: "MB", samples: peakMb(limit) });
  addRow(results, { id: "B4", label: "peak RSS, idle process", unit: "MB", samples: peakMb(idle) });
  addRow(
    results,
    {
      id: "B4",
      label: "peak RSS of load / file size",
      unit: "×",
      samples: ours.map((f) => f.peak / size),
    },
    ["≤ 3", (m) => m <= 3],
  );
}

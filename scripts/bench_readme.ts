/**
 * Prints the README's Performance table from a saved run (`docs/bench-results.json` by default):
 * the chosen rows, Bun and Deno side by side, figures exactly as `scripts/bench.ts` printed them.
 */
import * as fs from "node:fs";
import { figure, type Row } from "./bench_report.ts";

/** The rows the README shows, by scenario id and label prefix. */
const SHOWN: [string, string][] = [
  ["B1", "journal, 5,000 awaited commits"],
  ["B1", "limit: write+fdatasync loop"],
  ["B1", "ratio journal / limit"],
  ["B2", "journal, 200,000 pipelined items"],
  ["B3", "seed, 2,000 items"],
  ["B3", "journal awaited, 2,000 items"],
  ["B3", "document awaited, 2,000 items"],
  ["B3", "document pipelined, 2,000 items"],
  ["B3", "journal speed-up over seed, 2,000 items"],
  ["B3", "document awaited time / seed time, 2,000 items"],
  ["B3", "document pipelined time / seed time, 2,000 items"],
  ["B3", "journal speed-up over seed, 250 items"],
  ["B3", "journal speed-up over seed, 5,000 items"],
  ["B3", "speed-up at 5000 / speed-up at 250"],
  ["growth", "journal: one more item at 1,000 items"],
  ["growth", "journal: one more item at 100,000 items"],
  ["growth", "document: one more item at 1,000 items"],
  ["growth", "document: one more item at 100,000 items"],
  ["growth", "journal cost ×"],
  ["growth", "document cost ×"],
  ["bytes", "written per item, journal"],
  ["bytes", "written per item, document awaited"],
  ["B4", "loadRollout"],
  ["B4", "limit: read + JSON.parse lines"],
  ["B4", "ratio load / limit"],
  ["B4", "peak RSS of load / file size"],
  ["B5", "rollout list --limit 20"],
  ["B5", "find <home>/sessions -type f"],
  ["B5", "(list − start-up) / find"],
  ["B6", "dist/rollout --version > /dev/null"],
  ["B6", "ratio rollout / empty"],
  ["B7", "rollout proto"],
  ["B7", "in process (B2)"],
  ["B7", "ratio proto / in process"],
];

interface Run {
  rows: Row[];
}

function find(run: Run, id: string, label: string): Row | undefined {
  return run.rows.find((r) => r.id === id && r.label.startsWith(label));
}

function verdict(row: Row | undefined): string {
  if (row?.goal === undefined) return "";
  return row.met === true ? "met" : "**not met**";
}

/** The markdown table of `SHOWN` for one saved run of both runtimes. */
export function readmeTable(runs: { bun: Run; deno: Run }): string {
  const out = [
    "| id | measurement (median) | Bun | Deno | unit | goal: Bun / Deno |",
    "| --- | --- | ---: | ---: | --- | --- |",
  ];
  for (const [id, label] of SHOWN) {
    const bun = find(runs.bun, id, label);
    const deno = find(runs.deno, id, label);
    const row = bun ?? deno;
    if (row === undefined) continue;
    const goal = row.goal === undefined ? "" : `${row.goal}: ${verdict(bun)} / ${verdict(deno)}`;
    const cell = (r: Row | undefined) => (r === undefined ? "–" : figure(r.median));
    out.push(`| ${id} | ${row.label} | ${cell(bun)} | ${cell(deno)} | ${row.unit} | ${goal} |`);
  }
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  const file = process.argv[2] ?? "docs/bench-results.json";
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { bun: Run; deno: Run };
  process.stdout.write(readmeTable(saved));
}

/**
 * How well redaction works: recall on planted secrets of every format the rules cover (each
 * inside a line of ordinary text, alone and inside an item's JSON), false positives per MB of
 * ordinary coding-session text, what it replaces in real Codex sessions (`--samples DIR`,
 * default ../shared/samples/codex when it exists), and its speed.
 *
 *   deno run -A scripts/redaction_eval.ts [--seeds N] [--mb N] [--samples DIR] [--show]
 *
 * `--show` prints every replacement in the real sessions with its surroundings (the found
 * text itself shortened to its first four and last two characters), to judge by eye.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import {
  mayHoldSecret,
  type RedactionCounts,
  redactJsonText,
  redactText,
  redactValue,
} from "../lib/redaction/mod.ts";
import { plantedSecrets, SecretMaker } from "../tests/redaction/secret_samples.ts";
import { ordinaryText } from "./redaction_corpus.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    seeds: { type: "string", default: "200" },
    mb: { type: "string", default: "20" },
    samples: { type: "string" },
    show: { type: "boolean", default: false },
  },
});
const seeds = Number(values.seeds);
const megabytes = Number(values.mb);

/** Recall: each planted secret gone, and named for its rule, as text and inside an item. */
function recall(): void {
  const byRule = new Map<string, { planted: number; gone: number; named: number }>();
  const misses: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const make = new SecretMaker(seed);
    const filler = ordinaryText(seed + 100_000, 600);
    for (const planted of plantedSecrets(make)) {
      const row = byRule.get(planted.rule) ?? { planted: 0, gone: 0, named: 0 };
      byRule.set(planted.rule, row);
      const text = `${filler[0] ?? ""}${planted.text}\n${filler[1] ?? ""}`;
      const item = {
        type: "function_call_output",
        call_id: "call_1",
        output: JSON.stringify({ stdout: text, exit_code: 0 }),
      };
      for (const form of ["text", "item"] as const) {
        const counts: RedactionCounts = {};
        const out = form === "text"
          ? redactText(text, counts)
          : JSON.stringify(redactValue(item, counts));
        row.planted++;
        const gone = !out.includes(planted.secret);
        if (gone) row.gone++;
        if (gone && (counts[planted.rule] ?? 0) >= 1) row.named++;
        else if (misses.length < 10) misses.push(`${planted.rule} (${form}, seed ${seed})`);
      }
    }
  }
  let planted = 0;
  let gone = 0;
  let named = 0;
  console.log(`Recall on planted secrets (${seeds} seeds, as text and inside an item):`);
  console.log("| rule | planted | redacted | named for its rule |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [rule, row] of [...byRule].sort(([a], [b]) => (a < b ? -1 : 1))) {
    console.log(`| ${rule} | ${row.planted} | ${row.gone} | ${row.named} |`);
    planted += row.planted;
    gone += row.gone;
    named += row.named;
  }
  console.log(
    `| all | ${planted} | ${gone} (${percent(gone, planted)}) | ${named} (${
      percent(named, planted)
    }) |`,
  );
  if (misses.length > 0) console.log(`missed: ${misses.join("; ")}`);
}

function percent(n: number, of: number): string {
  return `${(100 * n / of).toFixed(2)} %`;
}

/** False positives per MB of ordinary text, and the speed of redaction over it. */
function falsePositives(): void {
  const pieces = ordinaryText(7, megabytes * 1e6);
  const bytes = pieces.reduce((n, p) => n + p.length, 0);
  const counts: RedactionCounts = {};
  const examples: string[] = [];
  let prefiltered = 0;
  for (const piece of pieces) {
    if (mayHoldSecret(piece)) prefiltered++;
    const before: RedactionCounts = { ...counts };
    const out = redactText(piece, counts);
    if (out !== piece && examples.length < 10) {
      examples.push(`${JSON.stringify(piece.slice(0, 160))} (${diff(before, counts)})`);
    }
  }
  // The speed: the fastest of three runs (other work on the machine only slows a run down).
  let seconds = Infinity;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    for (const piece of pieces) redactText(piece, {});
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  const found = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    `\nOrdinary text: ${(bytes / 1e6).toFixed(1)} MB in ${pieces.length} fragments, ${
      percent(prefiltered, pieces.length)
    } past the prefilter`,
  );
  console.log(
    `false positives: ${found} (${(found / (bytes / 1e6)).toFixed(3)} per MB) ${
      JSON.stringify(counts)
    }`,
  );
  for (const example of examples) console.log(`  ${example}`);
  console.log(`speed: ${(bytes / 1e6 / seconds).toFixed(1)} MB/s (prefilter and rules, best of 3)`);
}

function diff(before: RedactionCounts, after: RedactionCounts): string {
  return Object.entries(after)
    .filter(([rule, n]) => n !== (before[rule] ?? 0))
    .map(([rule, n]) => `${rule} +${n - (before[rule] ?? 0)}`)
    .join(", ");
}

/** What redaction replaces in real sessions, as `rollout redact --dry-run` reads them. */
function realSessions(dir: string): void {
  const files = fs.readdirSync(dir).filter((n) => n.endsWith(".jsonl") || n.endsWith(".json"));
  let bytes = 0;
  const total: RedactionCounts = {};
  console.log(`\nReal sessions in ${dir} (${files.length} files):`);
  for (const name of files.sort()) {
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    bytes += text.length;
    const counts: RedactionCounts = {};
    const units = name.endsWith(".json") ? [text] : text.split("\n");
    for (const unit of units) {
      const before = { ...counts };
      const out = redactJsonText(unit, counts);
      if (values.show && out !== unit) show(name, unit, out, diff(before, counts));
    }
    for (const [rule, n] of Object.entries(counts)) total[rule] = (total[rule] ?? 0) + n;
    if (Object.keys(counts).length > 0) console.log(`  ${name}: ${JSON.stringify(counts)}`);
  }
  console.log(`  in all: ${JSON.stringify(total)} over ${(bytes / 1e6).toFixed(2)} MB`);
}

/** Each replacement of `out` with 40 characters around it and the found text shortened. */
function show(name: string, unit: string, out: string, rules: string): void {
  let at = 0;
  for (const m of out.matchAll(/\[REDACTED:[a-z_]+\]/g)) {
    const start = m.index;
    const prefix = out.slice(Math.max(0, start - 40), start);
    const tail = out.slice(start + m[0].length, start + m[0].length + 40);
    const from = unit.indexOf(prefix.slice(-20), at) + Math.min(20, prefix.length);
    const to = tail.length === 0 ? unit.length : unit.indexOf(tail.slice(0, 20), from);
    const found = unit.slice(from, to);
    at = Math.max(from, 0);
    const short = found.length > 8 ? `${found.slice(0, 4)}…${found.slice(-2)}` : "…";
    console.log(`    ${name} ${rules}: ${JSON.stringify(`${prefix}⟦${short}⟧${tail}`)}`);
  }
}

recall();
falsePositives();
const samples = values.samples ??
  path.resolve(import.meta.dirname ?? ".", "../../shared/samples/codex");
if (fs.existsSync(samples)) realSessions(samples);
else console.log(`\n(no real sessions at ${samples})`);

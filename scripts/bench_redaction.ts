/**
 * What redaction costs on the record path: B2 (items pipelined in process) and B7 (ops piped
 * through the compiled `rollout proto`) with and without redaction, the two runs of each
 * repetition side by side, so that a busy machine slows both alike. Prints medians, min–max
 * and the ratio (goal: redacting at least 0.9 × the rate without), by the clock and per
 * second of CPU time (the process's; B7: the pipeline's), which other work disturbs less.
 * Each B2 run is a process of its own (this script with `--b2-child`), which records the items
 * once to warm up and once timed: runs in one process inherit each other's heap and garbage,
 * which spread the ratio from 0.5 to 1.5.
 *
 *   bun scripts/bench_redaction.ts [--reps N] [--b2-items N] [--b7-ops N] [--secrets]
 *
 * First it prints what the prefilter alone costs per KB of the items' JSON (what redacting
 * reads of an item that holds no secret), best of 5.
 *
 * `--secrets` puts a secret in every tenth item (the items are otherwise the benchmark's
 * ~1 KB assistant messages), to show the cost when redaction has work to do.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { mayHoldSecret } from "../lib/redaction/mod.ts";
import { initRuntime } from "../lib/runtime/mod.ts";
import { RolloutRecorder } from "../lib/store/recorder.ts";
import { items, remove, scratch, timed } from "./bench_fixtures.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    reps: { type: "string", default: "7" },
    "b2-items": { type: "string", default: "200000" },
    "b7-ops": { type: "string", default: "100000" },
    secrets: { type: "boolean", default: false },
    "b2-child": { type: "string" },
  },
});
const reps = Number(values.reps);
const BINARY = path.resolve(import.meta.dirname ?? ".", "..", "dist", "rollout");
const SCRIPT = path.resolve(import.meta.dirname ?? ".", "bench_redaction.ts");

/** The benchmark's items; with `--secrets`, every tenth holds a GitHub token. */
function workload(n: number): Record<string, unknown>[] {
  const list = items(n);
  if (!values.secrets) return list;
  return list.map((item, i) => {
    if (i % 10 !== 0) return item;
    const token = `gh${"p"}_${String(i).padStart(8, "0")}AbCdEfGhIjKlMnOpQrStUvWx12`;
    return { ...item, content: [{ type: "output_text", text: `push with ${token} now` }] };
  });
}

/** Milliseconds of a run by the clock and of CPU time (user and system). */
interface Run {
  ms: number;
  cpu: number;
}

/** B2 in this process: one run recording `list` pipelined, durable, in a fresh session. */
async function b2Here(list: readonly unknown[], redact: boolean): Promise<Run> {
  const dir = scratch("b2r");
  try {
    const rec = await RolloutRecorder.create({
      home: dir,
      path: path.join(dir, "s.jsonl"),
      redact,
    });
    const before = process.cpuUsage();
    const ms = await timed(() => Promise.all(list.map((item) => rec.recordItems([item]))));
    const used = process.cpuUsage(before);
    await rec.close();
    return { ms, cpu: (used.user + used.system) / 1000 };
  } finally {
    remove(dir);
  }
}

/** B2: a child process records the items once to warm up, then once timed. */
function b2(redact: boolean): Run {
  const runtime = "Bun" in globalThis ? [] : ["run", "-A"];
  const args = [...runtime, SCRIPT, ...process.argv.slice(2), "--b2-child", redact ? "1" : "0"];
  const run = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`B2 child exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Run;
}

/** B7: one `rollout proto` run on the ops in `input`, as bench_process.ts runs it. */
function b7(input: string, ops: number, redact: boolean): Run {
  const home = scratch("b7r");
  try {
    const events = path.join(home, "events.jsonl");
    const times = path.join(home, "times");
    const flag = redact ? " --redact" : "";
    const pipeline =
      `set -o pipefail; TIMEFORMAT="%3U %3S"; { time (cat "$1" | "$2" proto --home "$3"${flag} | cat > "$4"); } 2> "$5"`;
    const start = performance.now();
    const run = spawnSync("bash", ["-c", pipeline, "bash", input, BINARY, home, events, times], {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    const ms = performance.now() - start;
    const acks = fs.readFileSync(events, "utf8").split("\n")
      .filter((line) => line.includes('"items_recorded"')).length;
    if (run.status !== 0 || acks !== ops) {
      throw new Error(
        `rollout proto exited ${run.status} after ${acks}/${ops} acks: ${run.stderr}`,
      );
    }
    const [user, system] = fs.readFileSync(times, "utf8").trim().split(" ").map(Number);
    return { ms, cpu: (user! + system!) * 1000 };
  } finally {
    remove(home);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Two rows: items per second by the clock, and per second of CPU time. */
function rows(label: string, n: number, plain: Run[], redacted: Run[]): void {
  for (const by of ["ms", "cpu"] as const) {
    const rate = (run: Run) => n / (run[by] / 1000);
    const fmt = (runs: Run[]) => {
      const rates = runs.map(rate);
      return `${Math.round(median(rates)).toLocaleString("en-US")} (${
        Math.round(Math.min(...rates)).toLocaleString("en-US")
      }–${Math.round(Math.max(...rates)).toLocaleString("en-US")})`;
    };
    const ratios = plain.map((run, i) => run[by] / redacted[i]![by]);
    const what = by === "ms" ? "by the clock" : "per CPU second";
    console.log(
      `| ${label}, ${what} | ${fmt(plain)} | ${fmt(redacted)} | ${median(ratios).toFixed(3)} (${
        Math.min(...ratios).toFixed(3)
      }–${Math.max(...ratios).toFixed(3)}) |`,
    );
  }
}

await initRuntime();
const n2 = Number(values["b2-items"]);
if (values["b2-child"] !== undefined) {
  const list = workload(n2);
  const redact = values["b2-child"] === "1";
  await b2Here(list, redact);
  console.log(JSON.stringify(await b2Here(list, redact)));
  process.exit(0);
}

const runtime = "Bun" in globalThis
  ? `bun ${process.versions.bun}`
  : `deno ${process.versions.deno}`;
console.log(
  `redaction on the record path, ${runtime}, ${reps} repetitions, ${
    values.secrets ? "a secret in every tenth item" : "the benchmark's items"
  }, ${new Date().toISOString()}`,
);
{
  const texts = workload(n2).map((item) => JSON.stringify(item));
  const kb = texts.reduce((sum, text) => sum + text.length, 0) / 1024;
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    best = Math.min(best, await timed(() => texts.forEach((text) => mayHoldSecret(text))));
  }
  console.log(
    `the prefilter alone over the ${n2.toLocaleString("en-US")} items' JSON (${
      Math.round(kb / 1024)
    } MiB): ${Math.round(best)} ms, ${(best * 1000 / kb).toFixed(2)} µs per KB (best of 5)`,
  );
}
console.log("| scenario | items/s without | items/s with redaction | ratio with / without |");
console.log("| --- | ---: | ---: | ---: |");

const plain2: Run[] = [];
const red2: Run[] = [];
for (let rep = 0; rep < reps; rep++) {
  // Alternating which goes first, so neither always runs on a machine the other warmed.
  if (rep % 2 === 0) {
    plain2.push(b2(false));
    red2.push(b2(true));
  } else {
    red2.push(b2(true));
    plain2.push(b2(false));
  }
}
rows(`B2, ${n2.toLocaleString("en-US")} pipelined items`, n2, plain2, red2);

if (fs.existsSync(BINARY)) {
  const n7 = Number(values["b7-ops"]);
  const dir = scratch("b7r-input");
  try {
    const input = path.join(dir, "ops.jsonl");
    const ops = workload(n7).map((item, i) =>
      `{"id":"${i}","op":{"type":"record_items","items":[${JSON.stringify(item)}]}}\n`
    );
    fs.writeFileSync(
      input,
      `{"id":"c","op":{"type":"configure_session"}}\n${
        ops.join("")
      }{"id":"s","op":{"type":"shutdown"}}\n`,
    );
    const plain7: Run[] = [];
    const red7: Run[] = [];
    for (let rep = 0; rep < reps; rep++) {
      if (rep % 2 === 0) {
        plain7.push(b7(input, n7, false));
        red7.push(b7(input, n7, true));
      } else {
        red7.push(b7(input, n7, true));
        plain7.push(b7(input, n7, false));
      }
    }
    rows(`B7, ${n7.toLocaleString("en-US")} ops through rollout proto`, n7, plain7, red7);
  } finally {
    remove(dir);
  }
} else console.log(`B7 skipped: no ${BINARY} (npm run build)`);

/**
 * Scenarios of the compiled binary: B5 (`list` over many sessions vs `find`), B6 (start-up vs
 * an empty compiled script), B7 (ops piped through `rollout proto` vs the in-process figure).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RolloutRecorder } from "../lib/store/recorder.ts";
import { addRow, perSecond, ratios, type Results } from "./bench_report.ts";
import { item, items, remove, scratch, type Settings } from "./bench_fixtures.ts";
import { pipelined } from "./bench_store.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");
const BUN = path.join(ROOT, "node_modules", ".bin", "bun");

/** Milliseconds of one run of `cmd`; throws unless it exits 0. */
function timeRun(cmd: string, args: string[]): number {
  const start = performance.now();
  const run = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - start;
  if (run.status !== 0) {
    throw new Error(`"${cmd} ${args.join(" ")}" exited with ${run.status}: ${run.stderr}`);
  }
  return ms;
}

/** Why the compiled binary cannot be measured, or null when it can. */
function binaryMissing(binary: string, command?: string[]): string | null {
  if (!fs.existsSync(binary)) return `${binary} is missing (run npm run build)`;
  if (command === undefined) return null;
  const run = spawnSync(binary, [...command, "--help"], { encoding: "utf8" });
  return run.status === 0 ? null : `"dist/rollout ${command.join(" ")}" is not available yet`;
}

/** The flags `npm run build` gives `bun build`, so the empty script is compiled the same way. */
function buildFlags(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: { build: string };
  };
  return pkg.scripts.build.split(/\s+/).filter((w) => w.startsWith("--") && w !== "--outfile");
}

/** Milliseconds of one run of `cmd` with its stdout read through a pipe. */
function timePiped(cmd: string, args: string[]): number {
  const start = performance.now();
  const run = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`"${cmd}" exited with ${run.status}: ${run.stderr}`);
  return ms;
}

/** B6: `rollout --version` against an empty script compiled the same way. */
export function benchB6(results: Results, s: Settings): Promise<void> {
  const missing = binaryMissing(s.binary);
  if (missing !== null) {
    results.skips.push({ id: "B6", reason: missing });
    return Promise.resolve();
  }
  const dir = scratch("b6");
  try {
    fs.writeFileSync(path.join(dir, "empty.ts"), "export {};\n");
    const empty = path.join(dir, "empty");
    const flags = buildFlags();
    const build = spawnSync(
      BUN,
      ["build", ...flags, path.join(dir, "empty.ts"), "--outfile", empty],
      { encoding: "utf8" },
    );
    if (build.status !== 0) throw new Error(`Cannot compile the empty script: ${build.stderr}`);
    timeRun(s.binary, ["--version"]);
    timeRun(empty, []);
    const ours: number[] = [];
    const piped: number[] = [];
    const ref: number[] = [];
    for (let i = 0; i < s.b6Spawns; i++) {
      ref.push(timeRun(empty, []));
      ours.push(timeRun(s.binary, ["--version"]));
      piped.push(timePiped(s.binary, ["--version"]));
    }
    const how = `bun build ${flags.join(" ")}`;
    addRow(results, {
      id: "B6",
      label: "dist/rollout --version > /dev/null",
      unit: "ms",
      samples: ours,
    });
    addRow(results, { id: "B6", label: `empty script, ${how}`, unit: "ms", samples: ref });
    addRow(
      results,
      { id: "B6", label: "ratio rollout / empty", unit: "×", samples: ratios(ours, ref) },
      ["≤ 1.5", (m) => m <= 1.5],
    );
    addRow(results, {
      id: "B6",
      label: "dist/rollout --version | (a pipe)",
      unit: "ms",
      samples: piped,
    });
    addRow(results, {
      id: "B6",
      label: "ratio piped / empty",
      unit: "×",
      samples: ratios(piped, ref),
    });
  } finally {
    remove(dir);
  }
  return Promise.resolve();
}

/** A home of `count` journals spread over 60 days, each with a few items. */
async function generateHome(home: string, count: number): Promise<void> {
  const start = Date.UTC(2026, 8, 1);
  for (let i = 0; i < count; i++) {
    const when = new Date(start + Math.floor((i * 60 * 86_400_000) / count));
    const user = {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: `Task ${i}: fix the build` }],
    };
    const rec = await RolloutRecorder.create({
      home,
      meta: { cwd: `/work/project-${i % 7}` },
      items: [user, ...items(4, i)],
      sync: false,
      lock: false,
      clock: () => when,
    });
    await rec.close();
  }
}

/** B5: `rollout list --limit 20` against `find <home>/sessions -type f` and the start-up. */
export async function benchB5(results: Results, s: Settings): Promise<void> {
  const missing = binaryMissing(s.binary, ["list"]);
  if (missing !== null) {
    results.skips.push({ id: "B5", reason: missing });
    return;
  }
  const home = scratch("b5");
  try {
    await generateHome(home, s.b5Sessions);
    const list = ["list", "--limit", "20", "--home", home];
    const find = [path.join(home, "sessions"), "-type", "f"];
    timeRun(s.binary, list);
    timeRun("find", find);
    const ours: number[] = [];
    const found: number[] = [];
    const startup: number[] = [];
    for (let rep = 0; rep < s.reps; rep++) {
      found.push(timeRun("find", find));
      startup.push(timeRun(s.binary, ["--version"]));
      ours.push(timeRun(s.binary, list));
    }
    const n = s.b5Sessions.toLocaleString("en-US");
    addRow(results, {
      id: "B5",
      label: `rollout list --limit 20, ${n} sessions`,
      unit: "ms",
      samples: ours,
    });
    addRow(results, {
      id: "B5",
      label: "find <home>/sessions -type f",
      unit: "ms",
      samples: found,
    });
    addRow(results, {
      id: "B5",
      label: "start-up (rollout --version)",
      unit: "ms",
      samples: startup,
    });
    addRow(
      results,
      {
        id: "B5",
        label: "(list − start-up) / find",
        unit: "×",
        samples: ours.map((t, i) => (t - startup[i]!) / found[i]!),
      },
      ["≤ 3", (m) => m <= 3],
    );
  } finally {
    remove(home);
  }
}

/**
 * Milliseconds of one `rollout proto` run on the ops in the file `input`: `cat` feeds them
 * through a pipe and another `cat` takes the events from a pipe into a file, so no JavaScript
 * of the benchmark competes with the binary for the two cores while it is timed. Checks that
 * every op was acknowledged.
 */
function protoRun(binary: string, home: string, input: string, ops: number): number {
  const events = path.join(home, "events.jsonl");
  const pipeline = 'set -o pipefail; cat "$1" | "$2" proto --home "$3" | cat > "$4"';
  const start = performance.now();
  const run = spawnSync("bash", ["-c", pipeline, "bash", input, binary, home, events], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const ms = performance.now() - start;
  const text = fs.existsSync(events) ? fs.readFileSync(events, "utf8") : "";
  const recorded = text.split("\n").filter((line) => line.includes('"items_recorded"')).length;
  if (run.status !== 0 || recorded !== ops) {
    throw new Error(
      `rollout proto exited ${run.status} after ${recorded}/${ops} acks: ${run.stderr}`,
    );
  }
  return ms;
}

/** The op stream of B7: configure, `n` record_items ops of one item each, shutdown. */
function protoInput(n: number): string {
  const lines = ['{"id":"c","op":{"type":"configure_session"}}\n'];
  for (let i = 0; i < n; i++) {
    lines.push(`{"id":"${i}","op":{"type":"record_items","items":[${JSON.stringify(item(i))}]}}\n`);
  }
  lines.push('{"id":"s","op":{"type":"shutdown"}}\n');
  return lines.join("");
}

/** B7: `ops` record_items ops through the compiled `rollout proto`, against B2 in process. */
export async function benchB7(results: Results, s: Settings): Promise<void> {
  const missing = binaryMissing(s.binary, ["proto"]);
  if (missing !== null) {
    results.skips.push({ id: "B7", reason: missing });
    return;
  }
  const n = s.b7Ops;
  const list = items(n);
  const proto: number[] = [];
  const inProcess: number[] = [];
  await pipelined(Math.min(n, 20_000), list);
  for (let rep = 0; rep < s.reps; rep++) {
    inProcess.push(await pipelined(n, list));
    const home = scratch("b7");
    const input = scratch("b7-input");
    try {
      const ops = path.join(input, "ops.jsonl");
      fs.writeFileSync(ops, protoInput(n));
      proto.push(protoRun(s.binary, home, ops, n));
    } finally {
      remove(home);
      remove(input);
    }
  }
  const protoRate = perSecond(n, proto);
  const inRate = perSecond(n, inProcess);
  const count = n.toLocaleString("en-US");
  addRow(results, {
    id: "B7",
    label: `rollout proto, ${count} ops piped`,
    unit: "items/s",
    samples: protoRate,
  });
  addRow(results, {
    id: "B7",
    label: `in process (B2), ${count} items`,
    unit: "items/s",
    samples: inRate,
  });
  addRow(
    results,
    { id: "B7", label: "ratio proto / in process", unit: "×", samples: ratios(protoRate, inRate) },
    ["≥ 0.5", (m) => m >= 0.5],
  );
}

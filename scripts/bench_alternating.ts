/**
 * Two or more builds of `rollout` (or one build with settings in its environment) timed on the
 * same command over the same file, in turn, each round beside B8's reference (read 1 MiB chunks,
 * decode, split lines, `JSON.parse` each, in this process). Alternating runs are how the README's
 * before/after figures of a change are measured: on these machines the speed of the disk and of
 * fresh memory drifts within minutes, and runs of one build after the other would measure the
 * drift. Printed per build: each round's milliseconds, the median, the ratio of the reference's
 * median to it (B8's × reference) and the highest peak resident size (GNU time's).
 *
 *   bun scripts/bench_alternating.ts FILE NAME=BINARY[,VAR=VALUE...] ... [--rounds N]
 *                                    [--command "convert --to jsonl"]
 *
 * `convert` writes its copy into a temporary folder, removed after each run.
 * Example: `bun scripts/bench_alternating.ts /tmp/b8.jsonl before=/tmp/old after=dist/rollout`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { median } from "./bench_report.ts";

const MiB = 1024 * 1024;
const TIME = "/usr/bin/time";

/** B8's reference (scripts/bench_large.ts): milliseconds to read and parse every line. */
function readAndParse(file: string): number {
  const start = performance.now();
  const fd = fs.openSync(file, "r");
  const buffer = new Uint8Array(MiB);
  const decoder = new TextDecoder();
  let carry = "";
  let position = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (n <= 0) break;
      position += n;
      const lines = (carry + decoder.decode(buffer.subarray(0, n), { stream: true })).split("\n");
      carry = lines.pop()!;
      for (const line of lines) if (line !== "") JSON.parse(line);
    }
  } finally {
    fs.closeSync(fd);
  }
  return performance.now() - start;
}

/** A build to time: its name, its binary, and what its environment adds. */
interface Build {
  name: string;
  binary: string;
  env: Record<string, string>;
}

/** `NAME=BINARY[,VAR=VALUE...]`. */
function buildOf(spec: string): Build {
  const at = spec.indexOf("=");
  if (at <= 0) {
    throw new Error(`a build is NAME=BINARY[,VAR=VALUE...], got ${JSON.stringify(spec)}`);
  }
  const [binary, ...settings] = spec.slice(at + 1).split(",");
  const env: Record<string, string> = {};
  for (const setting of settings) {
    const eq = setting.indexOf("=");
    if (eq <= 0) throw new Error(`a setting is VAR=VALUE, got ${JSON.stringify(setting)}`);
    env[setting.slice(0, eq)] = setting.slice(eq + 1);
  }
  if (!fs.existsSync(binary!)) throw new Error(`${binary} is missing`);
  return { name: spec.slice(0, at), binary: path.resolve(binary!), env };
}

/** One run: milliseconds and peak resident size in KiB (NaN without GNU time). */
function run(build: Build, command: string[], file: string): { ms: number; peakKiB: number } {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-alternating-"));
  try {
    const args = command[0] === "convert"
      ? [...command, "-o", path.join(scratch, "copy.jsonl"), file]
      : [...command, file];
    const report = path.join(scratch, "time.txt");
    const timed = fs.existsSync(TIME);
    const [cmd, all] = timed
      ? [TIME, ["-f", "%M", "-o", report, build.binary, ...args]]
      : [build.binary, args];
    const start = performance.now();
    const ran = spawnSync(cmd, all, {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
      env: { ...process.env, ...build.env },
    });
    const ms = performance.now() - start;
    if (ran.status !== 0) {
      throw new Error(
        `${build.name}: rollout ${args.join(" ")} exited ${ran.status}: ${ran.stderr}`,
      );
    }
    const peakKiB = timed ? Number(fs.readFileSync(report, "utf8").trim().split("\n").at(-1)) : NaN;
    return { ms, peakKiB };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rounds: { type: "string", default: "7" },
      command: { type: "string", default: "convert --to jsonl" },
    },
  });
  const [file, ...specs] = positionals;
  if (file === undefined || specs.length === 0) {
    throw new Error("usage: bench_alternating.ts FILE NAME=BINARY[,VAR=VALUE...] ... [--rounds N]");
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error("--rounds takes a whole number ≥ 1");
  const builds = specs.map(buildOf);
  const command = values.command!.split(" ").filter((part) => part !== "");
  readAndParse(file); // once before timing, as B8 does: the reference runs warm
  const reference: number[] = [];
  const times = new Map<string, number[]>(builds.map((b) => [b.name, []]));
  const peaks = new Map<string, number[]>(builds.map((b) => [b.name, []]));
  for (let round = 0; round < rounds; round++) {
    reference.push(readAndParse(file));
    for (const build of builds) {
      const got = run(build, command, file);
      times.get(build.name)!.push(got.ms);
      peaks.get(build.name)!.push(got.peakKiB);
    }
  }
  const ms = (list: number[]) => list.map((x) => Math.round(x).toLocaleString("en-US")).join(" ");
  const width = Math.max(9, ...builds.map((b) => b.name.length));
  console.log(
    `${command.join(" ")}, ${rounds} rounds, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB`,
  );
  console.log(
    `${"reference".padEnd(width)}  ${ms(reference)}  median ${Math.round(median(reference))} ms`,
  );
  for (const build of builds) {
    const list = times.get(build.name)!;
    const ratio = median(reference) / median(list);
    const peak = Math.max(...peaks.get(build.name)!);
    console.log(
      `${build.name.padEnd(width)}  ${ms(list)}  median ${Math.round(median(list))} ms  ` +
        `× reference ${ratio.toFixed(3)}  peak ${Number.isNaN(peak) ? "?" : peak} KiB`,
    );
  }
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`bench_alternating: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}

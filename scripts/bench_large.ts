/**
 * B8 (BENCH.md, SPEC §7): `validate`, `show`, `export --to md` and `convert` of generated Codex
 * rollouts (100 MiB and 1 GiB by default; `--b8-sizes 10240` makes 10 GiB) with the compiled
 * binary, each repetition beside the reference: reading the same file and `JSON.parse` of each
 * line in this runtime. Prints MB/s, the ratio to the reference (goal ≥ 0.5) and the peak
 * resident size above the same command on a two-turn session (goal ≤ 64 MiB + twice the
 * longest line, and flat from the smallest size to the largest). Beside them, a durable copy of
 * the same file in this runtime, nothing parsed: what writing it costs on this disk, which
 * `convert` pays too, and the ratio a copy that read, parsed and then wrote would reach
 * (`convert` writes on worker threads while it parses, so it can do better than that).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { dropCachedPages } from "../lib/runtime/runtime.ts";
import { SYNC_AHEAD } from "../lib/store/atomic_replace.ts";
import { addRow, median, ratios, type Results } from "./bench_report.ts";
import { remove, scratch, type Settings } from "./bench_fixtures.ts";
import { writeBigRollout } from "./big_rollout.ts";

const TIME = "/usr/bin/time";
const MiB = 1024 * 1024;

/** The reference: read the file in 1 MiB chunks, split lines, `JSON.parse` each; ms. */
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

/** Makes `file` durable, so that no write-back of it is left to run later. */
function syncFile(file: string): void {
  const fd = fs.openSync(file, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Milliseconds of a durable copy of `file` to `copy`, nothing parsed, synced as `convert` syncs:
 * MiB reads and writes (in turn, on this thread), an `fdatasync` every SYNC_AHEAD bytes, after
 * which the pages synced leave the page cache, and an `fsync` at the end. The copy is removed
 * after. (With SYNC_AHEAD at 64 MiB: `dd conv=fsync`, one sync at the end, left the kernel a
 * GiB of dirty pages to write back: 0.25–0.40 × the reference, slower than `convert`. Without
 * the pages dropped, this copy of a GiB took 2.2–3.0 s or 1.1–1.3 s by turns; with them,
 * 1.1–1.3 s.)
 */
function durableCopy(file: string, copy: string): number {
  const start = performance.now();
  const input = fs.openSync(file, "r");
  let output: number | null = null;
  try {
    output = fs.openSync(copy, "wx", 0o600);
    const buffer = new Uint8Array(MiB);
    let position = 0;
    let unsynced = 0;
    for (;;) {
      const n = fs.readSync(input, buffer, 0, buffer.length, position);
      if (n <= 0) break;
      position += n;
      for (let done = 0; done < n;) done += fs.writeSync(output, buffer, done, n - done);
      unsynced += n;
      if (unsynced >= SYNC_AHEAD) {
        fs.fdatasyncSync(output);
        dropCachedPages(output, position);
        unsynced = 0;
      }
    }
    fs.fsyncSync(output);
    if (position !== fs.fstatSync(output).size) throw new Error(`the copy of ${file} is short`);
    return performance.now() - start;
  } finally {
    fs.closeSync(input);
    if (output !== null) fs.closeSync(output);
    fs.rmSync(copy, { force: true });
  }
}

/** One run of the binary: milliseconds and peak resident size in bytes (NaN without time). */
function runMeasured(binary: string, args: string[], dir: string): { ms: number; peak: number } {
  const report = path.join(dir, "time.txt");
  const timed = fs.existsSync(TIME);
  const [cmd, all] = timed ? [TIME, ["-f", "%M", "-o", report, binary, ...args]] : [binary, args];
  const out = fs.openSync("/dev/null", "w");
  const start = performance.now();
  const run = spawnSync(cmd, all, { stdio: ["ignore", out, "pipe"], encoding: "utf8" });
  const ms = performance.now() - start;
  fs.closeSync(out);
  if (run.status !== 0) {
    throw new Error(`rollout ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  }
  if (!timed) return { ms, peak: Number.NaN };
  const kib = Number(fs.readFileSync(report, "utf8").trim().split("\n").at(-1));
  return { ms, peak: kib * 1024 };
}

const COMMANDS: { name: string; args: (file: string, dir: string) => string[] }[] = [
  { name: "validate", args: (f) => ["validate", f] },
  { name: "show", args: (f) => ["show", f] },
  { name: "export --to md", args: (f) => ["export", "--to", "md", f] },
  {
    name: "convert --to jsonl",
    args: (f, dir) => ["convert", "--to", "jsonl", "-o", path.join(dir, "copy.jsonl"), f],
  },
];

/** B8: large rollouts, time and memory per command against reading and parsing. */
export function benchB8(results: Results, s: Settings): Promise<void> {
  if (!fs.existsSync(s.binary)) {
    results.skips.push({ id: "B8", reason: `${s.binary} is missing (run npm run build)` });
    return Promise.resolve();
  }
  const dir = scratch("b8");
  try {
    const tiny = path.join(dir, "tiny.jsonl");
    writeBigRollout(tiny, 100 * 1024);
    const above = new Map<string, number[]>();
    for (const sizeMiB of s.b8Sizes) {
      const file = path.join(dir, `rollout-${sizeMiB}.jsonl`);
      process.stderr.write(` generating ${sizeMiB} MiB...`);
      const made = writeBigRollout(file, sizeMiB * MiB);
      // The speed goal is set on the 1 GB rollout (BENCH.md); on a smaller one a command's start
      // and warm-up weigh more, and its ratios are printed without a goal.
      const judged = made.bytes >= 1e9;
      // Written back now, not by the kernel in the middle of the timed commands (it starts after
      // 30 s): the copies' syncs would wait behind it.
      syncFile(file);
      const mb = made.bytes / 1e6;
      const bound = 64 * MiB + 2 * made.longestLine;
      const label = `${sizeMiB >= 1024 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`}`;
      results.notes.push(
        `B8 ${label}: ${made.lines.toLocaleString("en-US")} lines, longest ${
          made.longestLine.toLocaleString("en-US")
        } bytes, ${made.compactions} compactions${
          judged ? "" : "; its speeds have no goal (it is set on 1 GB)"
        }`,
      );
      readAndParse(file);
      const reference: number[] = [];
      const copied: number[] = [];
      const times = new Map<string, number[]>();
      const peaks = new Map<string, number[]>();
      for (let rep = 0; rep < s.reps; rep++) {
        reference.push(readAndParse(file));
        copied.push(durableCopy(file, path.join(dir, "copy.jsonl")));
        for (const command of COMMANDS) {
          const got = runMeasured(s.binary, command.args(file, dir), dir);
          fs.rmSync(path.join(dir, "copy.jsonl"), { force: true });
          times.set(command.name, [...times.get(command.name) ?? [], got.ms]);
          peaks.set(command.name, [...peaks.get(command.name) ?? [], got.peak]);
        }
      }
      const refSpeed = reference.map((ms) => mb / (ms / 1000));
      addRow(results, {
        id: "B8",
        label: `${label}: read + JSON.parse each line (reference)`,
        unit: "MB/s",
        samples: refSpeed,
      });
      // What `convert` pays besides reading: the same bytes written and synced, nothing parsed.
      // A copy that read and parsed, then wrote, would take the two times added up.
      const copySpeed = copied.map((ms) => mb / (ms / 1000));
      addRow(results, {
        id: "B8",
        label: `${label}: durable copy, nothing parsed (fdatasync every ${SYNC_AHEAD / MiB} MiB)`,
        unit: "MB/s",
        samples: copySpeed,
      });
      addRow(results, {
        id: "B8",
        label: `${label}: reference + durable copy, in turn / reference`,
        unit: "×",
        samples: reference.map((ms, i) => ms / (ms + copied[i]!)),
      });
      for (const command of COMMANDS) {
        const speed = times.get(command.name)!.map((ms) => mb / (ms / 1000));
        addRow(results, {
          id: "B8",
          label: `${label}: ${command.name}`,
          unit: "MB/s",
          samples: speed,
        });
        addRow(
          results,
          {
            id: "B8",
            label: `${label}: ${command.name} / reference`,
            unit: "×",
            samples: ratios(speed, refSpeed),
          },
          judged ? ["≥ 0.5", (m) => m >= 0.5] : undefined,
        );
        const alone = runMeasured(s.binary, command.args(tiny, dir), dir).peak;
        fs.rmSync(path.join(dir, "copy.jsonl"), { force: true });
        if (Number.isNaN(alone)) continue;
        const grown = peaks.get(command.name)!.map((p) => (p - alone) / MiB);
        above.set(command.name, [...above.get(command.name) ?? [], median(grown)]);
        addRow(
          results,
          {
            id: "B8",
            label: `${label}: ${command.name} peak RSS above a 2-turn session`,
            unit: "MiB",
            samples: grown,
          },
          [`≤ ${(bound / MiB).toFixed(1)}`, (m) => m <= bound / MiB],
        );
      }
      fs.rmSync(file);
    }
    if (!fs.existsSync(TIME)) {
      results.notes.push(
        `B8: peak memory not measured: ${TIME} is missing (Debian package "time")`,
      );
    }
    if (s.b8Sizes.length > 1) {
      for (const [name, grown] of above) {
        addRow(
          results,
          {
            id: "B8",
            label: `${name}: peak RSS growth from the smallest to the largest file`,
            unit: "MiB",
            samples: [grown.at(-1)! - grown[0]!],
          },
          ["≤ 16 (flat)", (m) => m <= 16],
        );
      }
    }
  } finally {
    remove(dir);
  }
  return Promise.resolve();
}

/**
 * Ways to read a large rollout that the reader does not use, measured as bare loops against
 * B8's reference (read 1 MiB chunks, decode, split lines, `JSON.parse` each), in this runtime:
 * - `plain`: the reference itself;
 * - `no-base64`: the same, with every `;base64,` run of 4 KiB and more cut out of a line before
 *   it is parsed (what parsing costs for the screenshots);
 * - `worker-decode`: a `Worker` reads and decodes, the main thread splits and parses;
 * - `worker-read`: a `Worker` reads into a ring of four MiB slots in a SharedArrayBuffer, the
 *   main thread copies each chunk out, decodes, splits and parses.
 * Each variant runs in a process of its own, in turn, `--rounds` times (default 5); printed:
 * milliseconds of the loop and the peak resident size (GNU time's), median and range. Every
 * variant must parse the same number of lines. README, Performance, quotes it.
 *
 *   bun scripts/bench_read_loops.ts [FILE] [--rounds N] [--mib N]
 *   deno run -A scripts/bench_read_loops.ts [FILE] [--rounds N] [--mib N]
 *
 * Without FILE, a B8 rollout of `--mib` MiB (default 1024) is generated and removed after.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { LoopRequest } from "./read_loop_worker.ts";

const MiB = 1024 * 1024;
const VARIANTS = ["plain", "no-base64", "worker-decode", "worker-read"] as const;
type Variant = (typeof VARIANTS)[number];
/** The ring's control words, as read_loop_worker.ts describes them. */
const PRODUCED = 0;
const TAKEN = 1;
const TIME = "/usr/bin/time";

/** Lines split from chunks of text and parsed; returns the count parsed. */
function lineEater(cutBase64: boolean): { eat(text: string): void; lines(): number } {
  let carry = "";
  let lines = 0;
  return {
    eat(text) {
      const parts = (carry + text).split("\n");
      carry = parts.pop()!;
      for (const part of parts) {
        if (part === "") continue;
        JSON.parse(cutBase64 && part.length > 65536 ? withoutBase64(part) : part);
        lines++;
      }
    },
    lines: () => lines,
  };
}

/** `line` with each `;base64,` run of 4 KiB and more left out (the string kept, empty). */
function withoutBase64(line: string): string {
  const kept: string[] = [];
  let from = 0;
  for (let at = line.indexOf(";base64,"); at >= 0; at = line.indexOf(";base64,", at + 8)) {
    const start = at + 8;
    const end = line.indexOf('"', start);
    if (end < 0 || end - start < 4096) continue;
    kept.push(line.slice(from, start));
    from = end;
  }
  if (kept.length === 0) return line;
  kept.push(line.slice(from));
  return kept.join("");
}

function startWorker(request: LoopRequest): Worker {
  const url = new URL("./read_loop_worker.ts", import.meta.url).href;
  const worker = new Worker(url, { type: "module" });
  worker.postMessage(request);
  return worker;
}

/** Runs one variant over `file` in this process; returns the lines parsed. */
async function loop(variant: Variant, file: string): Promise<number> {
  const eater = lineEater(variant === "no-base64");
  const decoder = new TextDecoder();
  if (variant === "plain" || variant === "no-base64") {
    const fd = fs.openSync(file, "r");
    const buffer = new Uint8Array(MiB);
    for (let position = 0;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (n <= 0) break;
      position += n;
      eater.eat(decoder.decode(buffer.subarray(0, n), { stream: true }));
    }
    fs.closeSync(fd);
  } else if (variant === "worker-decode") {
    const worker = startWorker({ mode: "decode", file, ahead: 3 });
    await new Promise<void>((resolve) => {
      worker.onmessage = (event: MessageEvent) => {
        if (event.data === null) return resolve();
        worker.postMessage("more");
        eater.eat(event.data as string);
      };
    });
    worker.terminate();
  } else {
    const slots = 4;
    const header = 256;
    const ring = new SharedArrayBuffer(header + slots * MiB);
    const control = new Int32Array(ring, 0, 2 + slots);
    const data = new Uint8Array(ring, header, slots * MiB);
    const local = new Uint8Array(MiB);
    const worker = startWorker({ mode: "read", file, ring, header, slots, size: MiB });
    for (let k = 0;; k++) {
      while (Atomics.load(control, PRODUCED) <= k) Atomics.wait(control, PRODUCED, k);
      const slot = k % slots;
      const n = Atomics.load(control, 2 + slot);
      if (n <= 0) break;
      local.set(data.subarray(slot * MiB, slot * MiB + n));
      Atomics.store(control, TAKEN, k + 1);
      Atomics.notify(control, TAKEN);
      eater.eat(decoder.decode(local.subarray(0, n), { stream: true }));
    }
    worker.terminate();
  }
  return eater.lines();
}

function isDeno(): boolean {
  return (globalThis as { Deno?: unknown }).Deno !== undefined;
}

/** One variant in a process of its own: its loop's ms, lines parsed and peak KB (NaN without time). */
function measure(variant: Variant, file: string, dir: string) {
  const script = new URL(import.meta.url).pathname;
  const own = isDeno() ? ["run", "-A", script] : [script];
  const args = [...own, "--variant", variant, file];
  const report = path.join(dir, "time.txt");
  const timed = fs.existsSync(TIME);
  const [cmd, all] = timed
    ? [TIME, ["-f", "%M", "-o", report, process.execPath, ...args]]
    : [process.execPath, args];
  const run = spawnSync(cmd, all, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${variant} exited ${run.status}: ${run.stderr}`);
  const [ms, lines] = run.stdout.trim().split(" ").map(Number);
  const peak = timed ? Number(fs.readFileSync(report, "utf8").trim().split("\n").at(-1)) : NaN;
  return { ms: ms!, lines: lines!, peak };
}

function summary(values: number[], digits = 0): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: digits });
  return `${f(sorted[Math.floor(sorted.length / 2)]!)} (${f(sorted[0]!)}–${f(sorted.at(-1)!)})`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: isDeno()
      ? (globalThis as unknown as { Deno: { args: string[] } }).Deno.args
      : process.argv.slice(2),
    options: {
      variant: { type: "string" },
      rounds: { type: "string", default: "5" },
      mib: { type: "string", default: "1024" },
    },
    allowPositionals: true,
  });
  if (values.variant !== undefined) {
    const variant = values.variant as Variant;
    if (!VARIANTS.includes(variant)) throw new Error(`unknown variant "${variant}"`);
    const start = performance.now();
    const lines = await loop(variant, positionals[0]!);
    console.log(`${(performance.now() - start).toFixed(1)} ${lines}`);
    return;
  }
  const rounds = Number(values.rounds);
  const mib = Number(values.mib);
  if (!(rounds >= 1) || !(mib >= 1)) {
    throw new Error("--rounds and --mib take a number of 1 or more");
  }
  // Imported here, not above: a variant's own process loads nothing it does not measure (the
  // generator's imports added 38 MB to each peak in Bun).
  const { remove, scratch } = await import("./bench_fixtures.ts");
  const { writeBigRollout } = await import("./big_rollout.ts");
  const dir = scratch("read-loops");
  try {
    let file = positionals[0];
    if (file === undefined) {
      file = path.join(dir, "b8.jsonl");
      writeBigRollout(file, mib * MiB);
    }
    const got = new Map(VARIANTS.map((v) => [v, { ms: [] as number[], peak: [] as number[] }]));
    let lines: number | null = null;
    for (let round = 0; round < rounds; round++) {
      for (const variant of VARIANTS) {
        const one = measure(variant, file, dir);
        lines ??= one.lines;
        if (one.lines !== lines) {
          throw new Error(`${variant} parsed ${one.lines} lines, not ${lines}`);
        }
        got.get(variant)!.ms.push(one.ms);
        got.get(variant)!.peak.push(one.peak);
      }
    }
    const runtime = isDeno() ? "deno" : "bun";
    const size = (fs.statSync(file).size / MiB).toFixed(0);
    console.log(`${runtime}, ${size} MiB, ${lines} lines, ${rounds} rounds: median (min–max)`);
    for (const [variant, { ms, peak }] of got) {
      console.log(`${variant.padEnd(14)} ${summary(ms)} ms   peak ${summary(peak)} KB`);
    }
  } finally {
    remove(dir);
  }
}

await main();

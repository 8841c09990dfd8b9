/**
 * The child process of B4: loads one file (ours or the reference) and prints the time taken
 * and the process's peak resident memory (VmHWM) as one JSON line.
 */
import * as fs from "node:fs";
import { loadRollout } from "../lib/formats/load_rollout.ts";

/** Peak resident set size of this process in bytes, from /proc (0 where unavailable). */
export function peakRss(): number {
  try {
    const status = fs.readFileSync("/proc/self/status", "utf8");
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** The reference: read the file and `JSON.parse` each line (the limit). */
function parseLines(file: string): unknown[] {
  const text = fs.readFileSync(file, "utf8");
  const out: unknown[] = [];
  let from = 0;
  for (;;) {
    const end = text.indexOf("\n", from);
    if (end < 0) break;
    out.push(JSON.parse(text.slice(from, end)));
    from = end + 1;
  }
  return out;
}

/** `--child load|parse|idle FILE`: prints `{"ms","count","peak"}`. */
export function childMain(argv: string[]): Promise<number> {
  const [mode, file] = argv;
  const start = performance.now();
  let count = 0;
  if (mode === "load") count = loadRollout(file!).saved.items.length;
  else if (mode === "parse") count = parseLines(file!).length;
  else if (mode !== "idle") throw new Error(`Unknown child mode "${mode}"`);
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ ms, count, peak: peakRss() }) + "\n");
  return Promise.resolve(0);
}

/**
 * Benchmark figures: repeated samples reduced to median and min–max, goal verdicts, the printed
 * table and the JSON file. Pure apart from `runtimeName` and `machine`.
 */
import * as os from "node:os";

/** One measured quantity over several repetitions. */
export interface Row {
  id: string;
  label: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  samples: number[];
  /** The goal this row is judged against (ratio rows only). */
  goal?: string;
  met?: boolean;
}

/** A scenario that could not run, with the reason. */
export interface Skip {
  id: string;
  reason: string;
}

/** Everything one run measured. */
export interface Results {
  rows: Row[];
  skips: Skip[];
  notes: string[];
}

/** An empty result set. */
export function newResults(): Results {
  return { rows: [], skips: [], notes: [] };
}

/** The median of the samples (mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Adds a row made of samples; `goal` is `[text, test of the median]` for verdict rows. */
export function addRow(
  results: Results,
  row: { id: string; label: string; unit: string; samples: number[] },
  goal?: [string, (median: number) => boolean],
): Row {
  const m = median(row.samples);
  const out: Row = {
    ...row,
    median: m,
    min: Math.min(...row.samples),
    max: Math.max(...row.samples),
  };
  if (goal !== undefined) {
    out.goal = goal[0];
    out.met = goal[1](m);
  }
  results.rows.push(out);
  return out;
}

/** Element-wise a / b of paired samples (same repetition). */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}

/** Items (or bytes) per second from a count and milliseconds. */
export function perSecond(count: number, ms: readonly number[]): number[] {
  return ms.map((t) => count / (t / 1000));
}

/** A figure as the table prints it: thousands grouped, three significant digits below 100. */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** The one table: every row, then every skipped scenario and note. */
export function formatTable(results: Results): string {
  const head = ["id", "measurement", "median", "min–max", "unit", "goal"];
  const body = results.rows.map((r) => [
    r.id,
    r.label,
    figure(r.median),
    `${figure(r.min)}–${figure(r.max)}`,
    r.unit,
    r.goal === undefined ? "" : `${r.goal}: ${r.met ? "met" : "NOT MET"}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  const out = [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
  for (const s of results.skips) out.push(`${s.id}: not measured: ${s.reason}`);
  for (const n of results.notes) out.push(`note: ${n}`);
  return out.join("\n") + "\n";
}

/** The runtime executing this script. */
export function runtimeName(): "bun" | "deno" | "node" {
  const g = globalThis as unknown as { Bun?: unknown; Deno?: unknown };
  if (g.Bun !== undefined) return "bun";
  if (g.Deno !== undefined) return "deno";
  return "node";
}

/** The runtime's version string. */
export function runtimeVersion(): string {
  const g = globalThis as unknown as {
    Bun?: { version: string };
    Deno?: { version: { deno: string } };
  };
  return g.Bun?.version ?? g.Deno?.version.deno ?? process.version;
}

/** A short description of this machine. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, ${
    Math.round(os.totalmem() / 2 ** 30)
  } GiB, ${os.type()} ${os.release()}`;
}

/**
 * What `countLines` (lib/base/line_count.ts) costs against the loop it replaced, one `indexOf`
 * per line, in this runtime: the tool outputs of a generated 100 MiB B8 rollout, and text of
 * short, middling and long lines. Prints the median of nine rounds of each, in ms.
 *
 *   bun scripts/bench_line_count.ts       deno run -A scripts/bench_line_count.ts
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { countLines } from "../lib/base/mod.ts";
import { remove, scratch } from "./bench_fixtures.ts";
import { writeBigRollout } from "./big_rollout.ts";

function byIndexOf(text: string): number {
  let count = 1;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

/** The tool outputs of a generated B8 rollout of 100 MiB. */
function toolOutputs(): string[] {
  const dir = scratch("line-count");
  try {
    const file = path.join(dir, "b8.jsonl");
    writeBigRollout(file, 100 * 1024 * 1024);
    const outputs: string[] = [];
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line.includes('"function_call_output"')) continue;
      const payload = JSON.parse(line).payload;
      if (payload?.type === "function_call_output") outputs.push(payload.output);
    }
    return outputs;
  } finally {
    remove(dir);
  }
}

/** `text` in pieces of 64 Ki units. */
function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 65536 <= text.length; i += 65536) out.push(text.slice(i, i + 65536));
  return out;
}

const lineOf = (width: number) => `${"x".repeat(width - 1)}\n`;
const shapes: [string, string[]][] = [
  ["B8 tool outputs, 100 MiB", toolOutputs()],
  ["lines of 4 characters", pieces(lineOf(4).repeat(100_000))],
  ["lines of 16 characters", pieces(lineOf(16).repeat(30_000))],
  ["lines of 24 characters", pieces(lineOf(24).repeat(20_000))],
  ["lines of 63 characters", pieces(lineOf(63).repeat(8_000))],
  ["16 short lines, then 4,096", pieces("a\n".repeat(16) + lineOf(4096).repeat(100))],
];
for (const [name, texts] of shapes) {
  const row: string[] = [];
  for (const [label, count] of [["indexOf loop", byIndexOf], ["countLines", countLines]] as const) {
    for (const text of texts) {
      if (count(text) !== text.split("\n").length) throw new Error(`${label} miscounts ${name}`);
    }
    const times: number[] = [];
    for (let round = 0; round < 9; round++) {
      const start = performance.now();
      for (const text of texts) count(text);
      times.push(performance.now() - start);
    }
    row.push(`${label} ${times.sort((a, b) => a - b)[4]!.toFixed(2)} ms`);
  }
  console.log(`${name.padEnd(28)} ${row.join("   ")}`);
}

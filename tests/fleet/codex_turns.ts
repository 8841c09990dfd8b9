/**
 * Codex paginated rollout lines written for the fleet's process tests: turns appended to a
 * session (a growing file), or a new small session. Deterministic from a seeded source.
 * Test-only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { SeededRandom } from "../reliability/seeded_random.ts";

const WORDS = [
  "build",
  "cache",
  "deploy",
  "error",
  "fixture",
  "kernel",
  "ledger",
  "module",
  "parser",
  "router",
  "schema",
  "thread",
  "vector",
  "window",
];

/** About `bytes` of words picked by `random`. */
function words(random: SeededRandom, bytes: number): string {
  const out: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = random.pick(WORDS);
    out.push(word);
    length += word.length + 1;
  }
  return out.join(" ");
}

/** How many lines were written and the next ordinal. */
export interface Written {
  lines: number;
  bytes: number;
  ordinal: number;
}

/**
 * Appends turns of about `outputBytes` each (a user message, a shell call, its output, an
 * answer) to `file` until about `bytes` were written, ordinals from `ordinal` on.
 */
export function appendTurns(
  file: string,
  random: SeededRandom,
  options: { ordinal: number; bytes: number; outputBytes: number },
): Written {
  let ordinal = options.ordinal;
  let clock = Date.parse("2026-11-20T10:00:00.000Z") + ordinal * 1000;
  const lines: string[] = [];
  let bytes = 0;
  const line = (type: string, payload: unknown) => {
    const text = `${
      JSON.stringify({ timestamp: new Date(clock += 1000).toISOString(), ordinal, type, payload })
    }\n`;
    ordinal++;
    lines.push(text);
    bytes += Buffer.byteLength(text);
  };
  while (bytes < options.bytes) {
    const call = `call_${ordinal}`;
    line("response_item", {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: `Turn at ${ordinal}: ${words(random, 120)}` }],
    });
    line("response_item", {
      type: "function_call",
      name: "shell",
      arguments: JSON.stringify({ command: ["bash", "-lc", `rg -n ${random.pick(WORDS)} src`] }),
      call_id: call,
    });
    line("response_item", {
      type: "function_call_output",
      call_id: call,
      output: words(random, options.outputBytes),
    });
    line("response_item", {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: words(random, 300) }],
    });
  }
  fs.appendFileSync(file, lines.join(""));
  return { lines: lines.length, bytes, ordinal };
}

/** Writes a new Codex session `id` of about `bytes` under `<home>/sessions`; its path. */
export function writeSession(
  home: string,
  random: SeededRandom,
  options: { id: string; bytes: number },
): string {
  const start = "2026-11-20T10:00:00.000Z";
  const dir = path.join(home, "sessions", "2026", "11", "20");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `rollout-2026-11-20T10-00-00-${options.id}.jsonl`);
  const meta = {
    id: options.id,
    timestamp: start,
    cwd: "/home/dev/project",
    originator: "codex_cli_rs",
    cli_version: "0.150.0",
    source: "cli",
    model_provider: "openai",
    history_mode: "paginated",
  };
  const first = { timestamp: start, ordinal: 0, type: "session_meta", payload: meta };
  fs.writeFileSync(file, `${JSON.stringify(first)}\n`, { mode: 0o600 });
  appendTurns(file, random, { ordinal: 1, bytes: options.bytes, outputBytes: 2_000 });
  return file;
}

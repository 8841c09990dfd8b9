/**
 * Writes a large Codex paginated rollout of about a given size, shaped like the ones users
 * report (openai/codex#24948): turns with big tool outputs, screenshots as data URLs, Codex's
 * event_msg and turn_context records, and compactions whose replacement history copies the
 * images again. For the memory tests (SPEC §7) and B8 of the benchmark. Not shipped.
 *
 *   deno run -A scripts/big_rollout.ts OUT.jsonl SIZE_MB
 */
import * as fs from "node:fs";

/** What {@linkcode writeBigRollout} wrote. */
export interface BigRollout {
  bytes: number;
  lines: number;
  /** The longest line, in bytes (without its `\n`). */
  longestLine: number;
  compactions: number;
}

/** Options of {@linkcode writeBigRollout}. */
export interface BigRolloutOptions {
  /** Tool outputs are this many bytes (default 64 KiB). */
  outputBytes?: number;
  /** Screenshots are data URLs of this many bytes (default 256 KiB). */
  imageBytes?: number;
  /** A compaction after every this many bytes (default 64 MiB). */
  compactEvery?: number;
  /** Makes screenshot `seed`'s data URL of about `bytes` (default: base64 noise, no real PNG). */
  image?: (seed: number, bytes: number) => string;
}

const ID = "019b0000-0000-7000-8000-00000000b1a9";

/** Deterministic filler text: printable ASCII that no two lines share verbatim. */
function filler(seed: number, bytes: number): string {
  const words = ["alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "tango", "zulu"];
  const parts: string[] = [];
  let length = 0;
  let x = seed;
  while (length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const word = words[x % words.length]!;
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(x % 7 === 0 ? "\n" : " ").slice(0, bytes);
}

/** A base64 body of `bytes` characters, as a data URL of a PNG. */
function image(seed: number, bytes: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const block = Array.from({ length: 4096 }, (_, i) => alphabet[(i * 31 + seed) % 64]).join("");
  return `data:image/png;base64,${block.repeat(Math.ceil(bytes / block.length)).slice(0, bytes)}`;
}

/** Writes the rollout to `file` (replacing it) until it holds at least `targetBytes`. */
export function writeBigRollout(
  file: string,
  targetBytes: number,
  options: BigRolloutOptions = {},
): BigRollout {
  const outputBytes = options.outputBytes ?? 64 * 1024;
  const imageBytes = options.imageBytes ?? 256 * 1024;
  const compactEvery = options.compactEvery ?? 64 * 1024 * 1024;
  const makeImage = options.image ?? image;
  const fd = fs.openSync(file, "w", 0o600);
  const result: BigRollout = { bytes: 0, lines: 0, longestLine: 0, compactions: 0 };
  let ordinal = 0;
  let clock = Date.parse("2026-11-01T09:00:00.000Z");
  let pending: string[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pending.length === 0) return;
    fs.writeSync(fd, pending.join(""));
    pending = [];
    pendingBytes = 0;
  };
  const line = (type: string, payload: unknown) => {
    clock += 250;
    const text = JSON.stringify({
      timestamp: new Date(clock).toISOString(),
      ordinal: ordinal++,
      type,
      payload,
    });
    const bytes = Buffer.byteLength(text);
    result.longestLine = Math.max(result.longestLine, bytes);
    result.bytes += bytes + 1;
    result.lines++;
    pending.push(`${text}\n`);
    pendingBytes += bytes + 1;
    if (pendingBytes >= 4 * 1024 * 1024) flush();
  };
  try {
    line("session_meta", {
      id: ID,
      timestamp: new Date(clock).toISOString(),
      cwd: "/home/dev/project",
      originator: "codex_cli_rs",
      cli_version: "0.150.0",
      source: "cli",
      model_provider: "openai",
      history_mode: "paginated",
      base_instructions: { text: "You are Codex, a coding agent. ".repeat(200) },
    });
    const recentUsers: unknown[] = [];
    let sinceCompaction = 0;
    for (let turn = 1; result.bytes < targetBytes; turn++) {
      const before = result.bytes;
      const text = `Turn ${turn}: ${filler(turn, 200)}`;
      const content: unknown[] = [{ type: "input_text", text }];
      if (turn % 5 === 0) {
        content.push({ type: "input_image", image_url: makeImage(turn, imageBytes) });
      }
      const user = { type: "message", role: "user", content };
      recentUsers.push(user);
      if (recentUsers.length > 4) recentUsers.shift();
      line("response_item", user);
      line("event_msg", { type: "user_message", message: text, images: [], local_images: [] });
      line("turn_context", {
        cwd: "/home/dev/project",
        model: "gpt-5.1-codex",
        approval_policy: "on-request",
      });
      const call = `call_${turn}`;
      line("response_item", {
        type: "function_call",
        name: "shell",
        arguments: JSON.stringify({ command: ["bash", "-lc", `rg -n pattern${turn} src`] }),
        call_id: call,
      });
      line("response_item", {
        type: "function_call_output",
        call_id: call,
        output: filler(turn * 7, outputBytes),
      });
      const answer = `Done with turn ${turn}. ${filler(turn * 13, 300)}`;
      line("response_item", {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: answer }],
      });
      line("event_msg", { type: "agent_message", message: answer });
      line("event_msg", {
        type: "token_count",
        info: {
          total_token_usage: {
            input_tokens: turn * 9000,
            cached_input_tokens: turn * 6000,
            output_tokens: turn * 400,
            total_tokens: turn * 9400,
          },
          last_token_usage: {
            input_tokens: 9000,
            cached_input_tokens: 6000,
            output_tokens: 400,
            total_tokens: 9400,
          },
        },
      });
      sinceCompaction += result.bytes - before;
      if (sinceCompaction >= compactEvery) {
        sinceCompaction = 0;
        result.compactions++;
        line("compacted", {
          message: `Summary of turns up to ${turn}: ${filler(turn * 17, 2000)}`,
          replacement_history: [...recentUsers],
        });
      }
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return result;
}

if (import.meta.main) {
  const [out, size] = process.argv.slice(2);
  if (out === undefined || size === undefined || !(Number(size) > 0)) {
    process.stderr.write("usage: deno run -A scripts/big_rollout.ts OUT.jsonl SIZE_MB\n");
    process.exit(2);
  }
  const made = writeBigRollout(out, Number(size) * 1024 * 1024);
  process.stdout.write(`${JSON.stringify(made)}\n`);
}

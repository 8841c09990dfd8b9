/**
 * Rollouts for the transcript tests, written as Codex envelope lines: a conversation with
 * every kind of entry, one full of hostile text, and one long enough to need scrolling.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { markFixture } from "../helpers.ts";
import { pngDataUrl } from "../../scripts/png.ts";

/** One record: its type and payload. */
export interface Rec {
  type: string;
  payload: unknown;
}

export const SESSION_ID = "019b0000-0000-7000-8000-0000000000a1";

/**
 * Writes `records` after a meta (with `meta`'s fields) to `dir/name`, one line each; with
 * `ordinal`, the lines carry Codex ordinals from it (a paginated rollout; `state` lines none).
 */
export function writeRollout(
  dir: string,
  name: string,
  records: readonly Rec[],
  meta: Record<string, unknown> = {},
  options: { ordinal?: number } = {},
): string {
  const file = path.join(dir, name);
  let clock = Date.parse("2026-11-26T10:00:00.000Z");
  let ordinal = options.ordinal;
  const line = (type: string, payload: unknown) => {
    clock += 1000;
    const timestamp = new Date(clock).toISOString();
    const numbered = ordinal === undefined || type === "state" ? {} : { ordinal: ordinal++ };
    return `${JSON.stringify({ timestamp, ...numbered, type, payload })}\n`;
  };
  const head = line("session_meta", {
    id: SESSION_ID,
    timestamp: "2026-11-26T10:00:00.000Z",
    cwd: "/work/demo",
    originator: "codex_cli_rs",
    cli_version: "0.150.0",
    ...meta,
  });
  fs.writeFileSync(file, head + records.map((r) => line(r.type, r.payload)).join(""));
  return markFixture(file);
}

export const item = (payload: Record<string, unknown>): Rec => ({ type: "response_item", payload });

export const user = (text: string, extra: unknown[] = []): Rec =>
  item({ type: "message", role: "user", content: [{ type: "input_text", text }, ...extra] });

export const assistant = (text: string): Rec =>
  item({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });

export const call = (name: string, args: unknown, id: string): Rec =>
  item({ type: "function_call", name, arguments: JSON.stringify(args), call_id: id });

export const output = (id: string, text: string): Rec =>
  item({ type: "function_call_output", call_id: id, output: text });

export const tokens = (input: number, cached: number, out: number, total: number[]): Rec => ({
  type: "event_msg",
  payload: {
    type: "token_count",
    info: {
      total_token_usage: {
        input_tokens: total[0],
        cached_input_tokens: total[1],
        output_tokens: total[2],
        total_tokens: total[0]! + total[2]!,
      },
      last_token_usage: { input_tokens: input, cached_input_tokens: cached, output_tokens: out },
    },
  },
});

/** A 24 × 16 PNG, a blue-to-green gradient. */
export const PNG = pngDataUrl(24, 16, (x, y) => [20, 60 + x * 8, 200 - y * 8]);

/** The lines of the folded output: `line 1` … `line 100`. */
export const LONG_OUTPUT = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join("\n");

/**
 * A conversation with every kind of entry, and what a reader sees of it in order: label and
 * a piece of its text.
 */
export function conversation(): { records: Rec[]; seen: Array<[string, string]> } {
  const records: Rec[] = [
    {
      type: "turn_context",
      payload: { cwd: "/work/demo", model: "gpt-5.1-codex", user_instructions: "Answer briefly." },
    },
    user("Which files are here?"),
    call("shell", { command: ["ls", "-1"] }, "call_1"),
    output("call_1", LONG_OUTPUT),
    assistant("There are 100 lines of output."),
    tokens(1200, 200, 80, [1200, 200, 80]),
    user("What does this screenshot show?", [{ type: "input_image", image_url: PNG }]),
    assistant("A gradient."),
    tokens(1500, 1000, 40, [2700, 1200, 120]),
    { type: "compacted", payload: { message: "Summary so far", replacement_history: [] } },
    user("Undo that."),
    assistant("Rolled back."),
    { type: "event_msg", payload: { type: "thread_rolled_back", num_turns: 1 } },
    user("Last question."),
    assistant("Last answer."),
  ];
  const seen: Array<[string, string]> = [
    ["user instructions", "Answer briefly."],
    ["user", "Which files are here?"],
    ["tool call", '"ls"'],
    ["tool output", "line 1"],
    ["assistant", "There are 100 lines of output."],
    ["user", "What does this screenshot show?"],
    ["assistant", "A gradient."],
    ["marker", "history compacted"],
    ["user", "Undo that."],
    ["assistant", "Rolled back."],
    ["marker", "rolled back 1 user turn(s)"],
    ["user", "Last question."],
    ["assistant", "Last answer."],
  ];
  return { records, seen };
}

/** Markup and script that must stay text: each sets `window.__pwned` or opens a dialog if run. */
export const PAYLOADS = [
  "<script>window.__pwned = 1</script>",
  '<img src=x onerror="window.__pwned = 2">',
  '</textarea><svg onload="window.__pwned = 3"></svg>',
  '"><iframe src="javascript:top.__pwned = 4"></iframe>',
  "</script><script>window.__pwned = 5</script>",
  "javascript:alert(6)",
  '\u202egnp.exe\u202c <a href="javascript:alert(7)">click</a>',
  '<style>body{display:none}</style><base href="https://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
  "<!-- ' onfocus=alert(8) autofocus x='",
];

/** The payloads joined, tagged with the field they are put in. */
export function hostile(field: string): string {
  return `[${field}] ${PAYLOADS.join(" ")}`;
}

/** A rollout with every payload in every field the page shows. */
export function hostileRollout(dir: string): string {
  const evilUrl = 'https://evil.example/x.png" onerror="window.__pwned = 9';
  const records: Rec[] = [
    {
      type: "turn_context",
      payload: {
        model: hostile("model"),
        user_instructions: hostile("user instructions"),
        developer_instructions: hostile("developer instructions"),
      },
    },
    user(hostile("user"), [
      { type: "input_image", image_url: "javascript:window.__pwned = 10" },
      { type: "input_image", image_url: "data:text/html,<script>parent.__pwned = 11</script>" },
      { type: "input_image", image_url: "data:image/svg+xml,<svg onload='top.__pwned = 12'/>" },
      { type: "input_image", image_url: evilUrl },
    ]),
    item({ type: "message", role: hostile("role"), content: [{ type: "input_text", text: "x" }] }),
    call(
      hostile("tool"),
      { script: hostile("arguments"), html: "</script><script>x()</script>" },
      hostile("call id"),
    ),
    item({
      type: "function_call",
      name: "raw",
      arguments: hostile("raw arguments"),
      call_id: "c2",
    }),
    output(hostile("output id"), hostile("output")),
    item({
      type: "function_call_output",
      call_id: "c3",
      output: { content: [{ type: "input_text", text: hostile("output part") }], success: false },
    }),
    item({
      type: "custom_tool_call",
      call_id: "c4",
      name: "apply_patch",
      input: hostile("custom input"),
    }),
    item({
      type: "local_shell_call",
      call_id: "c5",
      status: "completed",
      action: { type: "exec", command: ["echo", hostile("shell")] },
    }),
    item({ type: "web_search_call", action: { type: "search", query: hostile("web search") } }),
    item({ type: "reasoning", summary: [{ type: "summary_text", text: hostile("reasoning") }] }),
    assistant(hostile("assistant")),
    tokens(10, 0, 5, [10, 0, 5]),
  ];
  return writeRollout(dir, "hostile.jsonl", records, {
    cwd: hostile("cwd"),
    model: hostile("meta model"),
    cli_version: hostile("cli version"),
    instructions: hostile("instructions"),
    git: {
      branch: hostile("git branch"),
      commit_hash: "abc",
      repository_url: "javascript:alert(13)",
    },
  });
}

const shellQuoted = (text: string) => `echo '${text.replaceAll("'", "'\\''")}'`;

/**
 * The fields {@linkcode hostileRollout} fills, tagged as {@linkcode hostile} tags them, and
 * how the page shows that field's text (JSON arguments pretty-printed, shell words quoted).
 */
export const HOSTILE_FIELDS: Array<[string, (text: string) => string]> = [
  ["model", (t) => t],
  ["user instructions", (t) => t],
  ["developer instructions", (t) => t],
  ["user", (t) => t],
  ["role", (t) => t],
  ["tool", (t) => t],
  ["arguments", (t) => JSON.stringify(t)],
  ["call id", (t) => t],
  ["raw arguments", (t) => t],
  ["output id", (t) => t],
  ["output", (t) => t],
  ["output part", (t) => t],
  ["custom input", (t) => t],
  ["shell", shellQuoted],
  ["web search", (t) => t],
  ["reasoning", (t) => t],
  ["assistant", (t) => t],
  ["cwd", (t) => t],
  ["meta model", (t) => t],
  ["cli version", (t) => t],
  ["instructions", (t) => t],
  ["git branch", (t) => t],
];

/** A long session: `turns` turns of a question, a call and a 30-line output, an answer. */
export function longRollout(
  dir: string,
  turns: number,
  planted: { turn: number; word: string },
): string {
  const records: Rec[] = [];
  for (let t = 1; t <= turns; t++) {
    const lines = Array.from({ length: 30 }, (_, i) => `turn ${t} output line ${i + 1}`);
    if (t === planted.turn) lines[27] = `the ${planted.word} is here`;
    records.push(
      user(`Question ${t}`),
      call("shell", { command: ["make", `step${t}`] }, `call_${t}`),
      output(`call_${t}`, lines.join("\n")),
      assistant(`Answer ${t}`),
    );
  }
  return writeRollout(dir, "long.jsonl", records);
}

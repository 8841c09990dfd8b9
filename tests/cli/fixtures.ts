/** The same conversation in each of the five readable formats, written byte for byte. */
import * as fs from "node:fs";
import * as path from "node:path";
import { markFixture } from "../helpers.ts";

/** The formats of SPEC §2.3, by the name `validate` reports. */
export type FixtureFormat =
  | "journal"
  | "codex_envelope"
  | "document"
  | "codex_ts_document"
  | "codex_jsonl_2025";

export const FORMATS: readonly FixtureFormat[] = [
  "journal",
  "codex_envelope",
  "document",
  "codex_ts_document",
  "codex_jsonl_2025",
];

export const T0 = "2026-11-26T11:15:28.120Z";

export const USER = {
  type: "message",
  role: "user",
  content: [{ type: "input_text", text: "list files" }],
};
export const CALL = {
  type: "function_call",
  name: "shell",
  arguments: '{"command":["ls"]}',
  call_id: "call_1",
};
export const OUTPUT = { type: "function_call_output", call_id: "call_1", output: "a\nb\n" };
export const ASSISTANT = {
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text: "Two files: a and b." }],
};
export const ITEMS = [USER, CALL, OUTPUT, ASSISTANT];

/** The text of the conversation in `format`, with `id` as the session id. */
export function fixtureText(format: FixtureFormat, id: string): string {
  const meta = { id, timestamp: T0, instructions: "Be terse.", cwd: "/repo" };
  const env = (ordinal: number | null, type: string, payload: unknown) =>
    JSON.stringify({
      timestamp: "2026-11-26T11:15:29.000Z",
      ...(ordinal === null ? {} : { ordinal }),
      type,
      payload,
    }) + "\n";
  switch (format) {
    case "journal":
      return env(0, "session_meta", { ...meta, history_mode: "paginated" }) +
        ITEMS.map((item, i) => env(i + 1, "response_item", item)).join("") +
        env(null, "state", { previous_response_id: "resp_42" });
    case "codex_envelope":
      return env(null, "session_meta", {
        id,
        timestamp: T0,
        cwd: "/repo",
        originator: "codex_cli_rs",
        cli_version: "0.60.0",
        base_instructions: { text: "Be terse." },
      }) + env(null, "turn_context", { cwd: "/repo" }) +
        ITEMS.map((item) => env(null, "response_item", item)).join("");
    case "document":
      return JSON.stringify(
        { session: meta, items: ITEMS, state: { previous_response_id: "resp_42" } },
        null,
        2,
      );
    case "codex_ts_document":
      return JSON.stringify(
        { session: { id, timestamp: T0, instructions: "Be terse." }, items: ITEMS },
        null,
        2,
      );
    case "codex_jsonl_2025":
      return [
        { id, timestamp: T0, instructions: "Be terse.", git: null },
        ...ITEMS,
        { record_type: "state", previous_response_id: "resp_42" },
      ].map((v) => JSON.stringify(v) + "\n").join("");
  }
}

/** The file name extension of a format. */
export function extensionOf(format: FixtureFormat): "json" | "jsonl" {
  return format === "document" || format === "codex_ts_document" ? "json" : "jsonl";
}

/** Writes a session file into `<home>/sessions/2026/11/26/` and returns its path. */
export function writeSession(
  home: string,
  options: { id: string; format?: FixtureFormat; text?: string; mtime?: number; stamp?: string },
): string {
  const format = options.format ?? "journal";
  const dir = path.join(home, "sessions", "2026", "11", "26");
  fs.mkdirSync(dir, { recursive: true });
  const stamp = options.stamp ?? "2026-11-26T11-15-28";
  const file = path.join(dir, `rollout-${stamp}-${options.id}.${extensionOf(format)}`);
  fs.writeFileSync(file, options.text ?? fixtureText(format, options.id), { mode: 0o600 });
  if (options.mtime !== undefined) fs.utimesSync(file, options.mtime, options.mtime);
  return markFixture(file);
}

/** A session id for test number `n`. */
export function idOf(n: number): string {
  return `019abc00-0000-7000-8000-${String(n).padStart(12, "0")}`;
}

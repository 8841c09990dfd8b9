/**
 * A model of what Codex CLI does with a rollout file, written from its source (openai/codex
 * main 343074d4207d, mirror yoyooyooo/codex), for tests: which lines it decodes, what its
 * resume picker shows, whether its paginated history materialization accepts the file, and
 * how its recorder appends. Each rule names the file and lines it comes from.
 */
import * as fs from "node:fs";

/** The record types RolloutItem knows (codex-rs/history/src/rollout_payload.rs:20-52). */
const ROLLOUT_TYPES = new Set([
  "session_meta",
  "response_item",
  "inter_agent_communication",
  "inter_agent_communication_metadata",
  "compacted",
  "turn_context",
  "world_state",
  "security_risk_score",
  "event_msg",
]);

/**
 * EventMsg variants this model decodes (codex-rs/protocol/src/protocol.rs:1293-1505). The
 * enum has no fallback, so a variant outside the real list makes the line undecodable; the
 * model knows the ones rollout's tests meet and treats others as undecodable (conservative:
 * an undecodable line only ever relaxes the ordinal rules below).
 */
const EVENT_TYPES = new Set([
  "user_message",
  "agent_message",
  "token_count",
  "thread_rolled_back",
  "task_started",
  "turn_started",
  "task_complete",
  "turn_complete",
  "turn_aborted",
  "item_completed",
  "agent_reasoning",
  "context_compacted",
  "thread_settings_applied",
  "thread_goal_updated",
]);

/** ContentItem (codex-rs/protocol/src/models.rs:837-853): no fallback variant. */
const CONTENT_TYPES = new Set(["input_text", "input_image", "input_audio", "output_text"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a session_meta payload deserializes (protocol.rs:2880-3005, required fields). */
export function decodesAsMeta(payload: unknown): string | null {
  if (!isObject(payload)) return "payload is not an object";
  if (typeof payload.id !== "string" || !UUID.test(payload.id)) return "id is not a UUID";
  for (const key of ["timestamp", "cwd", "originator", "cli_version"]) {
    if (typeof payload[key] !== "string") return `${key} is missing`;
  }
  const mode = payload.history_mode;
  if (mode !== undefined && mode !== "legacy" && mode !== "paginated") {
    return `history_mode "${String(mode)}" is unknown`;
  }
  return null;
}

function decodesAsResponseItem(payload: unknown): boolean {
  if (!isObject(payload) || typeof payload.type !== "string") return false;
  switch (payload.type) {
    case "message":
      return typeof payload.role === "string" && Array.isArray(payload.content) &&
        payload.content.every((part) =>
          isObject(part) && typeof part.type === "string" && CONTENT_TYPES.has(part.type)
        );
    case "function_call":
      return typeof payload.name === "string" && typeof payload.arguments === "string" &&
        typeof payload.call_id === "string";
    case "function_call_output":
      return typeof payload.output === "string" || Array.isArray(payload.output) ||
        isObject(payload.output);
    default:
      // Unknown item types decode as `Other` (models.rs:1178-1179).
      return true;
  }
}

/** A line as Codex's `decode_rollout_line` sees it (codex-rs/rollout/src/lib.rs:35-65). */
export interface CodexLine {
  type: string;
  ordinal: number | undefined;
  payload: Record<string, unknown>;
}

/** The decoded line, or null when Codex rejects it (not JSON, unknown type, bad payload). */
export function decodeLine(text: string): CodexLine | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.type !== "string" || !ROLLOUT_TYPES.has(value.type)) {
    return null;
  }
  const payload = value.payload;
  if (!isObject(payload)) return null;
  // `"ordinal": null` counts as absent (lib.rs:35-45).
  const ordinal = typeof value.ordinal === "number" ? value.ordinal : undefined;
  switch (value.type) {
    case "session_meta":
      if (decodesAsMeta(payload) !== null) return null;
      break;
    case "response_item":
      if (!decodesAsResponseItem(payload)) return null;
      break;
    case "event_msg":
      if (typeof payload.type !== "string" || !EVENT_TYPES.has(payload.type)) return null;
      if (
        (payload.type === "user_message" || payload.type === "agent_message") &&
        typeof payload.message !== "string"
      ) return null;
      break;
    case "compacted":
      if (typeof payload.message !== "string") return null;
      break;
  }
  return { type: value.type, ordinal, payload };
}

/** The raw `ordinal` of a JSON line, decodable or not. */
function rawOrdinal(text: string): number | undefined {
  try {
    const value = JSON.parse(text);
    return isObject(value) && typeof value.ordinal === "number" ? value.ordinal : undefined;
  } catch {
    return undefined;
  }
}

/** Non-blank, newline-terminated lines (a trailing partial line waits for the next pass). */
function completeLines(text: string): string[] {
  const end = text.lastIndexOf("\n");
  return text.slice(0, end + 1).split("\n").filter((line) => line.trim() !== "");
}

/** What the resume picker learns from a file's head (codex-rs/rollout/src/list.rs:1105-1212). */
export interface HeadSummary {
  sawMeta: boolean;
  source: unknown;
  historyMode: string;
  preview: string | null;
}

/**
 * `read_head_summary(path, 10)`: up to 10 records, and up to 210 (list.rs:125-126) while a
 * meta was seen but no user message preview yet; the first session_meta counts.
 */
export function headSummary(text: string): HeadSummary {
  const summary: HeadSummary = {
    sawMeta: false,
    source: undefined,
    historyMode: "",
    preview: null,
  };
  let scanned = 0;
  for (const line of text.split("\n")) {
    if (scanned >= 10 && !(summary.sawMeta && summary.preview === null && scanned < 210)) break;
    if (line.trim() === "") continue;
    scanned++;
    const decoded = decodeLine(line.trim());
    if (decoded === null) continue;
    if (decoded.type === "session_meta" && !summary.sawMeta) {
      summary.sawMeta = true;
      // `source` defaults to VSCode (protocol.rs:2584-2598); history_mode to legacy.
      summary.source = decoded.payload.source ?? "vscode";
      summary.historyMode = String(decoded.payload.history_mode ?? "legacy");
    }
    if (
      decoded.type === "event_msg" && decoded.payload.type === "user_message" &&
      summary.preview === null
    ) {
      // event_msg_preview: the message trimmed, else [Image] (protocol.rs:2391-2410).
      const message = String(decoded.payload.message).trim();
      const images = decoded.payload.images;
      if (message !== "") summary.preview = message;
      else if (Array.isArray(images) && images.length > 0) summary.preview = "[Image]";
    }
    if (summary.sawMeta && summary.preview !== null) break;
  }
  return summary;
}

/**
 * Whether the TUI picker and `--last` list the file (list.rs:776-858 build_thread_item; the
 * TUI passes sources [cli, vscode], tui/src/lib.rs:631-640): null if shown, else why not.
 */
export function pickerRefusal(text: string): string | null {
  const head = headSummary(text);
  if (!head.sawMeta) return "no decodable session_meta in the head";
  if (head.source !== "cli" && head.source !== "vscode") {
    return `source ${JSON.stringify(head.source)} is not interactive`;
  }
  if (head.preview === null) return "no user_message event in the head";
  return null;
}

/**
 * Paginated history materialization (codex-rs/thread-store/src/local/
 * thread_history_materialization.rs:71-274): the error Codex raises, or null when it accepts
 * every ordinal. Legacy files are not materialized (null).
 */
export function materializationError(text: string): string | null {
  const lines = completeLines(text);
  const first = lines.length === 0 ? null : decodeLine(lines[0]!);
  if (first === null || first.type !== "session_meta") return "no readable session_meta first";
  if ((first.payload.history_mode ?? "legacy") !== "paginated") return null;
  const base = first.payload.history_base;
  let expected = isObject(base) && typeof base.end_ordinal_exclusive === "number"
    ? base.end_ordinal_exclusive
    : 0;
  let pending = 0;
  for (const [index, line] of lines.entries()) {
    const decoded = decodeLine(line);
    const ordinal = decoded?.ordinal ?? rawOrdinal(line);
    if (ordinal === undefined) {
      if (decoded === null) {
        pending++;
        continue;
      }
      return `line ${index + 1}: paginated rollout line is missing an ordinal`;
    }
    if (ordinal < expected) {
      return `line ${index + 1}: expected ordinal ${expected}, got ${ordinal}`;
    }
    if (decoded === null) {
      pending++;
      continue;
    }
    if (ordinal - expected > pending) {
      return `line ${
        index + 1
      }: expected ordinal ${expected}, got ${ordinal}; ${pending} rejected rollout lines cannot cover that gap`;
    }
    expected = ordinal + 1;
    pending = 0;
  }
  return null;
}

/**
 * The response items Codex's resume keeps (`load_rollout_items`, codex-rs/rollout/src/
 * recorder.rs:1009-1072): every decodable `response_item` line in order, ordinals ignored,
 * legacy `ghost_snapshot` items left out (recorder.rs:1134-1195).
 */
export function resumedItems(text: string): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  for (const line of completeLines(text)) {
    const decoded = decodeLine(line);
    if (decoded?.type === "response_item" && decoded.payload.type !== "ghost_snapshot") {
      items.push(decoded.payload);
    }
  }
  return items;
}

/** Codex's timestamp format: UTC with milliseconds (recorder.rs:1954-1959). */
function codexTimestamp(now: Date): string {
  return now.toISOString();
}

/**
 * Appends records as Codex's recorder does when it resumes a file (`open_rollout_for_append`,
 * codex-rs/rollout/src/recorder.rs:1896-1933; `ordinal_state_for_rollout`,
 * codex-rs/rollout/src/ordinal.rs:56-132): the first non-blank line must decode as a
 * session_meta; legacy files get no ordinals; a paginated file continues from the ordinal of
 * the last line that decodes, scanning back over rejected lines; a missing final `\n` is
 * added first. Each line is `{timestamp, ordinal?, type, payload}` (history/src/lib.rs:200-207).
 */
export function codexAppend(
  file: string,
  records: readonly { type: string; payload: unknown }[],
  now = new Date(),
): void {
  const text = fs.readFileSync(file, "utf8");
  const firstLine = text.split("\n").find((line) => line.trim() !== "");
  const first = firstLine === undefined ? null : decodeLine(firstLine);
  if (firstLine !== undefined && first === null) {
    throw new Error(`failed to parse first rollout record at ${file}`);
  }
  if (first !== null && first.type !== "session_meta") {
    throw new Error(`rollout at ${file} does not start with session metadata`);
  }
  let next: number | undefined;
  if (first !== null && first.payload.history_mode === "paginated") {
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    const last = lines.reverse().map(decodeLine).find((line) => line !== null);
    if (last === undefined) throw new Error(`rollout at ${file} contains no valid records`);
    if (last!.ordinal === undefined) {
      throw new Error(`final paginated rollout record at ${file} is missing an ordinal`);
    }
    next = last!.ordinal + 1;
  }
  let out = text.length > 0 && !text.endsWith("\n") ? "\n" : "";
  for (const record of records) {
    const line: Record<string, unknown> = { timestamp: codexTimestamp(now) };
    if (next !== undefined) line.ordinal = next++;
    line.type = record.type;
    line.payload = record.payload;
    out += JSON.stringify(line) + "\n";
  }
  fs.appendFileSync(file, out);
}

/** What Codex writes for one user turn in a legacy or paginated file (a message and its event). */
export function codexUserTurn(text: string): { type: string; payload: unknown }[] {
  return [
    {
      type: "response_item",
      payload: { type: "message", role: "user", content: [{ type: "input_text", text }] },
    },
    {
      type: "event_msg",
      payload: {
        type: "user_message",
        message: text,
        images: [],
        local_images: [],
        text_elements: [],
      },
    },
  ];
}

/**
 * Every Codex-side rule a file written by rollout must pass: the meta decodes, the
 * materialization accepts the ordinals, and when a user message is in the head the picker
 * lists the session. Returns the problems found.
 */
export function codexConformance(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const problems: string[] = [];
  const firstLine = text.split("\n").find((line) => line.trim() !== "") ?? "";
  let meta: unknown;
  try {
    meta = JSON.parse(firstLine).payload;
  } catch {
    meta = undefined;
  }
  const metaProblem = decodesAsMeta(meta);
  if (metaProblem !== null) problems.push(`session_meta: ${metaProblem}`);
  const materialized = materializationError(text);
  if (materialized !== null) problems.push(`materialization: ${materialized}`);
  // A user message with words of the user (not Codex's context blocks) or an image: Codex
  // would show its session in the picker, so rollout's file must let it.
  const headHasUser = text.split("\n").slice(0, 210).some((line) => {
    const decoded = decodeLine(line);
    if (decoded?.type !== "response_item") return false;
    const { type, role, content } = decoded.payload;
    if (type !== "message" || role !== "user" || !Array.isArray(content)) return false;
    return content.some((part) =>
      isObject(part) &&
      (part.type === "input_image" ||
        (part.type === "input_text" && typeof part.text === "string" &&
          part.text.trim() !== "" && !part.text.trimStart().startsWith("<")))
    );
  });
  const refusal = pickerRefusal(text);
  if (headHasUser && refusal !== null) problems.push(`picker: ${refusal}`);
  return problems;
}

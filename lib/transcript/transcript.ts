/**
 * `rollout show`: a SavedSession as a transcript for the terminal. Roles, tool calls with
 * their arguments, tool outputs with long ones folded; ANSI colour only when asked. Pure.
 */
import type { TimelineEntry } from "../formats/mod.ts";
import { isContextText, type RolloutFormat, type SavedSession } from "../schemas/mod.ts";
import { partOf } from "./transcript_parts.ts";
import { visible } from "./visible_text.ts";
import { parseJson } from "../base/mod.ts";

/** Options of {@linkcode renderTranscript}. */
export interface TranscriptOptions {
  colour: boolean;
  path: string;
  format: RolloutFormat;
  /**
   * Every item in file order with the places where the history changed (SPEC §6); without it
   * the session's items are shown.
   */
  timeline?: readonly TimelineEntry[];
  /** The user's instructions Codex kept in `turn_context` records. */
  turnInstructions?: { user?: string; developer?: string };
}

const AGENTS_MD = "# AGENTS.md instructions";

/** The words a history marker says. */
function markerText(entry: Exclude<TimelineEntry, { kind: "item" }>): string {
  switch (entry.kind) {
    case "compacted":
      return `history compacted: the ${entry.replaced} item(s) above are replaced by ${entry.kept}; a resumed session continues from here`;
    case "rolled_back":
      return `rolled back ${entry.turns} user turn(s): ${entry.removed} item(s) above left the history`;
    case "inherited":
      return `${entry.items} item(s) inherited from rollout ${entry.from} (not shown)`;
  }
}

/** Codex's stock system prompt, named rather than shown as the user's words. */
function baseInstructionsOf(meta: Record<string, unknown>): string | null {
  const base = meta.base_instructions;
  if (typeof base !== "object" || base === null) return null;
  const text = (base as { text?: unknown }).text;
  return typeof text === "string" ? text : null;
}

/** An output longer than this many lines is folded to its head and tail. */
export const FOLD_LINES = 20;
const KEEP_HEAD = 12;
const KEEP_TAIL = 4;
/** An output longer than this many characters is cut. */
export const FOLD_CHARS = 4000;

type Style = "bold" | "dim" | "green" | "cyan" | "yellow" | "red" | "magenta";
const CODES: Record<Style, string> = {
  bold: "1",
  dim: "2",
  green: "1;32",
  cyan: "1;36",
  yellow: "33",
  red: "1;31",
  magenta: "1;35",
};

/** Whether `show` should colour: stdout is a terminal and NO_COLOR is not set. */
export function wantsColour(
  stdoutIsTTY: boolean,
  env: Record<string, string | undefined>,
): boolean {
  return stdoutIsTTY && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}

/** One shown line is cut after this many characters. */
const LINE_CHARS = Math.floor(FOLD_CHARS / (KEEP_HEAD + KEEP_TAIL));

/**
 * Folds a long text to its first and its real last lines, with the marker between them
 * saying how much was left out; a very long line is cut (the marker after it says so).
 */
export function fold(text: string): { head: string[]; folded: string | null; tail: string[] } {
  const all = text.replace(/\n$/, "").split("\n");
  const many = all.length > FOLD_LINES;
  const shown = many ? [...all.slice(0, KEEP_HEAD), ...all.slice(-KEEP_TAIL)] : all;
  const limit = many ? LINE_CHARS : FOLD_CHARS;
  let cut = 0;
  let budget = FOLD_CHARS;
  const kept = shown.map((line) => {
    const keep = Math.max(0, Math.min(line.length, limit, budget));
    budget -= keep;
    cut += line.length - keep;
    return line.slice(0, keep);
  });
  const more = cut > 0 ? ` and ${cut} more characters` : "";
  if (many) {
    const hidden = all.length - KEEP_HEAD - KEEP_TAIL;
    return {
      head: kept.slice(0, KEEP_HEAD),
      folded: `… ${hidden} lines folded${more} (rollout export shows everything) …`,
      tail: kept.slice(KEEP_HEAD),
    };
  }
  return { head: kept, folded: cut > 0 ? `… ${cut} more characters folded …` : null, tail: [] };
}

/** JSON arguments on one line when they are short. */
function compact(part: { input: string; language: string }): string {
  if (part.language !== "json") return part.input;
  const line = JSON.stringify(parseJson(part.input));
  return line.length <= 100 ? line : part.input;
}

function roleStyle(role: string): Style {
  switch (role) {
    case "user":
      return "green";
    case "assistant":
      return "cyan";
    default:
      return "magenta";
  }
}

/** Renders the whole transcript, ending in a newline. */
export function renderTranscript(saved: SavedSession, options: TranscriptOptions): string {
  // Stored text is made visible before our own colour codes are added around it.
  const paint = (style: Style, text: string) =>
    options.colour ? `\x1b[${CODES[style]}m${visible(text)}\x1b[0m` : visible(text);
  const indent = (text: string) =>
    visible(text).split("\n").map((l) => `  ${l}`.trimEnd()).join("\n");
  const meta = saved.session;
  const out: string[] = [paint("bold", `Session ${meta.id}`)];
  const field = (name: string, value: string | undefined) => {
    if (value !== undefined) {
      out.push(`${paint("dim", `  ${name.padEnd(12)}`)}${visible(value, { oneLine: true })}`);
    }
  };
  field("file", `${options.path} (${options.format})`);
  field("created", meta.timestamp);
  field("cwd", meta.cwd);
  field("model", meta.model);
  field("forked from", meta.forked_from_id);
  if (meta.instructions !== undefined) {
    out.push("", paint("dim", "instructions"), indent(meta.instructions));
  }
  const base = baseInstructionsOf(meta);
  if (base !== null) {
    const size = new TextEncoder().encode(base).length.toLocaleString("en-US");
    field("base prompt", `Codex's stock system prompt, ${size} bytes (rollout load shows it)`);
  }
  const turn = options.turnInstructions ?? {};
  if (turn.user !== undefined) {
    out.push("", paint("dim", "user instructions"), indent(turn.user));
  }
  if (turn.developer !== undefined) {
    out.push("", paint("dim", "developer instructions"), indent(turn.developer));
  }
  const entries: readonly TimelineEntry[] = options.timeline ??
    saved.items.map((item) => ({ kind: "item" as const, item }));
  if (!entries.some((e) => e.kind === "item")) out.push("", paint("dim", "(no items)"));
  for (const entry of entries) {
    out.push("");
    if (entry.kind !== "item") {
      out.push(paint("magenta", `── ${markerText(entry)} ──`));
      continue;
    }
    const part = partOf(entry.item);
    switch (part.kind) {
      case "message": {
        // Context Codex injects is labelled as such, never as the user's words.
        const label = part.role !== "user"
          ? part.role
          : part.text.trimStart().startsWith(AGENTS_MD)
          ? "user instructions (AGENTS.md)"
          : isContextText(part.text)
          ? "context"
          : "user";
        const style = label === "user" || part.role !== "user" ? roleStyle(part.role) : "dim";
        out.push(paint(style, label), indent(part.text));
        break;
      }
      case "call": {
        const id = part.callId === null ? "" : ` [${part.callId}]`;
        out.push(paint("yellow", `tool call ${part.tool}${id}`), indent(compact(part)));
        break;
      }
      case "output": {
        const id = part.callId === null ? "" : ` [${part.callId}]`;
        const title = `tool output${id}${part.failed ? " (failed)" : ""}`;
        const folded = fold(part.text);
        out.push(paint(part.failed ? "red" : "yellow", title), indent(folded.head.join("\n")));
        if (folded.folded !== null) out.push(paint("dim", `  ${folded.folded}`));
        if (folded.tail.length > 0) out.push(indent(folded.tail.join("\n")));
        break;
      }
      case "other":
        out.push(paint("dim", part.type), indent(fold(part.text).head.join("\n")));
        break;
    }
  }
  const previous = saved.state.previous_response_id;
  if (previous !== undefined) out.push("", paint("dim", `previous_response_id ${previous}`));
  return `${out.join("\n")}\n`;
}

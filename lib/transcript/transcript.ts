/**
 * `rollout show`: a SavedSession as a transcript for the terminal. Roles, tool calls with
 * their arguments, tool outputs with long ones folded; ANSI colour only when asked. Pure.
 */
import type { TimelineEntry } from "../formats/mod.ts";
import {
  isContextText,
  type ResponseItem,
  type RolloutFormat,
  type SavedSession,
} from "../schemas/mod.ts";
import { partOf } from "./transcript_parts.ts";
import { countLines, thousands, visible } from "../base/mod.ts";
import { mayHoldSecret, redactsLineByLine } from "../redaction/mod.ts";

/** Options of {@linkcode TranscriptWriter}. */
export interface TranscriptOptions {
  colour: boolean;
  path: string;
  format: RolloutFormat;
}

const AGENTS_MD = "# AGENTS.md instructions";

/** The words a history marker says. */
export function markerText(
  entry: Exclude<TimelineEntry, { kind: "item" | "instructions" }>,
): string {
  switch (entry.kind) {
    case "compacted":
      return `history compacted: the ${entry.replaced} item(s) above are replaced by ${entry.kept}; a resumed session continues from here`;
    case "rolled_back":
      return `rolled back ${entry.turns} user turn(s): ${entry.removed} item(s) above left the history`;
    case "inherited":
      return `${entry.items} item(s) inherited from rollout ${entry.from} (not shown)`;
  }
}

/**
 * Who speaks in a message: its role, but context Codex injects as a user message is labelled
 * as such (`context`, `user instructions (AGENTS.md)`), never as the user's words.
 */
export function messageLabel(part: { role: string; text: string }): string {
  if (part.role !== "user") return part.role;
  if (part.text.trimStart().startsWith(AGENTS_MD)) return "user instructions (AGENTS.md)";
  return isContextText(part.text) ? "context" : "user";
}

/** How a transcript names the stock prompt: `Codex's stock system prompt, 14,312 bytes`. */
export function basePromptLabel(base: string): string {
  return `Codex's stock system prompt, ${thousands(new TextEncoder().encode(base).length)} bytes`;
}

/** Codex's stock system prompt, named rather than shown as the user's words. */
export function baseInstructionsOf(meta: Record<string, unknown>): string | null {
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

/** One shown line is cut after this many characters. */
const LINE_CHARS = Math.floor(FOLD_CHARS / (KEEP_HEAD + KEEP_TAIL));

/**
 * How many lines `body` has, and the ones a fold shows: all of them up to FOLD_LINES, else the
 * first KEEP_HEAD and the last KEEP_TAIL. Counted by `countLines` and found with `indexOf`, so
 * a tool output of 100,000 lines is not split into 100,000 strings to show 16 of them.
 */
function lineEnds(body: string, remember = false): { count: number; shown: string[] } {
  // `show` asks twice for each redacted output: the parts to search (which remembers), then
  // the fold (which takes it, so that no output outlives its entry: a text still held when the
  // young generation is collected moves to the old one).
  if (lastBody !== null && body === lastBody) {
    const ends = lastEnds!;
    lastBody = lastEnds = null;
    return ends;
  }
  const ends = countLineEnds(body);
  if (remember) [lastBody, lastEnds] = [body, ends];
  return ends;
}

let lastBody: string | null = null;
let lastEnds: { count: number; shown: string[] } | null = null;

function countLineEnds(body: string): { count: number; shown: string[] } {
  const count = countLines(body);
  if (count <= FOLD_LINES) return { count, shown: body.split("\n") };
  const shown: string[] = [];
  let from = 0;
  for (let i = 0; i < KEEP_HEAD; i++) {
    const end = body.indexOf("\n", from);
    shown.push(body.slice(from, end));
    from = end + 1;
  }
  const tail: string[] = [];
  let to = body.length;
  for (let i = 0; i < KEEP_TAIL; i++) {
    const start = body.lastIndexOf("\n", to - 1);
    tail.unshift(body.slice(start + 1, to));
    to = start;
  }
  return { count, shown: [...shown, ...tail] };
}

/**
 * `text` with the lines a fold leaves out made empty: {@linkcode fold} shows the same of it
 * (the same lines, the same count of lines hidden), and whatever reads the shown text next
 * (redaction) reads 16 lines, not 100,000. A text with no line to hide comes back as it is.
 */
export function hideFolded(text: string): string {
  const ends = text.endsWith("\n");
  const body = ends ? text.slice(0, -1) : text;
  const { count, shown } = lineEnds(body);
  if (count <= FOLD_LINES) return text;
  const head = shown.slice(0, KEEP_HEAD).join("\n");
  const tail = shown.slice(KEEP_HEAD).join("\n");
  // The hidden lines stay, empty: the text still has `count` lines.
  return `${head}${"\n".repeat(count - KEEP_HEAD - KEEP_TAIL + 1)}${tail}${ends ? "\n" : ""}`;
}

/**
 * The entry with what {@linkcode TranscriptWriter} will not show of it left out, where that
 * changes nothing shown once redacted: the lines a fold hides in a tool output are emptied
 * when redaction reads that output line by line. Redacting the result searches the 16 lines
 * shown of a 100,000-line output, not all of them, and replaces in them what redacting the
 * whole would have replaced.
 */
export function shownPart(entry: TimelineEntry): TimelineEntry {
  if (entry.kind !== "item") return entry;
  const item = entry.item;
  if (item.type !== "function_call_output" && item.type !== "custom_tool_call_output") {
    return entry;
  }
  const output = item.output;
  if (typeof output !== "string" || !redactsLineByLine(output)) return entry;
  const shown = hideFolded(output);
  if (shown === output || !redactsLineByLine(shown)) return entry;
  return { kind: "item", item: { ...item, output: shown } };
}

/**
 * Characters past what a line shows that are searched before its shown part is taken to hold
 * no secret: every rule's match starts from one of the prefilter's anchors, which ends at most
 * 13 characters after the secret it finds starts (a token's own prefix; a keyword, a URL's
 * `://` or `aws_secret` stand before it), so a line whose shown part and these characters hold
 * no anchor shows nothing that redaction replaces. (tests/transcript/shown_redaction_test.ts
 * checks the reach on every sample secret.)
 */
export const SHOWN_REACH = 64;

/**
 * What {@linkcode fold} shows of each line of `text`, each with the SHOWN_REACH characters
 * after it, one per line: the part of a tool output that redaction can change on screen.
 */
function shownWindows(text: string): string {
  const { shown, keeps } = foldPlan(text, true);
  return shown.map((line, i) => line.slice(0, keeps[i]! + SHOWN_REACH)).join("\n");
}

/**
 * The lines a fold shows of `text` and how many characters of each it keeps: one line cut at
 * FOLD_CHARS, or each of many at LINE_CHARS, all within FOLD_CHARS together. `remember` as in
 * lineEnds.
 */
function foldPlan(
  text: string,
  remember = false,
): { count: number; shown: string[]; keeps: number[] } {
  const { count, shown } = lineEnds(text.endsWith("\n") ? text.slice(0, -1) : text, remember);
  const limit = count > FOLD_LINES ? LINE_CHARS : FOLD_CHARS;
  let budget = FOLD_CHARS;
  const keeps = shown.map((line) => {
    const keep = Math.max(0, Math.min(line.length, limit, budget));
    budget -= keep;
    return keep;
  });
  return { count, shown, keeps };
}

/**
 * The entry as `show` prints it redacted by `redact`: a tool output's text is searched only
 * where the fold shows it. When those parts hold no anchor of a secret, the output is left as
 * stored (nothing shown changes) and only the rest of the item is redacted: a 64 KiB output
 * on one line costs a search of 4 KiB, not 64. Otherwise its hidden lines are emptied first
 * ({@linkcode shownPart}). Either way the screen shows what redacting the whole output would,
 * but for the count of characters a cut line leaves out (of the stored text here) and the
 * secrets counted (those in what is shown and searched, not beyond).
 */
export function redactShown(entry: TimelineEntry, redact: <T>(value: T) => T): TimelineEntry {
  if (entry.kind === "item") {
    const item = entry.item;
    const output = item.output;
    if (
      (item.type === "function_call_output" || item.type === "custom_tool_call_output") &&
      typeof output === "string" && redactsLineByLine(output) &&
      !mayHoldSecret(shownWindows(output))
    ) {
      const rest = redact({ ...item, output: "" });
      return { kind: "item", item: { ...rest, output } };
    }
  }
  return redact(shownPart(entry));
}

/**
 * Folds a long text to its first and its real last lines, with the marker between them
 * saying how much was left out; a very long line is cut (the marker after it says so).
 */
export function fold(text: string): { head: string[]; folded: string | null; tail: string[] } {
  const { count, shown, keeps } = foldPlan(text);
  const many = count > FOLD_LINES;
  let cut = 0;
  const kept = shown.map((line, i) => {
    cut += line.length - keeps[i]!;
    return line.slice(0, keeps[i]);
  });
  const more = cut > 0 ? ` and ${cut} more characters` : "";
  if (many) {
    const hidden = count - KEEP_HEAD - KEEP_TAIL;
    return {
      head: kept.slice(0, KEEP_HEAD),
      folded: `… ${hidden} lines folded${more} (rollout export shows everything) …`,
      tail: kept.slice(KEEP_HEAD),
    };
  }
  return { head: kept, folded: cut > 0 ? `… ${cut} more characters folded …` : null, tail: [] };
}

/**
 * JSON arguments on one line when they are short: the white space between tokens taken out,
 * each token as written (a number re-encoded would change: `1.10`, `1e999`, past 2^53).
 */
function compact(part: { input: string; language: string }): string {
  if (part.language !== "json") return part.input;
  const line = withoutSpaces(part.input);
  return line.length <= 100 ? line : part.input;
}

/** A JSON text without the white space outside its strings. */
export function withoutSpaces(json: string): string {
  let out = "";
  let from = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // "\": the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      out += json.slice(from, i);
      from = i + 1;
    }
  }
  return out + json.slice(from);
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

/**
 * The transcript piece by piece, for `show` to write as it reads (SPEC §7): the header once
 * the meta is known, each timeline entry, then the end. Each piece ends in a newline.
 */
export class TranscriptWriter {
  readonly #options: TranscriptOptions;
  #items = 0;

  constructor(options: TranscriptOptions) {
    this.#options = options;
  }

  // A label is one line: stored text in it (a role, a tool name, an id) is made visible, a
  // newline included, before our own colour codes are added around it.
  #paint(style: Style, text: string): string {
    const shown = visible(text, { oneLine: true });
    return this.#options.colour ? `\x1b[${CODES[style]}m${shown}\x1b[0m` : shown;
  }

  #indent(text: string): string {
    return visible(text).split("\n").map((l) => `  ${l}`.trimEnd()).join("\n");
  }

  /** The session's title lines: id, file, start, folder, model, instructions. */
  header(meta: SavedSession["session"]): string {
    const out: string[] = [this.#paint("bold", `Session ${meta.id}`)];
    const field = (name: string, value: string | undefined) => {
      if (value !== undefined) {
        out.push(
          `${this.#paint("dim", `  ${name.padEnd(12)}`)}${visible(value, { oneLine: true })}`,
        );
      }
    };
    field("file", `${this.#options.path} (${this.#options.format})`);
    field("created", meta.timestamp);
    field("cwd", meta.cwd);
    field("model", meta.model);
    field("forked from", meta.forked_from_id);
    if (meta.instructions !== undefined) {
      out.push("", this.#paint("dim", "instructions"), this.#indent(meta.instructions));
    }
    const base = baseInstructionsOf(meta);
    if (base !== null) {
      field("base prompt", `${basePromptLabel(base)} (rollout load shows it)`);
    }
    return `${out.join("\n")}\n`;
  }

  /** One item, history marker or change of instructions, after a blank line. */
  entry(entry: TimelineEntry): string {
    const out: string[] = [""];
    switch (entry.kind) {
      case "item":
        this.#items++;
        this.#item(entry.item, out);
        break;
      case "instructions":
        // The user's instructions as Codex kept them in `turn_context`, where they change.
        if (entry.user !== undefined) {
          out.push(this.#paint("dim", "user instructions"), this.#indent(entry.user));
        }
        if (entry.developer !== undefined) {
          if (entry.user !== undefined) out.push("");
          out.push(this.#paint("dim", "developer instructions"), this.#indent(entry.developer));
        }
        break;
      default:
        out.push(this.#paint("magenta", `── ${markerText(entry)} ──`));
    }
    return `${out.join("\n")}\n`;
  }

  #item(item: ResponseItem, out: string[]): void {
    const part = partOf(item);
    switch (part.kind) {
      case "message": {
        const label = messageLabel(part);
        const style = label === "user" || part.role !== "user" ? roleStyle(part.role) : "dim";
        out.push(this.#paint(style, label), this.#indent(part.text));
        break;
      }
      case "call": {
        const id = part.callId === null ? "" : ` [${part.callId}]`;
        out.push(this.#paint("yellow", `tool call ${part.tool}${id}`), this.#indent(compact(part)));
        break;
      }
      case "output": {
        const id = part.callId === null ? "" : ` [${part.callId}]`;
        const title = `tool output${id}${part.failed ? " (failed)" : ""}`;
        const folded = fold(part.text);
        out.push(
          this.#paint(part.failed ? "red" : "yellow", title),
          this.#indent(folded.head.join("\n")),
        );
        if (folded.folded !== null) out.push(this.#paint("dim", `  ${folded.folded}`));
        if (folded.tail.length > 0) out.push(this.#indent(folded.tail.join("\n")));
        break;
      }
      case "other":
        out.push(this.#paint("dim", part.type), this.#indent(fold(part.text).head.join("\n")));
        break;
    }
  }

  /** "(no items)" when none was shown, and the `previous_response_id`. */
  end(state: SavedSession["state"]): string {
    const out: string[] = [];
    if (this.#items === 0) out.push("", this.#paint("dim", "(no items)"));
    const previous = state.previous_response_id;
    if (previous !== undefined) {
      out.push("", this.#paint("dim", `previous_response_id ${previous}`));
    }
    return out.length === 0 ? "" : `${out.join("\n")}\n`;
  }
}

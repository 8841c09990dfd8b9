/**
 * The pieces both transcript views (terminal and Markdown) take from an item: who speaks,
 * what text, which tool with which arguments. Pure; one switch over the item types.
 */
import type { ResponseItem } from "../schemas/mod.ts";
import { isObject, nestingDepth, parseJson } from "../base/mod.ts";

/**
 * One item, reduced to what a reader needs; a message's and an output's `content` is the
 * stored content, for views that show its images.
 */
export type TranscriptPart =
  | { kind: "message"; role: string; text: string; content: unknown }
  | { kind: "call"; tool: string; callId: string | null; input: string; language: string }
  | { kind: "output"; callId: string | null; text: string; failed: boolean; content: unknown }
  | { kind: "other"; type: string; text: string };

/** One piece of message or output content: text, or an image by its URL. */
export type ContentPiece = { text: string } | { image: string };

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** Content parts as pieces: text as is, images by URL, other parts as `[type]`. */
export function contentPieces(content: unknown): ContentPiece[] {
  if (typeof content === "string") return [{ text: content }];
  if (!Array.isArray(content)) return [{ text: JSON.stringify(content) ?? "" }];
  return content.map((part) => {
    if (!isObject(part)) return { text: JSON.stringify(part) ?? "" };
    if (typeof part.text === "string") return { text: part.text };
    if (typeof part.image_url === "string") return { image: part.image_url };
    return { text: `[${String(part.type)}]` };
  });
}

/** An image as text: `[image: URL]`, a data URL shortened to its media type. */
export function imageLabel(url: string): string {
  return `[image: ${url.startsWith("data:") ? `${url.slice(0, url.indexOf(","))},…` : url}]`;
}

/** The text of content parts: text as is, images and other parts as `[type: detail]`. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  return contentPieces(content).map((piece) =>
    "text" in piece ? piece.text : imageLabel(piece.image)
  )
    .join("\n");
}

/** Pretty JSON for a string that holds JSON; the string itself otherwise. */
function prettyArguments(text: string): { input: string; language: string } {
  // Deeply nested, laid out it would grow as the square of its depth: shown as written.
  if (nestingDepth(text, PRETTY_DEPTH) > PRETTY_DEPTH) return { input: text, language: "" };
  try {
    parseJson(text);
  } catch {
    return { input: text, language: "" };
  }
  return { input: prettyJson(text), language: "json" };
}

/** Arguments nested deeper than this are shown as written, not laid out. */
const PRETTY_DEPTH = 64;

const SPACE = " \t\n\r";
const ENDS_LITERAL = ' \t\n\r,:{}[]"';

/**
 * A valid JSON text laid out as `JSON.stringify(value, null, 2)` lays it out, each token as
 * written: a number or a string re-encoded would change (`1.10`, `1e999`, a number past
 * 2^53, `"\u00e9"`), and what is shown must be what was stored.
 */
export function prettyJson(json: string): string {
  let out = "";
  let depth = 0;
  const newline = () => `\n${"  ".repeat(depth)}`;
  let i = 0;
  while (i < json.length) {
    const c = json[i]!;
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === "\\" ? 2 : 1;
      out += json.slice(i, j + 1);
      i = j + 1;
    } else if (SPACE.includes(c)) {
      i++;
    } else if (c === "{" || c === "[") {
      let k = i + 1;
      while (k < json.length && SPACE.includes(json[k]!)) k++;
      const close = c === "{" ? "}" : "]";
      if (json[k] === close) {
        out += c + close;
        i = k + 1;
      } else {
        depth++;
        out += c + newline();
        i++;
      }
    } else if (c === "}" || c === "]") {
      depth--;
      out += newline() + c;
      i++;
    } else if (c === ",") {
      out += `,${newline()}`;
      i++;
    } else if (c === ":") {
      out += ": ";
      i++;
    } else {
      let j = i;
      while (j < json.length && !ENDS_LITERAL.includes(json[j]!)) j++;
      out += json.slice(i, j);
      i = j;
    }
  }
  return out;
}

function shellWords(words: readonly unknown[]): string {
  return words.map((w) => {
    const s = String(w);
    return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
  }).join(" ");
}

/** Reduces an item to a {@linkcode TranscriptPart}. */
export function partOf(item: ResponseItem): TranscriptPart {
  const callId = str(item.call_id);
  switch (item.type) {
    case "message":
      return {
        kind: "message",
        role: str(item.role) ?? "unknown",
        text: contentText(item.content),
        content: item.content,
      };
    case "function_call":
      return {
        kind: "call",
        tool: str(item.name) ?? "?",
        callId,
        ...prettyArguments(str(item.arguments) ?? ""),
      };
    case "custom_tool_call":
      return {
        kind: "call",
        tool: str(item.name) ?? "?",
        callId,
        input: String(item.input),
        language: "",
      };
    case "local_shell_call": {
      const action = isObject(item.action) ? item.action : {};
      const command = Array.isArray(action.command) ? shellWords(action.command) : "";
      return { kind: "call", tool: "shell", callId, input: command, language: "sh" };
    }
    case "function_call_output":
    case "custom_tool_call_output": {
      const output = item.output;
      if (isObject(output) && !Array.isArray(output)) {
        return {
          kind: "output",
          callId,
          text: contentText(output.content),
          failed: output.success === false,
          content: output.content,
        };
      }
      return { kind: "output", callId, text: contentText(output), failed: false, content: output };
    }
    case "web_search_call": {
      const action = isObject(item.action) ? item.action : {};
      return { kind: "other", type: "web search", text: str(action.query) ?? "" };
    }
    case "reasoning": {
      const summary = Array.isArray(item.summary) ? contentText(item.summary) : "";
      return { kind: "other", type: "reasoning", text: summary };
    }
    default: {
      const { type: _type, ...rest } = item;
      return { kind: "other", type: item.type, text: JSON.stringify(rest) };
    }
  }
}

/**
 * Stored text made safe to paste as Markdown: code blocks and spans whose fences no content
 * can close, message text whose own fences and HTML blocks end inside the message, control
 * characters made visible. Pure.
 */
import { visible } from "../base/mod.ts";

/** The longest run of `char` in `text`. */
function longestRun(text: string, char: "`" | "~"): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = text[i] === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** A fenced code block that survives any content: its fence is longer than any backtick run. */
export function codeBlock(text: string, language = ""): string {
  const fence = "`".repeat(Math.max(3, longestRun(text, "`") + 1));
  return `${fence}${language}\n${visible(text).replace(/\n$/, "")}\n${fence}`;
}

/** A code span on one line that survives any content (CommonMark 6.1). */
export function codeSpan(text: string): string {
  const shown = visible(text, { oneLine: true });
  const tick = "`".repeat(longestRun(shown, "`") + 1);
  return tick.length === 1 && shown !== "" && !/^ | $/.test(shown)
    ? `${tick}${shown}${tick}`
    : `${tick} ${shown} ${tick}`;
}

/**
 * Text on one line, after a heading's `### ` or a list item's `- `, shown as written: the
 * characters that could start emphasis, a link, a code span, an entity, inline HTML or a
 * heading's closing sequence are escaped.
 */
export function plainText(text: string): string {
  return visible(text, { oneLine: true }).replace(/[\\`*_[\]<>!&~#|]/g, "\\$&");
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
// A line that may start an HTML block (CommonMark 4.6), which can hide or swallow what follows.
const HTML_START = /^( {0,3})<(?=[A-Za-z/!?])/;
// A line of an indented code block when it follows a blank line (it cannot interrupt a paragraph).
const INDENTED = /^( {4}| {0,3}\t)/;

/** The index of the next run of exactly `length` backticks in `line` from `from`, or -1. */
function closingRun(line: string, from: number, length: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] !== "`") continue;
    let end = i;
    while (line[end] === "`") end++;
    if (end - i === length) return i;
    i = end;
  }
  return -1;
}

/**
 * `line` with the `<` that would start inline HTML (CommonMark 6.6: a tag, a closing tag, a
 * comment, a declaration, a processing instruction) shown as text, outside code spans and
 * backslash escapes. A code span is taken only when it closes on the same line: one that
 * spans lines gets its `<` escaped too, which shows `&lt;` in it but lets no markup through.
 */
function inlineHtmlShown(line: string): string {
  let out = "";
  let at = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === "\\") {
      i++;
    } else if (ch === "`") {
      let end = i;
      while (line[end] === "`") end++;
      const close = closingRun(line, end, end - i);
      i = close < 0 ? end - 1 : close + (end - i) - 1;
    } else if (ch === "<" && /[A-Za-z/!?]/.test(line[i + 1] ?? "")) {
      out += line.slice(at, i) + "&lt;";
      at = i + 1;
    }
  }
  return out + line.slice(at);
}

/**
 * A message's Markdown, kept as Markdown but contained: a code fence it leaves open is closed
 * at its end, at its own indent (the rest of the transcript is not swallowed into it), a `<` that would start an
 * HTML block or inline HTML outside code shows as text (no markup of a message reaches a
 * viewer that renders HTML), and control characters are made visible.
 */
export function containedMarkdown(text: string): string {
  const lines = visible(text).split("\n");
  let open: { char: string; length: number; indent: string } | null = null;
  let code = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    const blankBefore = i === 0 || lines[i - 1]!.trim() === "";
    if (open !== null) {
      const closes = fence !== null && fence[1]![0] === open.char &&
        fence[1]!.length >= open.length && fence[2]!.trim() === "";
      if (closes) open = null;
    } else if (fence !== null && !(fence[1]![0] === "`" && fence[2]!.includes("`"))) {
      open = { char: fence[1]![0]!, length: fence[1]!.length, indent: /^ */.exec(line)![0] };
      code = false;
    } else if (line.trim() !== "" && INDENTED.test(line) && (code || blankBefore)) {
      code = true;
    } else {
      if (line.trim() !== "") code = false;
      lines[i] = inlineHtmlShown(line.replace(HTML_START, "$1&lt;"));
    }
  }
  // Closed at the opening fence's indent: in a list item (`1. Install:` then `   ```bash`) a
  // fence at column 0 would end the item and open a block of its own, swallowing the rest.
  if (open !== null) lines.push(open.indent + open.char.repeat(open.length));
  return lines.join("\n");
}

/**
 * `rollout export --to html`: a session as one self-contained page, written piece by piece as
 * the file is read. Every stored text goes through html_text.ts (escaped, controls visible)
 * and never into a script, a style, an id or an event attribute; the page loads nothing.
 */
import type { TimelineEntry } from "../formats/mod.ts";
import type { ResponseItem, RolloutFormat, SavedSession } from "../schemas/mod.ts";
import { thousands } from "../base/mod.ts";
import { contentBlocks, MESSAGE_FOLD, OUTPUT_FOLD, textBlock } from "./html_blocks.ts";
import { htmlAttribute, htmlText } from "./html_text.ts";
import { PAGE_SCRIPT, PAGE_STYLE, pageCsp } from "./html_page.ts";
import { partOf } from "./transcript_parts.ts";
import { baseInstructionsOf, basePromptLabel, markerText, messageLabel } from "./transcript.ts";

/** Token counts of some model responses; `input` includes cached, `output` reasoning. */
export interface TokenTotals {
  responses: number;
  input: number;
  cached_input: number;
  output: number;
  reasoning_output: number;
  total: number;
}

/** A session's token usage: in all, and by model (null: not known). */
export interface UsageSummary {
  total: TokenTotals;
  models: Array<{ model: string | null } & TokenTotals>;
}

/** Options of {@linkcode HtmlTranscriptWriter}. */
export interface HtmlTranscriptOptions {
  path: string;
  format: RolloutFormat;
  /** The exporting program's version, named at the page's foot. */
  version: string;
}

/** What the page's foot says, known once the whole file is read. */
export interface HtmlEnd {
  state: SavedSession["state"];
  /** Null: the session holds no usage records. */
  usage: UsageSummary | null;
  /** Damage met while reading, one line each (describeDamage). */
  damage: readonly string[];
}

/** A chunk of the conversation (rendered lazily) holds at most this many entries or bytes. */
const CHUNK_ENTRIES = 24;
const CHUNK_CHARS = 256 * 1024;

const ROLE_CLASS: Record<string, string> = { user: "u", assistant: "a" };

function metaString(meta: Record<string, unknown>, key: string): string | undefined {
  const value = meta[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function totalsRow(name: string, t: TokenTotals): string {
  const cells = [t.responses, t.input, t.cached_input, t.output, t.reasoning_output, t.total];
  return `<tr><td>${name}</td>${cells.map((c) => `<td>${thousands(c)}</td>`).join("")}</tr>`;
}

/**
 * The page piece by piece, for `export` to write as it reads (SPEC §7): the head and the
 * session's details once the meta is known, each timeline entry, then the foot. The
 * conversation is cut in chunks that the browser renders only near the screen, so a page of
 * 100 MB shows its first screen at once and the rest as it is parsed.
 */
export class HtmlTranscriptWriter {
  readonly #options: HtmlTranscriptOptions;
  #items = 0;
  #chunkEntries = 0;
  #chunkChars = 0;

  constructor(options: HtmlTranscriptOptions) {
    this.#options = options;
  }

  /** The page's head, the session's details, the search bar and the script. */
  header(meta: SavedSession["session"]): string {
    const id = htmlText(meta.id, { oneLine: true });
    const rows: string[] = [];
    const field = (name: string, value: string | undefined) => {
      if (value !== undefined) {
        rows.push(`<dt>${name}</dt><dd>${htmlText(value, { oneLine: true })}</dd>`);
      }
    };
    field("file", `${this.#options.path} (${this.#options.format})`);
    field("created", meta.timestamp);
    field("cwd", meta.cwd);
    field("model", meta.model);
    field("originator", meta.originator);
    field("CLI version", meta.cli_version);
    field("forked from", meta.forked_from_id);
    const git = meta.git;
    if (typeof git === "object" && git !== null) {
      const g = git as Record<string, unknown>;
      field("git branch", metaString(g, "branch"));
      field("git commit", metaString(g, "commit_hash"));
      field("repository", metaString(g, "repository_url"));
    }
    const blocks: string[] = [];
    if (meta.instructions !== undefined) {
      blocks.push(
        `<div class="e s"><div class="h"><b>instructions</b></div>${
          textBlock(meta.instructions, OUTPUT_FOLD, false)
        }</div>`,
      );
    }
    const base = baseInstructionsOf(meta);
    if (base !== null) {
      blocks.push(
        `<details class="e x"><summary>base instructions: ${
          htmlText(basePromptLabel(base))
        }</summary><div class="t">${htmlText(base)}</div></details>`,
      );
    }
    return [
      `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">`,
      `<meta http-equiv="Content-Security-Policy" content="${pageCsp()}">`,
      `<meta name="viewport" content="width=device-width, initial-scale=1">`,
      `<meta name="color-scheme" content="light dark">`,
      `<meta name="referrer" content="no-referrer">`,
      `<meta name="generator" content="rollout ${htmlAttribute(this.#options.version)}">`,
      `<title>Session ${id}</title>`,
      `<style>${PAGE_STYLE}</style>`,
      `</head>\n<body>\n<header>`,
      `<h1>Session <code>${id}</code></h1>`,
      `<dl>${rows.join("")}</dl>`,
      `<div id="usage-slot"></div>`,
      ...blocks,
      `</header>`,
      `<div class="bar"><div><input id="q" type="search" placeholder="Search the transcript" ` +
      `aria-label="Search the transcript" autocomplete="off" spellcheck="false">` +
      `<button id="prev" type="button" aria-label="Previous match">\u2191</button>` +
      `<button id="next" type="button" aria-label="Next match">\u2193</button>` +
      `<span id="n" aria-live="polite"></span></div></div>`,
      `<script>${PAGE_SCRIPT}</script>`,
      `<main id="conv">\n<section class="c">\n`,
    ].join("\n");
  }

  /** One item, history marker or change of instructions. */
  entry(entry: TimelineEntry): string {
    let html: string;
    switch (entry.kind) {
      case "item":
        html = this.#item(entry.item);
        break;
      case "instructions": {
        html = "";
        if (entry.user !== undefined) {
          html += `<div class="e s x"><div class="h"><b>user instructions</b></div>${
            textBlock(entry.user, OUTPUT_FOLD, false)
          }</div>\n`;
        }
        if (entry.developer !== undefined) {
          html += `<div class="e s x"><div class="h"><b>developer instructions</b></div>${
            textBlock(entry.developer, OUTPUT_FOLD, false)
          }</div>\n`;
        }
        break;
      }
      default:
        html = `<div class="mk">\u2500\u2500 ${
          htmlText(markerText(entry), { oneLine: true })
        } \u2500\u2500</div>\n`;
    }
    let out = "";
    if (this.#chunkEntries >= CHUNK_ENTRIES || this.#chunkChars >= CHUNK_CHARS) {
      out = `</section>\n<section class="c">\n`;
      this.#chunkEntries = 0;
      this.#chunkChars = 0;
    }
    this.#chunkEntries++;
    this.#chunkChars += html.length;
    return out + html;
  }

  #item(item: ResponseItem): string {
    const n = ++this.#items;
    const part = partOf(item);
    const number = `<a class="n" href="#i${n}">#${n}</a>`;
    switch (part.kind) {
      case "message": {
        const label = messageLabel(part);
        const cls = label === part.role ? ROLE_CLASS[part.role] ?? "s" : "s x";
        return `<article class="e ${cls}" id="i${n}"><div class="h"><b>${
          htmlText(label, { oneLine: true })
        }</b> ${number}</div>${contentBlocks(part.content, MESSAGE_FOLD, false)}</article>\n`;
      }
      case "call": {
        const id = part.callId === null
          ? ""
          : ` <code>${htmlText(part.callId, { oneLine: true })}</code>`;
        return `<article class="e call" id="i${n}"><div class="h"><b>tool call</b> <code>${
          htmlText(part.tool, { oneLine: true })
        }</code>${id} ${number}</div>${textBlock(part.input, OUTPUT_FOLD, true)}</article>\n`;
      }
      case "output": {
        const id = part.callId === null
          ? ""
          : ` <code>${htmlText(part.callId, { oneLine: true })}</code>`;
        const failed = part.failed ? " (failed)" : "";
        return `<article class="e out${
          part.failed ? " fail" : ""
        }" id="i${n}"><div class="h"><b>tool output${failed}</b>${id} ${number}</div>${
          contentBlocks(part.content, OUTPUT_FOLD, true)
        }</article>\n`;
      }
      case "other":
        return `<article class="e s x" id="i${n}"><div class="h"><b>${
          htmlText(part.type, { oneLine: true })
        }</b> ${number}</div>${textBlock(part.text, OUTPUT_FOLD, false)}</article>\n`;
    }
  }

  /** The end of the conversation and the page's foot: usage, state, damage. */
  end(end: HtmlEnd): string {
    const out: string[] = [];
    if (this.#items === 0) out.push(`<p class="mk">(no items)</p>`);
    out.push(`</section>\n</main>\n<footer>`);
    out.push(`<section id="usage"><h2>Usage</h2>`);
    if (end.usage === null) out.push(`<p>No token counts are recorded in this session.</p>`);
    else {
      out.push(
        `<table><thead><tr><th>model</th><th>responses</th><th>input</th><th>cached input</th>` +
          `<th>output</th><th>reasoning</th><th>total</th></tr></thead><tbody>`,
      );
      for (const m of end.usage.models) {
        out.push(
          totalsRow(m.model === null ? "(unknown)" : htmlText(m.model, { oneLine: true }), m),
        );
      }
      if (end.usage.models.length > 1) out.push(totalsRow("all", end.usage.total));
      out.push(`</tbody></table>`);
    }
    out.push(`</section>`);
    const previous = end.state.previous_response_id;
    if (previous !== undefined) {
      out.push(`<p>previous_response_id <code>${htmlText(previous, { oneLine: true })}</code></p>`);
    }
    if (end.damage.length > 0) {
      out.push(`<h2>Damage met while reading</h2><ul>`);
      for (const line of end.damage) out.push(`<li>${htmlText(line, { oneLine: true })}</li>`);
      out.push(`</ul>`);
    }
    out.push(
      `<p>Exported by rollout ${htmlText(this.#options.version)}: one file, no network.</p>`,
      `</footer>\n</body>\n</html>\n`,
    );
    return out.join("\n");
  }
}

/**
 * `rollout export --to md`: a SavedSession as Markdown a person pastes into an issue. Code
 * blocks use a fence longer than any backtick run inside them and message text is contained
 * (markdown_text.ts), so content cannot break out; control characters are made visible.
 */
import type { ResponseItem, SavedSession } from "../schemas/mod.ts";
import { codeBlock, codeSpan as inline, containedMarkdown, plainText } from "./markdown_text.ts";
import { partOf } from "./transcript_parts.ts";

function title(role: string): string {
  return role === "" ? "Unknown" : plainText(`${role[0]!.toUpperCase()}${role.slice(1)}`);
}

/** Renders the session as Markdown, ending in a newline. */
export function renderMarkdown(saved: SavedSession): string {
  const writer = new MarkdownWriter();
  let out = writer.header(saved.session, saved.items.length, saved.state);
  for (const item of saved.items) out += writer.item(item);
  return out + writer.end();
}

/**
 * The Markdown piece by piece, for `export` to write as it reads (SPEC §7): the header (which
 * names the item count, known from a first read), each item, then the end. Each piece ends in
 * a newline.
 */
export class MarkdownWriter {
  #items = 0;

  header(meta: SavedSession["session"], items: number, state: SavedSession["state"]): string {
    const out: string[] = [`# Session ${inline(meta.id)}`, ""];
    out.push(`- Created: ${plainText(meta.timestamp)}`);
    if (meta.cwd !== undefined) out.push(`- Working folder: ${inline(meta.cwd)}`);
    if (meta.model !== undefined) out.push(`- Model: ${inline(meta.model)}`);
    if (meta.forked_from_id !== undefined) {
      out.push(`- Forked from: ${inline(meta.forked_from_id)}`);
    }
    out.push(`- Items: ${items}`);
    if (state.previous_response_id !== undefined) {
      out.push(`- Previous response: ${inline(state.previous_response_id)}`);
    }
    if (meta.instructions !== undefined) {
      out.push("", "## Instructions", "", codeBlock(meta.instructions, "text"));
    }
    out.push("", "## Transcript");
    return `${out.join("\n")}\n`;
  }

  item(item: ResponseItem): string {
    this.#items++;
    const part = partOf(item);
    const out: string[] = [""];
    switch (part.kind) {
      case "message":
        out.push(
          `### ${title(part.role)}`,
          "",
          part.text.trim() === "" ? "_(empty)_" : containedMarkdown(part.text),
        );
        break;
      case "call": {
        const id = part.callId === null ? "" : ` (${inline(part.callId)})`;
        out.push(
          `### Tool call: ${inline(part.tool)}${id}`,
          "",
          codeBlock(part.input, part.language),
        );
        break;
      }
      case "output": {
        const id = part.callId === null ? "" : ` (${inline(part.callId)})`;
        const failed = part.failed ? ", failed" : "";
        out.push(`### Tool output${id}${failed}`, "", codeBlock(part.text, "text"));
        break;
      }
      case "other":
        out.push(`### ${title(part.type)}`, "", codeBlock(part.text, "text"));
        break;
    }
    return `${out.join("\n")}\n`;
  }

  end(): string {
    return this.#items === 0 ? "\n_(no items)_\n" : "";
  }
}

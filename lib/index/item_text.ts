/**
 * What the index keeps of an item (SPEC §8): the text a person would search for, and who
 * said it. Message text, tool calls with their arguments, tool outputs; never images or
 * encrypted reasoning.
 */
import { isObject } from "../base/mod.ts";
import type { ResponseItem } from "../schemas/mod.ts";

/** The roles `search --role` filters on, and the others an item may have. */
export type EntryRole = "user" | "assistant" | "tool" | "developer" | "system";

/** One searchable piece of an item. */
export interface ItemText {
  role: EntryRole;
  /** `message`, `call` (a tool call and its arguments) or `output` (what a tool returned). */
  kind: "message" | "call" | "output";
  text: string;
}

function partsText(parts: unknown): string {
  if (typeof parts === "string") return parts;
  if (!Array.isArray(parts)) return "";
  const texts: string[] = [];
  for (const part of parts) {
    if (isObject(part) && typeof part.text === "string") texts.push(part.text);
  }
  return texts.join("\n");
}

function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) return partsText(output);
  // Codex 2025: {content, success?}.
  if (isObject(output)) return partsText(output.content);
  return "";
}

function roleOf(role: unknown): EntryRole | null {
  switch (role) {
    case "user":
    case "assistant":
    case "developer":
    case "system":
      return role;
    default:
      return null;
  }
}

/** The searchable text of `item`, or null when it has none (reasoning, images, unknown types). */
export function itemText(item: ResponseItem): ItemText | null {
  const it = item as Record<string, unknown>;
  let found: ItemText | null = null;
  switch (it.type) {
    case "message": {
      const role = roleOf(it.role);
      if (role !== null) found = { role, kind: "message", text: partsText(it.content) };
      break;
    }
    case "function_call":
      found = {
        role: "tool",
        kind: "call",
        text: `${String(it.name ?? "")} ${typeof it.arguments === "string" ? it.arguments : ""}`,
      };
      break;
    case "custom_tool_call":
      found = {
        role: "tool",
        kind: "call",
        text: `${String(it.name ?? "")} ${typeof it.input === "string" ? it.input : ""}`,
      };
      break;
    case "local_shell_call": {
      const action = isObject(it.action) ? it.action : {};
      const command = Array.isArray(action.command) ? action.command.join(" ") : "";
      found = { role: "tool", kind: "call", text: `shell ${command}` };
      break;
    }
    case "web_search_call": {
      const action = isObject(it.action) ? it.action : {};
      const query = typeof action.query === "string" ? action.query : "";
      found = { role: "tool", kind: "call", text: `web_search ${query}` };
      break;
    }
    case "function_call_output":
    case "custom_tool_call_output":
      found = { role: "tool", kind: "output", text: outputText(it.output) };
      break;
  }
  if (found === null || found.text.trim() === "") return null;
  return found;
}

/**
 * How each rollout format is recognised from its first line (SPEC §2.3). Detection looks at
 * content only, never at the file name.
 */
import { isObject } from "../base/mod.ts";
import type { RolloutFormat } from "../schemas/mod.ts";

/**
 * The format a parsed first line announces, or null when it is none of them. A document
 * written on one line is recognised here too.
 */
export function formatOfFirstRecord(first: unknown): RolloutFormat | null {
  if (!isObject(first)) return null;
  if (first.type === "session_meta" && isObject(first.payload)) {
    return first.ordinal === undefined ? "codex_envelope" : "journal";
  }
  if (isObject(first.session) && Array.isArray(first.items)) {
    return first.state === undefined ? "codex_ts_document" : "document";
  }
  if (typeof first.id === "string" && typeof first.timestamp === "string" && !("type" in first)) {
    return "codex_jsonl_2025";
  }
  return null;
}

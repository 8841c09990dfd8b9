/**
 * The five readable rollout formats (SPEC §2.3) and how each is recognised from its first
 * line. Detection looks at content only, never at the file name.
 */
import { z } from "zod";
import { isObject } from "./is_object.ts";

/** A rollout format, as `validate --json` and the load report name it. */
export const RolloutFormat = z.enum([
  "journal",
  "codex_envelope",
  "document",
  "codex_ts_document",
  "codex_jsonl_2025",
]);
export type RolloutFormat = z.infer<typeof RolloutFormat>;

/** The two families: appended lines, or one document rewritten whole. */
export function isDocument(format: RolloutFormat): boolean {
  switch (format) {
    case "document":
    case "codex_ts_document":
      return true;
    case "journal":
    case "codex_envelope":
    case "codex_jsonl_2025":
      return false;
  }
}

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

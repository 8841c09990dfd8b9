/**
 * The session's metadata (SPEC §2.1): what `session_meta` lines and a document's `session`
 * hold. Unknown fields are kept; fields written as `null` mean absent.
 */
import { z } from "zod";

/** Session metadata as stored; other fields (Codex's `git`, `source`, ...) are kept. */
export const SessionMeta = z.looseObject({
  id: z.string().min(1),
  timestamp: z.string(),
  instructions: z.string().optional(),
  cwd: z.string().optional(),
  model: z.string().optional(),
  originator: z.string().optional(),
  cli_version: z.string().optional(),
  forked_from_id: z.string().optional(),
});
export type SessionMeta = z.infer<typeof SessionMeta>;

/** The mutable state needed to continue a conversation. */
export const SessionState = z.looseObject({
  previous_response_id: z.string().optional(),
});
export type SessionState = z.infer<typeof SessionState>;

/** A copy of `value` without its top-level `null` fields (SPEC §2.3: null means absent). */
export function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== null) out[key] = field;
  }
  return out;
}

/**
 * Reads Codex's meta shapes: drops nulls and maps `base_instructions.text` to
 * `instructions` when `instructions` is absent.
 */
export function normalizeMeta(raw: Record<string, unknown>): Record<string, unknown> {
  const meta = withoutNulls(raw);
  const base = meta.base_instructions;
  if (
    meta.instructions === undefined && typeof base === "object" && base !== null &&
    typeof (base as { text?: unknown }).text === "string"
  ) {
    meta.instructions = (base as { text: string }).text;
  }
  return meta;
}

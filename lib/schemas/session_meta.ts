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
  // fromEntries defines own properties, so a stored "__proto__" key stays a plain field.
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null));
}

/**
 * Reads Codex's meta shapes: drops nulls. Codex's `base_instructions` (its stock system
 * prompt) stays where it is and never becomes `instructions` (SPEC §6).
 */
export function normalizeMeta(raw: Record<string, unknown>): Record<string, unknown> {
  return withoutNulls(raw);
}

/** A schema check that returns the checked object itself, so every stored field is kept. */
export type Checked<T> = { success: true; data: T } | { success: false; error: z.ZodError };

/**
 * Checks a stored meta after {@linkcode normalizeMeta}. On success `data` is that normalized
 * object itself, not the schema's copy, so no stored field (not even `__proto__`) is lost.
 */
export function checkMeta(raw: Record<string, unknown>): Checked<SessionMeta> {
  const meta = normalizeMeta(raw);
  const parsed = SessionMeta.safeParse(meta);
  return parsed.success ? { success: true, data: meta as SessionMeta } : parsed;
}

/** Checks a stored state (nulls dropped); on success `data` is that object itself. */
export function checkState(raw: Record<string, unknown>): Checked<SessionState> {
  const state = withoutNulls(raw);
  const parsed = SessionState.safeParse(state);
  return parsed.success ? { success: true, data: state as SessionState } : parsed;
}

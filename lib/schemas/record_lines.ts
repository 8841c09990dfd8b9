/**
 * The line shapes of the JSONL formats (SPEC §2.1, §2.3): the enveloped line of our journal
 * and of Codex since late 2025, and the bare lines of Codex's 2025 JSONL.
 */
import { z } from "zod";

/**
 * `{timestamp, ordinal?, type, payload}`: our journal and Codex's enveloped rollouts. An
 * `ordinal` of null counts as absent, as in Codex (codex-rs/rollout/src/lib.rs:35-57).
 */
export const EnvelopeLine = z.looseObject({
  timestamp: z.string().optional(),
  ordinal: z.number().int().nonnegative().nullish(),
  type: z.string(),
  payload: z.unknown(),
});
export type EnvelopeLine = z.infer<typeof EnvelopeLine>;

/** Codex 2025 JSONL: a state line. */
export const LegacyStateLine = z.looseObject({
  record_type: z.literal("state"),
  previous_response_id: z.string().nullish(),
});

/** Codex 2025 JSONL: the bare meta object of the first line. */
export const LegacyMetaLine = z.looseObject({
  id: z.string().min(1),
  timestamp: z.string(),
  instructions: z.string().nullish(),
});

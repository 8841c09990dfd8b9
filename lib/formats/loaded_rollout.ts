/**
 * What reading a rollout gives: the session, the damage report and what a writer needs to
 * continue the file. Shared by the line reader and the document reader; types only.
 */
import type { DamageReport, RolloutFormat, SavedSession } from "../schemas/mod.ts";

/**
 * Everything the loader passed over, so nothing is skipped silently: the torn tail (what a
 * crash leaves; ignored), skipped lines, record types that are not ours (counted), warnings.
 * Its schema is the `skipped` field of the `session_loaded` event.
 */
export type LoadReport = DamageReport;

/** A loaded rollout, with what a writer needs to continue it in its own format. */
export interface LoadedRollout {
  path: string;
  format: RolloutFormat;
  saved: SavedSession;
  report: LoadReport;
  /** The meta exactly as stored (rewritten as is by the document writer). */
  rawMeta: Record<string, unknown>;
  /** Document formats: every stored item, also the ones that failed their schema. */
  rawItems: unknown[];
  /** Line formats: bytes up to the end of the last complete line. */
  end: number;
  /** Journal: the ordinal of the next line. */
  nextOrdinal: number;
}

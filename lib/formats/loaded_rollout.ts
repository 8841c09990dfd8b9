/**
 * What reading a rollout gives: the session, the damage report and what a writer needs to
 * continue the file. Shared by the line reader and the document reader; types only.
 */
import type { DamageReport, ResponseItem, RolloutFormat, SavedSession } from "../schemas/mod.ts";
import type { HistoryRef } from "./effective_history.ts";
import type { SourceRecord, TimelineEntry } from "./line_loader.ts";

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
  /** How many items the effective history holds (also when it was only counted). */
  itemCount: number;
  report: LoadReport;
  /** The meta exactly as stored (rewritten as is by the document writer). */
  rawMeta: Record<string, unknown>;
  /** Document formats: every stored item, also the ones that failed their schema. */
  rawItems: unknown[];
  /** Line formats: bytes up to the end of the last complete line. */
  end: number;
  /** Paginated line files: the ordinal of the next Codex record (SPEC §6). */
  nextOrdinal: number;
  /** Line files: Codex's history mode (`paginated`: records carry ordinals); null for documents. */
  historyMode: "legacy" | "paginated" | null;
  /**
   * The read stopped early (`until`): counts, history and report cover the lines before `end`
   * only, and `end` is the end of the last whole line read, not of the file.
   */
  partial?: true;
  /** Whether the file is zstd-compressed (Codex's `.jsonl.zst`): read only, never appended to. */
  compressed: boolean;
  /** Every readable record of a line file, counted by type (documents: their items). */
  recordTypes: Record<string, number>;
  /** With `all`: every response item of the file, in order. */
  allItems?: ResponseItem[];
  /** With `records` and a `history_base`: the inherited history's records, no meta. */
  inheritedRecords?: SourceRecord[];
  /** With `records`: every readable record as stored. */
  records?: SourceRecord[];
  /** Line files: the user's instructions found in `turn_context` records (SPEC §6). */
  turnInstructions?: { user?: string; developer?: string };
  /** With `history: "refs"`: where each item of the effective history is stored. */
  historyRefs?: HistoryRef[];
  /**
   * With `history: "refs"`, line files: where lines start, one pair `[line, byte]` per MiB read
   * (the first line not yet whole then). {@linkcode replayHistory} reads on from the last one
   * before a line it wants, not the whole file again: a compacted session's history is in its
   * last part.
   */
  lineStarts?: Array<[line: number, offset: number]>;
  /** With `timeline`: items and history markers in file order. */
  timeline?: TimelineEntry[];
}

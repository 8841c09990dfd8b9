/**
 * The sessions of a home: finding, listing, resolving SESSION arguments, titles, validating
 * and repairing files, grouping a session's files and pruning them.
 */
export {
  lockedNames,
  type PruneOptions,
  type PruneOutcome,
  pruneSession,
} from "./prune_session.ts";
export { type RedactOptions, type RedactResult, redactRollout } from "./redact_rollout.ts";
export { repairRollout } from "./repair_rollout.ts";
export { lastSession, resolveSession, sessionIdOf } from "./resolve_session.ts";
export {
  assertHome,
  besideItsPlain,
  findSessionFiles,
  isLink,
  isRolloutName,
  nameStamp,
  newestFirst,
  realPathOf,
  sessionIdsBeside,
  type Skipped,
  type SkippedFolder,
  stampOf,
  statSession,
} from "./session_files.ts";
export { type GroupFile, type SessionGroup, sessionGroups } from "./session_groups.ts";
export { readSessionHead, shorten, userText } from "./session_head.ts";
export { appendThreadName, removeThreadNames } from "./thread_name_writer.ts";
export {
  checkTitle,
  endsAt,
  type IndexPosition,
  MAX_TITLE_CHARS,
  readThreadNames,
  SessionIndexEntry,
  sessionIndexPath,
  TAIL_BYTES,
  tailBefore,
  type ThreadName,
  threadNames,
  type ThreadNamesRead,
} from "./thread_names.ts";
export {
  type CollectedFile,
  collectFiles,
  validateFile,
  type ValidationResult,
} from "./validate_rollouts.ts";

/**
 * The zod schemas of every wire and disk shape (items, metas, the op stream, record lines,
 * format names) and the checks built on them. Pure.
 */
export {
  describe,
  errnoOf,
  ErrorCode,
  ioError,
  isSystemError,
  plainError,
  RolloutError,
} from "./errors.ts";
export {
  isContextText,
  isTurnContext,
  isUserTurn,
  messageEvent,
  textParts,
} from "./codex_events.ts";
export { formatIssue } from "./issue_path.ts";
export { checkItem, isPersisted, type ItemCheck, ItemSchemas, ResponseItem } from "./items.ts";
export {
  itemPlace,
  type ItemsPlace,
  payloadValue,
  type PreparedItems,
  prepareItems,
  type Scrub,
} from "./prepare_items.ts";
export {
  type DamageReport,
  Event,
  EventMsg,
  HistoryEntry,
  type Op,
  OpSchemas,
  type ParsedSubmission,
  parseSubmission,
  Submission,
} from "./protocol.ts";
export { EnvelopeLine, LegacyMetaLine, LegacyStateLine } from "./record_lines.ts";
export { isDocument, RolloutFormat } from "./rollout_format.ts";
export { SavedSession, SessionDocument } from "./saved_session.ts";
export { guardOf } from "./schema_guard.ts";
export { checkMeta, checkState, normalizeMeta, SessionMeta, SessionState } from "./session_meta.ts";

/**
 * The session index (SPEC §8): a SQLite cache of every session of a home, for `search`,
 * `list`, `usage` and `du`; always rebuildable from the files.
 */
export {
  type FoundEntry,
  type ReadEnd,
  readRollout,
  type ReadSink,
  type ReadState,
  UnreadableRollout,
} from "./file_reader.ts";
export { itemText } from "./item_text.ts";
export { BadQuery } from "../base/mod.ts";
export {
  type ListedSession,
  listIndexed,
  search,
  type SearchHit,
  type SearchOptions,
  titleHit,
  type TitleMatch,
  type UnreadableCounts,
  type UnreadableFile,
  unreadableFiles,
  type UsageRows,
  usageRows,
} from "./queries.ts";
export {
  aggregateUsage,
  renderUsageTable,
  type SessionUsageTurn,
  UsageGroupBy,
  UsageReport,
} from "./usage_report.ts";
export { UsageTracker, UsageTurn } from "./usage_tracker.ts";
export {
  failedCall,
  indexPath,
  inodeOf,
  openIndex,
  type RefreshReport,
  SCHEMA_VERSION,
  SessionIndex,
  sortKey,
  tailOf,
  useIndex,
  whyUnreadable,
} from "./session_index.ts";

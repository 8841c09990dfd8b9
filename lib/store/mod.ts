/**
 * The crash-safe writer: the recorder, its sinks, atomic replace, archive and restore, the
 * writer lock, where files live and how new ones are named.
 */
export {
  ARCHIVE_WINDOW_LOG,
  type ArchiveOptions,
  type ArchiveOutcome,
  archiveRollout,
  compressedPathOf,
  DEFAULT_ARCHIVE_LEVEL,
  heldBy,
  MAX_ARCHIVE_WINDOW_LOG,
  plainPathOf,
  type RestoreOutcome,
  restoreRollout,
  type SkipReason,
} from "./archive.ts";
export {
  atomicReplace,
  atomicWrite,
  type Between,
  type Put,
  StreamedWrite,
} from "./atomic_replace.ts";
export { createStreamedRollout, type StreamedRolloutOptions } from "./new_copy.ts";
export { codexMetaOf, UUID } from "./new_rollout.ts";
export {
  historyPath,
  parseSessionFileName,
  resolveHome,
  sessionPath,
  sessionsDir,
} from "./paths.ts";
export {
  type CreateOptions,
  type ItemsRecorded,
  type RecorderOptions,
  RolloutRecorder,
} from "./recorder.ts";
export { uuidv7 } from "./uuid.ts";
export { WriterLock } from "./writer_lock.ts";

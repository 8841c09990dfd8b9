/**
 * The crash-safe writer: the recorder, its sinks, atomic replace, the writer lock, where
 * files live and how new ones are named.
 */
export { atomicReplace, atomicWrite, type Put } from "./atomic_replace.ts";
export { createStreamedRollout, type StreamedRolloutOptions } from "./new_copy.ts";
export { codexMetaOf } from "./new_rollout.ts";
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

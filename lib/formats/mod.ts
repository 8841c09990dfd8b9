/**
 * Reading and writing the rollout formats: detection, the line and document readers,
 * the encoders. Bytes in, sessions out (and back).
 */
export { BatchEncoder } from "./batch_encoder.ts";
export { formatOfFirstRecord } from "./detect_format.ts";
export {
  encodeRecordLines,
  HistoryPrefix,
  isMessageEvent,
  type PrefixTarget,
  RecordLineEncoder,
} from "./encode_records.ts";
export {
  documentHead,
  documentItemText,
  documentTail,
  encodeDocument,
  encodeJournal,
  statePayload,
} from "./encode.ts";
export { type HistoryRef } from "./effective_history.ts";
export { InvalidRollout } from "./read_document.ts";
export { replayHistory } from "./replay_history.ts";
export {
  DEFAULT_MAX_LINE_BYTES,
  describeDamage,
  type LoadedRollout,
  type LoadOptions,
  type LoadReport,
  loadRollout,
  type RolloutVisitor,
  type SkippedLine,
  type SourceRecord,
  streamRollout,
  TemporaryCopyFailed,
  type TimelineEntry,
} from "./load_rollout.ts";

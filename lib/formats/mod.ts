/**
 * Reading and writing the rollout formats: detection, the line and document readers,
 * the encoders. Bytes in, sessions out (and back).
 */
export { BatchEncoder } from "./batch_encoder.ts";
export { formatOfFirstRecord } from "./detect_format.ts";
export {
  documentHead,
  documentItemText,
  documentTail,
  encodeDocument,
  encodeJournal,
  statePayload,
} from "./encode.ts";
export {
  DEFAULT_MAX_LINE_BYTES,
  describeDamage,
  type LoadedRollout,
  type LoadReport,
  loadRollout,
  type SkippedLine,
} from "./load_rollout.ts";

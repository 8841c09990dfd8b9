/**
 * The library entry of `rollout`: the store (reader and serialized writer) and the schemas,
 * for Deno and Bun programs that embed it instead of running the binary.
 *
 * ```ts
 * import { RolloutRecorder } from "./lib/mod.ts";
 * const rec = await RolloutRecorder.create({ home: "/tmp/h", meta: { instructions: "Be terse." } });
 * await rec.recordItems([{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }]);
 * await rec.close();
 * ```
 */
export { VERSION } from "./base/mod.ts";
export { ErrorCode, RolloutError } from "./schemas/mod.ts";
export {
  checkItem,
  Event,
  EventMsg,
  isPersisted,
  ItemSchemas,
  OpSchemas,
  parseSubmission,
  ResponseItem,
  RolloutFormat,
  SavedSession,
  SessionMeta,
  SessionState,
  Submission,
} from "./schemas/mod.ts";
export {
  DEFAULT_MAX_LINE_BYTES,
  describeDamage,
  type LoadedRollout,
  type LoadReport,
  loadRollout,
  type SkippedLine,
} from "./formats/mod.ts";
export {
  type CreateOptions,
  historyPath,
  type ItemsRecorded,
  type RecorderOptions,
  resolveHome,
  RolloutRecorder,
  sessionPath,
  sessionsDir,
} from "./store/mod.ts";
export { initRuntime } from "./runtime/mod.ts";
export {
  type RedactionCounts,
  redactItem,
  redactJsonText,
  Redactor,
  redactText,
  redactValue,
} from "./redaction/mod.ts";
export {
  type ListedSession,
  listIndexed,
  openIndex,
  search,
  type SearchHit,
  type SearchOptions,
  SessionIndex,
  useIndex,
} from "./index/mod.ts";

/**
 * The library entry of `rollout`: the store (reader and serialized writer) and the schemas,
 * for Deno and Bun programs that embed it instead of running the binary.
 *
 * ```ts
 * import { initRuntime, RolloutRecorder } from "./lib/mod.ts";
 * await initRuntime();
 * const rec = await RolloutRecorder.create({ home: "/tmp/h", meta: { instructions: "Be terse." } });
 * await rec.recordItems([{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] }]);
 * await rec.close();
 * ```
 */
export { ErrorCode, RolloutError } from "./errors.ts";
export { RolloutFormat } from "./format.ts";
export { checkItem, isPersisted, ItemSchemas, ResponseItem } from "./items.ts";
export {
  DEFAULT_MAX_LINE_BYTES,
  describeDamage,
  type LoadedRollout,
  type LoadReport,
  loadRollout,
  type SkippedLine,
} from "./load_rollout.ts";
export { historyPath, resolveHome, sessionPath, sessionsDir } from "./paths.ts";
export { Event, EventMsg, OpSchemas, parseSubmission, Submission } from "./protocol.ts";
export {
  type CreateOptions,
  type ItemsRecorded,
  type RecorderOptions,
  RolloutRecorder,
} from "./recorder.ts";
export { initRuntime } from "./runtime.ts";
export { SavedSession } from "./saved_session.ts";
export { SessionMeta, SessionState } from "./session_meta.ts";
export { VERSION } from "./version.ts";

/**
 * The sessions of a home: finding, listing, resolving SESSION arguments, validating and
 * repairing files.
 */
export { listSessions, type SessionSummary } from "./list_sessions.ts";
export { repairRollout } from "./repair_rollout.ts";
export { lastSession, resolveSession } from "./resolve_session.ts";
export { sessionIdsBeside } from "./session_files.ts";
export {
  type CollectedFile,
  collectFiles,
  validateFile,
  type ValidationResult,
} from "./validate_rollouts.ts";

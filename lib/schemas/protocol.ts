/**
 * The op stream's wire shapes (SPEC §4): Submissions in, Events out. The schemas here are
 * the only definition of both; `parseSubmission` turns one decoded JSON value into an op.
 */
import { z } from "zod";
import { isObject } from "../base/mod.ts";
import { ErrorCode } from "./errors.ts";
import { formatIssue } from "./issue_path.ts";
import { RolloutFormat } from "./rollout_format.ts";
import { type Guard, guardOf } from "./schema_guard.ts";
import { ResponseItem } from "./items.ts";
import type { PreparedItems } from "./prepare_items.ts";
import { SessionMeta, SessionState } from "./session_meta.ts";

const ignored = z.unknown().optional();

/** Ops and their fields; each object is strict so a misspelt field is an error. */
export const OpSchemas = {
  configure_session: z.strictObject({
    type: z.literal("configure_session"),
    instructions: z.string().nullish(),
    cwd: z.string().nullish(),
    model: z.string().nullish(),
    disable_response_storage: z.boolean().nullish(),
    format: z.enum(["jsonl", "json"]).nullish(),
    resume_path: z.string().nullish(),
    provider: ignored,
    approval_policy: ignored,
    sandbox_policy: ignored,
    notify: ignored,
    model_reasoning_effort: ignored,
    model_reasoning_summary: ignored,
  }),
  user_input: z.strictObject({
    type: z.literal("user_input"),
    items: z.array(z.discriminatedUnion("type", [
      z.strictObject({ type: z.literal("text"), text: z.string() }),
      z.strictObject({ type: z.literal("image"), image_url: z.string() }),
      z.strictObject({ type: z.literal("local_image"), path: z.string() }),
    ])),
  }),
  record_items: z.strictObject({ type: z.literal("record_items"), items: z.array(z.unknown()) }),
  record_state: z.strictObject({
    type: z.literal("record_state"),
    previous_response_id: z.string().nullable(),
  }),
  load_session: z.strictObject({ type: z.literal("load_session"), path: z.string().min(1) }),
  get_session: z.strictObject({ type: z.literal("get_session") }),
  add_to_history: z.strictObject({ type: z.literal("add_to_history"), text: z.string() }),
  get_history_entry_request: z.strictObject({
    type: z.literal("get_history_entry_request"),
    offset: z.number().int().nonnegative(),
    log_id: z.number().int().nonnegative(),
  }),
  flush: z.strictObject({ type: z.literal("flush") }),
  shutdown: z.strictObject({ type: z.literal("shutdown") }),
} as const;

export type OpType = keyof typeof OpSchemas;
export type Op = { [K in OpType]: z.infer<(typeof OpSchemas)[K]> }[OpType];

/** Accept-only fast checks derived from {@linkcode OpSchemas}: true means the schema accepts. */
const opGuards = Object.fromEntries(
  Object.entries(OpSchemas).map(([type, schema]) => [type, guardOf(schema)]),
) as Record<OpType, Guard>;

/** Codex ops that `rollout` knows of but does not implement: they get `unsupported_op`. */
export const CODEX_ONLY_OPS: readonly string[] = [
  "interrupt",
  "user_turn",
  "override_turn_context",
  "exec_approval",
  "patch_approval",
  "resolve_elicitation",
  "list_mcp_tools",
  "list_custom_prompts",
  "compact",
  "review",
  "get_path",
  "run_user_shell_command",
];

/** The envelope of every input line. */
export const Submission = z.looseObject({
  id: z.string(),
  op: z.looseObject({ type: z.string() }),
});

/** One line of `<home>/history.jsonl` and the entry of `get_history_entry_response`. */
export const HistoryEntry = z.object({ session_id: z.string(), ts: z.number(), text: z.string() });
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** The loader's damage report, as `session_loaded.skipped` carries it. */
export const DamageReport = z.object({
  format: RolloutFormat,
  torn_tail: z.object({ line: z.number(), offset: z.number(), bytes: z.number() }).nullable(),
  skipped_lines: z.array(
    z.object({ line: z.number().nullable(), offset: z.number().nullable(), message: z.string() }),
  ),
  skipped_types: z.record(z.string(), z.number()),
  warnings: z.array(z.string()),
  /**
   * The last line is a whole record without its `\n` (an editor stripped it): it is kept, and
   * a writer adds the line end before anything else. Absent when the file ends with `\n`.
   */
  line_end_missing: z.object({ line: z.number(), offset: z.number() }).optional(),
  /**
   * Ordinals Codex's paginated history refuses (SPEC §6): the records are kept, the file is
   * reported invalid. Absent when there are none.
   */
  ordinal_errors: z.array(
    z.object({ line: z.number().nullable(), offset: z.number().nullable(), message: z.string() }),
  ).optional(),
  /** How the effective history differs from the file's items (SPEC §6); absent when it does not. */
  history: z.object({
    compacted: z.number(),
    rolled_back: z.number(),
    inherited: z.number(),
  }).optional(),
});
export type DamageReport = z.infer<typeof DamageReport>;

/** Dropped items of a `record_items` acknowledgement. */
export const DroppedItem = z.object({ index: z.number().int(), type: z.string() });

/** Event payloads, by `msg.type`. */
export const EventMsg = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("session_configured"),
    session_id: z.string(),
    model: z.string(),
    history_log_id: z.number(),
    history_entry_count: z.number(),
    rollout_path: z.string().nullable(),
  }),
  z.object({
    type: z.literal("items_recorded"),
    recorded: z.number(),
    dropped: z.array(DroppedItem),
    item_count: z.number(),
    /** Secrets replaced by rule, in a session that redacts (`proto --redact`, `new --redact`). */
    redacted: z.record(z.string(), z.number()).optional(),
  }),
  z.object({ type: z.literal("state_recorded"), previous_response_id: z.string().nullable() }),
  z.object({
    type: z.literal("session_loaded"),
    session_id: z.string(),
    rollout_path: z.string(),
    item_count: z.number(),
    previous_response_id: z.string().nullable(),
    skipped: DamageReport,
  }),
  z.object({
    type: z.literal("session"),
    session: SessionMeta,
    items: z.array(ResponseItem),
    state: SessionState,
  }),
  z.object({ type: z.literal("history_entry_added"), log_id: z.number(), offset: z.number() }),
  z.object({
    type: z.literal("get_history_entry_response"),
    offset: z.number(),
    log_id: z.number(),
    entry: HistoryEntry.nullable(),
  }),
  z.object({ type: z.literal("flushed") }),
  z.object({ type: z.literal("shutdown_complete") }),
  z.object({ type: z.literal("error"), code: ErrorCode, message: z.string() }),
]);
export type EventMsg = z.infer<typeof EventMsg>;

/** One output line. */
export const Event = z.object({ id: z.string(), msg: EventMsg });
export type Event = z.infer<typeof Event>;

/**
 * The result of reading one submission. `prepared` holds the items of a `record_items` op
 * already checked and encoded (by the op stream's parse thread); its `op.items` is then empty.
 */
export type ParsedSubmission =
  | { ok: true; id: string; op: Op; prepared?: PreparedItems }
  | { ok: false; id: string; code: ErrorCode; message: string };

function isOpType(type: string): type is OpType {
  return Object.hasOwn(OpSchemas, type);
}

/** Accept-only fast check derived from {@linkcode Submission}: true means the schema accepts. */
const isSubmission = guardOf(Submission) as (value: unknown) => value is z.infer<typeof Submission>;

/** Checks a decoded JSON value against the Submission and Op schemas. */
export function parseSubmission(value: unknown): ParsedSubmission {
  const rawId = isObject(value) ? value.id : undefined;
  const id = typeof rawId === "string" ? rawId : "";
  let op = isSubmission(value) ? value.op : null;
  if (op === null) {
    const envelope = Submission.safeParse(value);
    if (!envelope.success) {
      return {
        ok: false,
        id,
        code: "invalid_submission",
        message: formatIssue(envelope.error, value),
      };
    }
    op = envelope.data.op;
  }
  const type = op.type;
  if (!isOpType(type)) {
    const known = CODEX_ONLY_OPS.includes(type);
    return {
      ok: false,
      id,
      code: "unsupported_op",
      message: known
        ? `op.type: "${type}" is a Codex op that rollout does not handle`
        : `op.type: unknown op "${type}"`,
    };
  }
  if (opGuards[type](op)) return { ok: true, id, op: op as Op };
  const parsed = OpSchemas[type].safeParse(op);
  if (!parsed.success) {
    return {
      ok: false,
      id,
      code: "invalid_submission",
      message: formatIssue(parsed.error, op, "op"),
    };
  }
  return { ok: true, id, op: parsed.data as Op };
}

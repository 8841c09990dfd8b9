/**
 * Token usage per model response of one rollout (SPEC §8 `rollout usage`), from its records fed
 * in file order; the state is plain JSON, so a read can resume mid-file. Pure: no I/O, no clock.
 */
import { z } from "zod";
import { isObject } from "../base/mod.ts";

const Count = z.number().int().nonnegative();

/**
 * One model response the session paid for, counted once. Codex records a `token_count` after
 * each sampling request, so a user turn that calls tools has several. `input` includes
 * `cached_input` and `output` includes `reasoning_output` (Codex's `TokenUsage`); `total` is
 * `input + output`, Codex's `total_tokens` for a real response.
 */
export const UsageTurn = z.object({
  /** 1-based among the session's own counted responses (a fork's inherited ones excluded). */
  turn: z.number().int().positive(),
  /** The `timestamp` of the `token_count` line. */
  time: z.string().nullable(),
  /** The model of the latest `turn_context`, else the meta's `model`. */
  model: z.string().nullable(),
  input: Count,
  cached_input: Count,
  output: Count,
  reasoning_output: Count,
  total: Count,
});
export type UsageTurn = z.infer<typeof UsageTurn>;

/** What became of the `token_count` records seen, by fate. */
export const UsageCounts = z.object({
  /** Produced a {@linkcode UsageTurn}. */
  counted: Count,
  /** Repeated the totals before them (a rate-limit update, a resume, a context estimate). */
  repeated: Count,
  /** Copied from a parent into a fork, before the fork's own turns. */
  inherited: Count,
  /** Held no usage (`info: null`) or none beyond the totals before them. */
  empty: Count,
  /** Held usage in a shape not understood. */
  unreadable: Count,
});
export type UsageCounts = z.infer<typeof UsageCounts>;

/** A token_count record's `TokenUsage`, in any of the shapes Codex and others wrote. */
const Tokens = z.looseObject({
  input_tokens: z.number().nullish(),
  cached_input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  reasoning_output_tokens: z.number().nullish(),
});
const CodexInfo = z.looseObject({
  total_token_usage: Tokens.nullish(),
  last_token_usage: Tokens.nullish(),
});
/** An early third-party shape: one response's prompt and completion tokens. */
const PromptInfo = z.looseObject({ prompt: z.number(), completion: z.number() });

/** Input, cached input, output, reasoning output: non-negative integers. */
const Vector = z.tuple([Count, Count, Count, Count]);
type Vector = z.infer<typeof Vector>;

const TrackerState = z.object({
  v: z.literal(1),
  /** The last line recorded; a line at or before it was counted already. */
  line: z.number(),
  /** The first session_meta's id: the rollout's own (Codex: recorder.rs "the FIRST SessionMeta"). */
  own: z.string().nullable(),
  /** When the rollout was created (its UUIDv7 id's time, else its meta's), in Unix ms. */
  created: z.number().nullable(),
  metaModel: z.string().nullable(),
  model: z.string().nullable(),
  /** Inside records a fork copied from its parent. */
  copying: z.boolean(),
  /**
   * A fork made by rollout, which copies its parent's records as they are, timestamps
   * included: the first record dated at or after the fork's creation is its own. (Codex
   * writes the records it copies anew, dated when it copied them.)
   */
  verbatim: z.boolean().default(false),
  /** The last cumulative `total_token_usage`. */
  totals: Vector.nullable(),
  turn: z.number().int().nonnegative(),
  pending: z.array(UsageTurn),
  counts: UsageCounts,
});
type TrackerState = z.infer<typeof TrackerState>;

/** A record of an envelope-format rollout (`{timestamp, type, payload}`) and its line number. */
export interface UsageRecord {
  type: string;
  timestamp: string | undefined;
  payload: unknown;
  line: number;
}

const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The Unix milliseconds a UUIDv7 carries (Codex's thread and turn ids), else null. */
function v7Time(id: unknown): number | null {
  const m = typeof id === "string" ? UUID_V7.exec(id) : null;
  return m === null ? null : parseInt(m[1]! + m[2]!, 16);
}

/**
 * The largest token count taken as read: no response reads or writes a quadrillion tokens, and
 * a count this size still adds up exactly (the sums of 9,000 of them stay below 2^53). A larger
 * one (Codex's counts are 64-bit) makes its record unreadable rather than a wrong sum.
 */
const MAX_TOKENS = 1e15;

function vector(tokens: z.infer<typeof Tokens>): Vector {
  const n = (x: number | null | undefined) => Math.max(0, Math.trunc(x ?? 0));
  return [
    n(tokens.input_tokens),
    n(tokens.cached_input_tokens),
    n(tokens.output_tokens),
    n(tokens.reasoning_output_tokens),
  ];
}

const same = (a: Vector, b: Vector) => a.every((x, i) => x === b[i]);
const atLeast = (a: Vector, b: Vector) => a.every((x, i) => x >= b[i]!);
const minus = (a: Vector, b: Vector) => a.map((x, i) => x - b[i]!) as Vector;

type Usage = { total: Vector | null; last: Vector | null };

/** A token_count payload's totals and last usage: null when it has none, "bad" when unread. */
function readUsage(payload: Record<string, unknown>): Usage | null | "bad" {
  const { info } = payload;
  if (info === null) return null;
  if (info === undefined) {
    // Before Codex's TokenCountEvent (2025-09) the event was one response's TokenUsage itself.
    const flat = Tokens.safeParse(payload);
    if (!flat.success || (flat.data.input_tokens == null && flat.data.output_tokens == null)) {
      return null;
    }
    return { total: null, last: vector(flat.data) };
  }
  const prompt = PromptInfo.safeParse(info);
  if (prompt.success) {
    const { prompt: input_tokens, completion: output_tokens } = prompt.data;
    return { total: null, last: vector({ input_tokens, output_tokens }) };
  }
  const codex = CodexInfo.safeParse(info);
  if (!codex.success) return "bad";
  const { total_token_usage: total, last_token_usage: last } = codex.data;
  if (total == null && last == null) return "bad";
  return { total: total == null ? null : vector(total), last: last == null ? null : vector(last) };
}

/** {@linkcode readUsage}, with counts too large to add up exactly taken as unreadable. */
function usageOf(payload: Record<string, unknown>): Usage | null | "bad" {
  const usage = readUsage(payload);
  if (usage === null || usage === "bad") return usage;
  const large = [usage.total, usage.last].some((v) => v?.some((x) => x > MAX_TOKENS));
  return large ? "bad" : usage;
}

/**
 * Turns a rollout's records into {@linkcode UsageTurn}s. The rules, from Codex's source:
 * - Each response is counted once. Codex's `total_token_usage` is cumulative (it adds each
 *   response's `last_token_usage`) and is re-emitted unchanged on rate-limit updates, on
 *   resume and after a compaction's estimate (which changes only `last_token_usage`), so a
 *   record counts the difference of its totals from the previous ones, and nothing when they
 *   are equal.
 * - Where there is no previous total to subtract (the first record) or the totals went down
 *   or restarted (after a context overflow Codex sets them to the window size with every part
 *   zero), the record counts its own `last_token_usage`: a fork that references its parent
 *   (`history_base`) starts from the parent's totals, so only `last_token_usage` is its own.
 *   Records without totals (older shapes) count their usage as it stands. (Such a fork whose
 *   first record only re-sends the parent's totals, before any response, counts the parent's
 *   last response: one record cannot tell the two apart.)
 * - A fork's copied records are not counted: after a meta naming `forked_from_id` without
 *   `history_base`, and after a copied `session_meta` of another id, records are inherited
 *   until a turn starts (a `turn_context` or `task_started` whose UUIDv7 turn id is dated at or
 *   after the rollout's creation). Their totals still count as the previous totals, as Codex
 *   seeds the fork's totals from them. A fork without dated turn ids (Codex before 2026-02)
 *   cannot be told from its copy and counts nothing, but for a fork rollout made: it copies its
 *   parent's records with their own timestamps, so its first record dated at or after its
 *   creation ends the copy.
 */
export class UsageTracker {
  #s: TrackerState;

  constructor() {
    this.#s = {
      v: 1,
      line: 0,
      own: null,
      created: null,
      metaModel: null,
      model: null,
      copying: false,
      verbatim: false,
      totals: null,
      turn: 0,
      pending: [],
      counts: { counted: 0, repeated: 0, inherited: 0, empty: 0, unreadable: 0 },
    };
  }

  /** A tracker continuing from {@linkcode UsageTracker.state}; throws a TypeError on another value. */
  static restore(state: unknown): UsageTracker {
    const parsed = TrackerState.safeParse(state);
    if (!parsed.success) {
      throw new TypeError(`Cannot restore the usage tracker: ${z.prettifyError(parsed.error)}`);
    }
    const tracker = new UsageTracker();
    tracker.#s = structuredClone(parsed.data);
    return tracker;
  }

  /** The state to resume from, JSON-serialisable (rows not yet taken included). */
  state(): unknown {
    return structuredClone(this.#s);
  }

  /** The rows produced since the last call; they are handed out once. */
  turns(): UsageTurn[] {
    const rows = this.#s.pending;
    this.#s.pending = [];
    return rows;
  }

  /** How many token_count records met each fate so far. */
  counts(): UsageCounts {
    return { ...this.#s.counts };
  }

  /** Reads one record; records of other types are ignored. */
  record(rec: UsageRecord): void {
    const s = this.#s;
    if (rec.line <= s.line) return;
    s.line = rec.line;
    const payload = isObject(rec.payload) ? rec.payload : {};
    if (s.copying && s.verbatim && rec.type !== "session_meta" && s.created !== null) {
      const at = rec.timestamp === undefined ? NaN : Date.parse(rec.timestamp);
      if (at >= s.created) s.copying = false;
    }
    switch (rec.type) {
      case "session_meta":
        return this.#meta(payload);
      case "turn_context":
        if (typeof payload.model === "string" && payload.model !== "") s.model = payload.model;
        return this.#turnStart(payload.turn_id);
      case "event_msg":
        if (payload.type === "token_count") return this.#tokenCount(payload, rec.timestamp);
        if (payload.type === "task_started" || payload.type === "turn_started") {
          return this.#turnStart(payload.turn_id);
        }
        return;
      default:
        return;
    }
  }

  #meta(meta: Record<string, unknown>): void {
    const s = this.#s;
    const id = typeof meta.id === "string" ? meta.id : null;
    if (s.own === null) {
      s.own = id ?? "";
      const stamp = typeof meta.timestamp === "string" ? Date.parse(meta.timestamp) : NaN;
      s.created = v7Time(id) ?? (Number.isFinite(stamp) ? stamp : null);
      if (typeof meta.model === "string" && meta.model !== "") s.metaModel = meta.model;
      s.copying = typeof meta.forked_from_id === "string" && meta.history_base == null;
      s.verbatim = s.copying && meta.originator === "rollout";
    } else if (id !== null && id !== s.own) {
      s.copying = true;
    }
  }

  #turnStart(turnId: unknown): void {
    const s = this.#s;
    const started = v7Time(turnId);
    if (s.copying && started !== null && s.created !== null && started >= s.created) {
      s.copying = false;
    }
  }

  #tokenCount(payload: Record<string, unknown>, time: string | undefined): void {
    const s = this.#s;
    const usage = usageOf(payload);
    if (usage === "bad") {
      s.counts.unreadable++;
      return;
    }
    if (usage === null) {
      s.counts.empty++;
      return;
    }
    const { total, last } = usage;
    let own: Vector;
    if (total === null) own = last!;
    else {
      const before = s.totals;
      s.totals = total;
      if (before !== null && same(total, before)) {
        s.counts.repeated++;
        return;
      }
      // Totals equal to their own last usage start a new series: a continuing one holds more.
      const restarted = last !== null && same(total, last);
      own = before !== null && atLeast(total, before) && !restarted
        ? minus(total, before)
        : last ?? total;
    }
    if (s.copying) {
      s.counts.inherited++;
      return;
    }
    const [input, cached, output, reasoning] = own;
    if (input === 0 && output === 0) {
      s.counts.empty++;
      return;
    }
    s.counts.counted++;
    s.pending.push({
      turn: ++s.turn,
      time: time ?? null,
      model: s.model ?? s.metaModel,
      input,
      cached_input: Math.min(cached, input),
      output,
      reasoning_output: Math.min(reasoning, output),
      total: input + output,
    });
  }
}

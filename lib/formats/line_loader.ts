/**
 * Turns the lines of a JSONL rollout (the Codex envelope family, with or without ordinals, and
 * Codex 2025) into a session, recording every line it passes over. Every record is read,
 * whatever its type; the session is the effective history (SPEC §6). Pure: lines in, no I/O.
 */
import {
  checkItem,
  checkMeta,
  checkState,
  type DamageReport,
  EnvelopeLine,
  formatIssue,
  guardOf,
  type ItemCheck,
  LegacyMetaLine,
  LegacyStateLine,
  type ResponseItem,
  type RolloutFormat,
  SessionMeta,
  SessionState,
} from "../schemas/mod.ts";
import {
  type BadLineReason,
  isObject,
  type LineSink,
  MAX_NESTING,
  nestsDeeperThan,
  parseJson,
} from "../base/mod.ts";
import { OrdinalCheck } from "./codex_ordinals.ts";
import { compactionProblem, EffectiveHistory, isTurnCount } from "./effective_history.ts";

/** A line (or document item) that was not loaded. `line`/`offset` are null for documents. */
export type SkippedLine = DamageReport["skipped_lines"][number];

/** One record of a line file as stored: what a lossless transform copies (SPEC §6). */
export interface SourceRecord {
  /** The line it was read from. */
  line: number;
  type: string;
  /** Absent in Codex's 2025 format, whose lines carry none. */
  timestamp: string | undefined;
  payload: unknown;
  /** The stored ordinal, if any. */
  ordinal: number | undefined;
  /**
   * Enveloped lines: whether the line has an `ordinal` field at all, a null one or one spelled
   * with escapes too (a copy that adds an ordinal to the stored line must not add a second).
   */
  ordinalField?: boolean;
  /** Top-level fields besides timestamp, ordinal, type and payload (Codex's `metadata`). */
  extra: Record<string, unknown> | null;
  /** A line of Codex's 2025 format: bare, its type taken from its shape. */
  bare: boolean;
}

/**
 * `show`'s view of a file: every item in order, where history changed (SPEC §6), and the
 * user's instructions where a `turn_context` record sets or changes them.
 */
export type TimelineEntry =
  | { kind: "item"; item: ResponseItem }
  | { kind: "instructions"; user?: string; developer?: string }
  | { kind: "compacted"; replaced: number; kept: number }
  | { kind: "rolled_back"; turns: number; removed: number }
  | { kind: "inherited"; items: number; from: string };

/** Codex's `history_base`: the prefix of another rollout a fork continues. */
export interface HistoryBase {
  thread_id: string;
  end_ordinal_exclusive: number;
  end_byte_offset: number;
}

/** Called as a file is read, in file order: what a streaming command consumes. */
export interface RolloutVisitor {
  /** The session meta, once line 1 is read, and the file's format. */
  meta?(meta: SessionMeta, raw: Record<string, unknown>, format: RolloutFormat): void;
  /**
   * Every readable record as stored, with the line it was read from (without its line end;
   * undefined for a record not read from a line of this file). The text is the record's bytes
   * as stored: a copy that changes nothing in a record writes it (SPEC §6).
   */
  record?(record: SourceRecord, text: string | undefined): void;
  /** Every response item of the file, in order. */
  item?(item: ResponseItem): void;
  /** Items, history markers and instructions, as `show` presents them. */
  timeline?(entry: TimelineEntry): void;
}

/** What a loader keeps besides the effective history. */
export interface LoaderOptions {
  /** Streaming consumers, called as lines are read (besides the lists below). */
  visit?: RolloutVisitor;
  /**
   * `count`: the effective history is counted, not kept: only the items a compaction or a
   * rollback looks at stay in memory, so reading costs memory in proportion to the user's
   * messages, not the file (SPEC §7). `refs`: counted, and where each item is stored is kept
   * (`history.refs`), for a second read to fetch it.
   */
  history?: "keep" | "count" | "refs";
  /** Every response item of the file, in order (`load --all`). */
  all?: boolean;
  /** Every record as stored (convert, fork, export, repair). */
  records?: boolean;
  /** Items and history markers in file order (`show`). */
  timeline?: boolean;
  /** The effective history of the prefix a fork inherits, when its meta names one. */
  inherit?: (base: HistoryBase) => InheritedHistory | { error: string };
}

/** The prefix a fork inherits, read from its parent. */
export interface InheritedHistory {
  items: ResponseItem[];
  /** With `records`: the parent's records, its own inherited ones first. */
  records?: SourceRecord[];
  /** What the parent could not inherit in turn (warnings that start MISSING_INHERITANCE). */
  warnings?: string[];
}

/** How the warning about a prefix that could not be read starts. */
export const MISSING_INHERITANCE = "the history inherited from rollout ";

/** Accept-only fast check derived from {@linkcode EnvelopeLine}: true means the schema accepts. */
const isEnvelope = guardOf(EnvelopeLine) as (value: unknown) => value is EnvelopeLine;

const SHORT_LINE = { nestingChecked: true };
const DEEP_LINE = { nestingChecked: false };
const ENVELOPE_KEYS = new Set(["timestamp", "ordinal", "type", "payload"]);

function historyBaseOf(meta: Record<string, unknown>): HistoryBase | null {
  const base = meta.history_base;
  if (!isObject(base)) return null;
  const { thread_id, end_ordinal_exclusive, end_byte_offset } = base;
  if (
    typeof thread_id !== "string" || typeof end_ordinal_exclusive !== "number" ||
    typeof end_byte_offset !== "number"
  ) return null;
  return { thread_id, end_ordinal_exclusive, end_byte_offset };
}

function extraOf(line: Record<string, unknown>): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const key of Object.keys(line)) {
    if (ENVELOPE_KEYS.has(key)) continue;
    extra ??= {};
    extra[key] = line[key];
  }
  return extra;
}

/** Builds a SavedSession from the lines of a JSONL rollout; a {@linkcode LineSink}. */
export class LineLoader implements LineSink {
  readonly format: RolloutFormat;
  readonly history: EffectiveHistory;
  readonly allItems: ResponseItem[] | null;
  readonly records: SourceRecord[] | null;
  /** With `records`: the records of the history the file inherits, in order, no meta. */
  inheritedRecords: SourceRecord[] | null = null;
  readonly timeline: TimelineEntry[] | null;
  readonly skipped: SkippedLine[] = [];
  readonly ordinalErrors: SkippedLine[] = [];
  // In a map: a record type is any text, `constructor` and `__proto__` too.
  readonly #types = new Map<string, number>();

  /** Records read, by type. */
  get recordTypes(): Record<string, number> {
    return Object.fromEntries(this.#types);
  }
  readonly warnings: string[] = [];
  meta: SessionMeta | null = null;
  rawMeta: Record<string, unknown> = {};
  /** Why line 1 is no usable meta (when `meta` is null). */
  metaError = "missing";
  state: SessionState = {};
  /**
   * The user's own instructions as Codex recorded them in `turn_context` until mid-2026
   * (`user_instructions`, `developer_instructions`; the last one read wins).
   */
  turnInstructions: { user?: string; developer?: string } = {};
  /** `paginated` when the meta says so: Codex's ordinal rules apply (SPEC §6). */
  historyMode: "legacy" | "paginated" = "legacy";
  /** Paginated files: Codex's ordinal bookkeeping. */
  #ordinals: OrdinalCheck | null = null;
  readonly #inherit: LoaderOptions["inherit"];
  /** How to check the items of the line being read (a short line cannot nest too deep). */
  #itemCheck: { nestingChecked: boolean } = DEEP_LINE;
  readonly #visit: RolloutVisitor;
  /** The line being read, while it is read. */
  #text: string | undefined;

  constructor(format: RolloutFormat, options: LoaderOptions = {}) {
    this.format = format;
    this.history = new EffectiveHistory({
      count: options.history === "count",
      refs: options.history === "refs",
    });
    this.allItems = options.all === true ? [] : null;
    this.records = options.records === true ? [] : null;
    this.timeline = options.timeline === true ? [] : null;
    this.#inherit = options.inherit;
    this.#visit = options.visit ?? {};
  }

  #record(record: SourceRecord): void {
    this.records?.push(record);
    this.#visit.record?.(record, this.#text);
  }

  #timeline(entry: TimelineEntry): void {
    this.timeline?.push(entry);
    this.#visit.timeline?.(entry);
  }

  /** The effective history (SPEC §6). */
  get items(): ResponseItem[] {
    return this.history.items;
  }

  /**
   * Records by type that are neither the meta, an item nor a state (`skipped_types` of the
   * report): every other record read.
   */
  get skippedTypes(): Record<string, number> {
    const own = this.format === "codex_jsonl_2025" ? "meta" : "session_meta";
    return Object.fromEntries(
      Object.entries(this.recordTypes).filter(([type]) =>
        type !== own && type !== "response_item" && type !== "state"
      ),
    );
  }

  /** Paginated files: the ordinal the next appended record takes, by Codex's rule. */
  get nextOrdinal(): number {
    return this.#ordinals?.next ?? 0;
  }

  line(text: string, lineNo: number): void {
    // Held only while the line is read: the text is a part of its chunk's decoded text, and
    // held after it would keep that chunk alive past the young collection of the read.
    this.#text = text;
    try {
      this.#readLine(text, lineNo);
    } finally {
      this.#text = undefined;
    }
  }

  #readLine(text: string, lineNo: number): void {
    // JSON nested n levels deep takes at least 2n characters.
    this.#itemCheck = text.length > 2 * MAX_NESTING ? DEEP_LINE : SHORT_LINE;
    let value: unknown;
    try {
      value = parseJson(text);
    } catch {
      return this.#unreadableLine(lineNo, text.trim() === "" ? "empty line" : "not JSON");
    }
    if (!isObject(value)) return this.#unreadableLine(lineNo, "not a JSON object");
    if (this.#itemCheck === DEEP_LINE) {
      // Every record must stay re-encodable (a copy writes it, redaction walks it): a line
      // whose envelope or payload nests deeper than an item may is refused whole. Its item,
      // one level down, then needs no check of its own.
      if (nestsDeeperThan(value, MAX_NESTING + 1)) {
        const record = value;
        const key = Object.keys(record).find((k) => nestsDeeperThan(record[k], MAX_NESTING));
        return this.#unreadableLine(lineNo, `${key}: nested deeper than ${MAX_NESTING} levels`);
      }
      if (this.format !== "codex_jsonl_2025") this.#itemCheck = SHORT_LINE;
    }
    if (lineNo === 1) return this.#readMeta(value);
    if (this.format === "codex_jsonl_2025") return this.#readLegacy(value, lineNo);
    this.#readEnvelope(value, lineNo);
  }

  bad(lineNo: number, reason: BadLineReason): void {
    this.#unreadableLine(
      lineNo,
      reason === "invalid_utf8" ? "not valid UTF-8" : "line is too long",
    );
  }

  #skip(line: number, message: string): void {
    this.skipped.push({ line, offset: null, message });
  }

  #count(type: string): void {
    this.#types.set(type, (this.#types.get(type) ?? 0) + 1);
  }

  #unreadableLine(lineNo: number, message: string): void {
    if (lineNo === 1) {
      this.metaError = message;
      return;
    }
    this.#skip(lineNo, message);
    this.#ordinals?.rejected();
  }

  #readMeta(value: Record<string, unknown>): void {
    let raw: unknown = value;
    let where = "";
    let ordinal: number | undefined;
    if (this.format === "codex_jsonl_2025") {
      const legacy = LegacyMetaLine.safeParse(value);
      if (!legacy.success) {
        this.metaError = formatIssue(legacy.error, value);
        return;
      }
    } else {
      const envelope = EnvelopeLine.safeParse(value);
      if (!envelope.success) {
        this.metaError = formatIssue(envelope.error, value);
        return;
      }
      raw = envelope.data.payload;
      ordinal = envelope.data.ordinal ?? undefined;
      where = "payload";
    }
    if (!isObject(raw)) {
      this.metaError = formatIssue(SessionMeta.safeParse(raw).error!, raw, where);
      return;
    }
    const meta = checkMeta(raw);
    if (!meta.success) {
      this.metaError = formatIssue(meta.error, raw, where);
      return;
    }
    this.meta = meta.data;
    this.rawMeta = raw;
    this.#visit.meta?.(meta.data, raw, this.format);
    this.#count(this.format === "codex_jsonl_2025" ? "meta" : "session_meta");
    this.#record({
      line: 1,
      type: "session_meta",
      timestamp: this.format === "codex_jsonl_2025"
        ? meta.data.timestamp
        : typeof value.timestamp === "string"
        ? value.timestamp
        : undefined,
      payload: raw,
      ordinal,
      bare: this.format === "codex_jsonl_2025",
      extra: this.format === "codex_jsonl_2025" ? null : extraOf(value),
    });
    if (raw.history_mode === "paginated") {
      this.historyMode = "paginated";
      const base = historyBaseOf(raw);
      this.#ordinals = new OrdinalCheck(base?.end_ordinal_exclusive ?? 0);
      this.#ordinalProblem(1, "session_meta", ordinal);
      if (base !== null) this.#inheritFrom(base);
    }
  }

  #inheritFrom(base: HistoryBase): void {
    const got = this.#inherit?.(base) ??
      { error: "rollout reads inherited history only from files" };
    if ("error" in got) {
      this.warnings.push(`${MISSING_INHERITANCE}${base.thread_id} is missing: ${got.error}`);
      return;
    }
    // Further up the chain of forks: the parent's own inheritance that could not be read.
    for (const warning of got.warnings ?? []) this.warnings.push(warning);
    this.history.inherit(got.items);
    if (got.records !== undefined) this.inheritedRecords = got.records;
    this.#timeline({ kind: "inherited", items: got.items.length, from: base.thread_id });
  }

  #ordinalProblem(lineNo: number, type: string, ordinal: number | undefined, decodes = true): void {
    const problem = this.#ordinals?.record(type, ordinal, decodes) ?? null;
    if (problem !== null) this.ordinalErrors.push({ line: lineNo, offset: null, message: problem });
  }

  #readEnvelope(value: Record<string, unknown>, lineNo: number): void {
    let line: EnvelopeLine;
    if (isEnvelope(value)) line = value;
    else {
      const envelope = EnvelopeLine.safeParse(value);
      if (!envelope.success) {
        return this.#unreadableLine(lineNo, formatIssue(envelope.error, value));
      }
      line = envelope.data;
    }
    const ordinal = line.ordinal ?? undefined;
    const payload = line.payload;
    // Lines Codex cannot decode change no history, and Codex may reuse their ordinals.
    let undecodable: string | null = null;
    if (line.type === "compacted") {
      undecodable = isObject(payload) ? compactionProblem(payload) : "its payload is no object";
    } else if (
      line.type === "event_msg" && isObject(payload) && payload.type === "thread_rolled_back" &&
      !isTurnCount(payload.num_turns)
    ) undecodable = "its num_turns is no whole number of turns";
    // An item that fails its schema is damage (reported below), and Codex cannot decode it
    // either: a later line may retry its ordinal.
    const item = line.type === "response_item"
      ? checkItem(payload, "payload", this.#itemCheck)
      : null;
    this.#ordinalProblem(lineNo, line.type, ordinal, undecodable === null && item?.ok !== false);
    this.#count(line.type);
    this.#record({
      line: lineNo,
      type: line.type,
      timestamp: line.timestamp,
      payload,
      ordinal,
      ordinalField: Object.hasOwn(value, "ordinal"),
      extra: extraOf(value),
      bare: false,
    });
    if (undecodable !== null) {
      this.warnings.push(
        `line ${lineNo}: a ${line.type} record Codex cannot read (${undecodable}): kept, no change to the history`,
      );
      return;
    }
    if (item !== null) return this.#takeItem(item, lineNo);
    switch (line.type) {
      case "state": {
        const payload = line.payload;
        const state = isObject(payload) ? checkState(payload) : SessionState.safeParse(payload);
        if (state.success) this.state = state.data;
        else this.#skip(lineNo, formatIssue(state.error, payload, "payload"));
        return;
      }
      case "session_meta":
        // A Codex fork copies its parent's records, its session_meta among them: the first
        // one is the session's own (codex-rs/rollout/src/recorder.rs:1052-1058).
        return;
      case "compacted":
        if (isObject(payload)) {
          const done = this.history.compact(payload, lineNo);
          if (typeof done !== "string") {
            this.#timeline({ kind: "compacted", replaced: done.replaced, kept: done.kept });
          }
        }
        break;
      case "turn_context": {
        const payload = line.payload;
        if (isObject(payload)) {
          const { user_instructions: user, developer_instructions: developer } = payload;
          const changed: { user?: string; developer?: string } = {};
          if (typeof user === "string" && user !== this.turnInstructions.user) {
            this.turnInstructions.user = changed.user = user;
          }
          if (typeof developer === "string" && developer !== this.turnInstructions.developer) {
            this.turnInstructions.developer = changed.developer = developer;
          }
          if (changed.user !== undefined || changed.developer !== undefined) {
            this.#timeline({ kind: "instructions", ...changed });
          }
        }
        break;
      }
      case "event_msg": {
        const payload = line.payload;
        if (
          isObject(payload) && payload.type === "thread_rolled_back" &&
          typeof payload.num_turns === "number"
        ) {
          const removed = this.history.rollBack(payload.num_turns);
          this.#timeline({ kind: "rolled_back", turns: payload.num_turns, removed });
        }
        break;
      }
    }
  }

  #readItem(payload: unknown, where: string, lineNo: number): void {
    this.#takeItem(checkItem(payload, where, this.#itemCheck), lineNo);
  }

  #takeItem(check: ItemCheck, lineNo: number): void {
    if (!check.ok) return this.#skip(lineNo, check.message);
    this.history.add(check.item, lineNo);
    this.allItems?.push(check.item);
    this.#visit.item?.(check.item);
    this.#timeline({ kind: "item", item: check.item });
  }

  /** A line of Codex's 2025 format, which has neither envelope nor timestamps. */
  #bare(line: number, type: string, payload: Record<string, unknown>): void {
    this.#record({
      line,
      type,
      timestamp: undefined,
      payload,
      ordinal: undefined,
      extra: null,
      bare: true,
    });
  }

  #readLegacy(value: Record<string, unknown>, lineNo: number): void {
    if (value.record_type === "state") {
      this.#count("state");
      this.#bare(lineNo, "state", value);
      const state = LegacyStateLine.safeParse(value);
      if (!state.success) return this.#skip(lineNo, formatIssue(state.error, value));
      const id = state.data.previous_response_id;
      this.state = typeof id === "string" ? { previous_response_id: id } : {};
      return;
    }
    if (typeof value.record_type === "string") {
      this.#count(value.record_type);
      this.#bare(lineNo, value.record_type, value);
      return;
    }
    this.#count("response_item");
    this.#bare(lineNo, "response_item", value);
    this.#readItem(value, "item", lineNo);
  }
}

/**
 * Turns the lines of a JSONL rollout (journal, Codex envelope, Codex 2025) into a session,
 * recording every line it passes over. Pure: lines in, no I/O.
 */
import {
  checkItem,
  checkMeta,
  checkState,
  type DamageReport,
  EnvelopeLine,
  formatIssue,
  guardOf,
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
  parseJson,
} from "../base/mod.ts";

/** A line (or document item) that was not loaded. `line`/`offset` are null for documents. */
export type SkippedLine = DamageReport["skipped_lines"][number];

/** Accept-only fast check derived from {@linkcode EnvelopeLine}: true means the schema accepts. */
const isEnvelope = guardOf(EnvelopeLine) as (value: unknown) => value is EnvelopeLine;

const SHORT_LINE = { nestingChecked: true };
const DEEP_LINE = { nestingChecked: false };

/** Builds a SavedSession from the lines of a JSONL rollout; a {@linkcode LineSink}. */
export class LineLoader implements LineSink {
  readonly format: RolloutFormat;
  readonly items: ResponseItem[] = [];
  readonly skipped: SkippedLine[] = [];
  readonly skippedTypes: Record<string, number> = {};
  readonly warnings: string[] = [];
  meta: SessionMeta | null = null;
  rawMeta: Record<string, unknown> = {};
  /** Why line 1 is no usable meta (when `meta` is null). */
  metaError = "missing";
  state: SessionState = {};
  /** Journal: the last ordinal accepted. */
  #lastOrdinal = 0;
  /** Journal: unreadable lines since that one (each may be a record whose ordinal is lost). */
  #unreadable = 0;
  /** How to check the items of the line being read (a short line cannot nest too deep). */
  #itemCheck: { nestingChecked: boolean } = DEEP_LINE;

  constructor(format: RolloutFormat) {
    this.format = format;
  }

  /** Journal: the ordinal the next appended line takes. */
  get nextOrdinal(): number {
    return this.#lastOrdinal + 1 + this.#unreadable;
  }

  line(text: string, lineNo: number): void {
    // JSON nested n levels deep takes at least 2n characters.
    this.#itemCheck = text.length > 2 * MAX_NESTING ? DEEP_LINE : SHORT_LINE;
    let value: unknown;
    try {
      value = parseJson(text);
    } catch {
      return this.#unreadableLine(lineNo, text.trim() === "" ? "empty line" : "not JSON");
    }
    if (!isObject(value)) return this.#unreadableLine(lineNo, "not a JSON object");
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

  #unreadableLine(lineNo: number, message: string): void {
    if (lineNo === 1) {
      this.metaError = message;
      return;
    }
    this.#skip(lineNo, message);
    this.#unreadable++;
  }

  #readMeta(value: Record<string, unknown>): void {
    let raw: unknown = value;
    let where = "";
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
      if (this.format === "journal" && envelope.data.ordinal !== 0) {
        this.warnings.push(`line 1: the session_meta ordinal is ${envelope.data.ordinal}, not 0`);
      }
      raw = envelope.data.payload;
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
    if (this.format === "journal" && !this.#checkOrdinal(line.ordinal, lineNo)) return;
    switch (line.type) {
      case "response_item": {
        const check = checkItem(line.payload, "payload", this.#itemCheck);
        if (check.ok) this.items.push(check.item);
        else this.#skip(lineNo, check.message);
        return;
      }
      case "state": {
        const payload = line.payload;
        const state = isObject(payload) ? checkState(payload) : SessionState.safeParse(payload);
        if (state.success) this.state = state.data;
        else this.#skip(lineNo, formatIssue(state.error, payload, "payload"));
        return;
      }
      case "session_meta":
        if (this.format === "journal") return this.#skip(lineNo, "a second session_meta record");
    }
    this.skippedTypes[line.type] = (this.skippedTypes[line.type] ?? 0) + 1;
  }

  /**
   * Journal ordinals grow by one per line: a repeat is dropped, a gap not explained by the
   * unreadable lines before it is reported (the line is kept).
   */
  #checkOrdinal(ordinal: number | undefined, lineNo: number): boolean {
    if (ordinal === undefined) {
      this.#unreadableLine(lineNo, "ordinal is missing");
      return false;
    }
    const last = this.#lastOrdinal;
    if (ordinal <= last) {
      this.#skip(lineNo, `ordinal ${ordinal} repeats an earlier line (expected ${last + 1})`);
      return false;
    }
    const missing = ordinal - last - 1 - this.#unreadable;
    if (missing > 0) {
      const gap = `ordinal jumps from ${last} to ${ordinal}`;
      this.#skip(lineNo, `${gap}: ${missing} record(s) missing before this line`);
    }
    this.#lastOrdinal = ordinal;
    this.#unreadable = 0;
    return true;
  }

  #readLegacy(value: Record<string, unknown>, lineNo: number): void {
    if (value.record_type === "state") {
      const state = LegacyStateLine.safeParse(value);
      if (!state.success) return this.#skip(lineNo, formatIssue(state.error, value));
      const id = state.data.previous_response_id;
      this.state = typeof id === "string" ? { previous_response_id: id } : {};
      return;
    }
    if (typeof value.record_type === "string") {
      this.skippedTypes[value.record_type] = (this.skippedTypes[value.record_type] ?? 0) + 1;
      return;
    }
    const check = checkItem(value, "item", this.#itemCheck);
    if (check.ok) this.items.push(check.item);
    else this.#skip(lineNo, check.message);
  }
}

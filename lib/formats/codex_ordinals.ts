/**
 * Codex's ordinal rules for a paginated rollout (SPEC §6), as its history materialization
 * applies them (codex-rs/thread-store/src/local/thread_history_materialization.rs:71-274 at
 * 343074d): a record Codex decodes carries the next ordinal; a line it rejects may leave its
 * ordinal to a later retry, and a gap is damage only where no rejected lines cover it. Pure.
 */

/** The record types Codex's `RolloutItem` decodes (codex-rs/history/src/rollout_payload.rs). */
export const CODEX_RECORD_TYPES: ReadonlySet<string> = new Set([
  "session_meta",
  "response_item",
  "inter_agent_communication",
  "inter_agent_communication_metadata",
  "compacted",
  "turn_context",
  "world_state",
  "security_risk_score",
  "event_msg",
]);

/** Follows the ordinals of one paginated rollout, line by line. */
export class OrdinalCheck {
  #expected: number;
  /** Whether a record was accepted yet (the first sets the sequence going). */
  #started = false;
  /** Lines Codex rejects since the last accepted record: each may have held an ordinal. */
  #pending = 0;

  /** `start`: 0, or the `end_ordinal_exclusive` of the history the file inherits. */
  constructor(start: number) {
    this.#expected = start;
  }

  /** The ordinal the next record takes (Codex's own rule when it appends). */
  get next(): number {
    return this.#expected;
  }

  /** A line that is not a record at all (not JSON, not an object, torn). */
  rejected(): void {
    this.#pending++;
  }

  /**
   * A record of `type` carrying `ordinal`: null when Codex accepts it, else what Codex
   * refuses. `decodes` false: Codex rejects this line (a type or payload it cannot decode),
   * so its ordinal may be reused. The record is kept either way.
   */
  record(type: string, ordinal: number | undefined, decodes = true): string | null {
    const known = decodes && CODEX_RECORD_TYPES.has(type);
    if (ordinal === undefined) {
      if (!known) {
        this.#pending++;
        return null;
      }
      // Taken as the record Codex expected, so one missing ordinal is reported once.
      this.#expected++;
      this.#pending = 0;
      this.#started = true;
      return `the ${type} record has no ordinal, which Codex requires in a paginated rollout`;
    }
    if (ordinal < this.#expected) {
      if (!known) this.#pending++;
      const previous = this.#expected - 1;
      return `ordinal ${ordinal} is not above the previous ordinal ${previous}: Codex expects ${this.#expected} or more`;
    }
    if (!known) {
      this.#pending++;
      return null;
    }
    const expected = this.#expected;
    const uncovered = ordinal - expected - this.#pending;
    const started = this.#started;
    this.#expected = ordinal + 1;
    this.#pending = 0;
    this.#started = true;
    if (uncovered <= 0) return null;
    if (!started) return `the first ordinal is ${ordinal}, where Codex expects ${expected}`;
    return `ordinal jumps from ${
      expected - 1
    } to ${ordinal}: ${uncovered} record(s) missing before this line`;
  }
}

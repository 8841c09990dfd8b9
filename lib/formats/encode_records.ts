/**
 * Stored records back into lines (SPEC §6, lossless transforms): every record keeps its type,
 * its original timestamp, its payload and its other fields; only the first line (the meta)
 * and the ordinals are the transform's own. Pure.
 */
import { isObject } from "../base/mod.ts";
import { checkItem, messageEvent } from "../schemas/mod.ts";
import { CODEX_RECORD_TYPES } from "./codex_ordinals.ts";
import { EffectiveHistory } from "./effective_history.ts";
import type { SourceRecord } from "./line_loader.ts";

/** How records are written out. */
export interface RecordLinesOptions {
  /** The payload of the first line, which replaces the source's own meta. */
  meta: Record<string, unknown>;
  /** The timestamp of records that have none (Codex's 2025 format, documents). */
  fallbackTimestamp: string;
  /**
   * `renumber`: Codex's records get ordinals from `start` (a paginated file); `keep`: each
   * keeps the ordinal it had, if any (a legacy file).
   */
  ordinals: { renumber: true; start: number } | { renumber: false };
  /** Write the `event_msg` mirror of each message (when the source has none). */
  mirrors: boolean;
}

/** Whether records hold Codex's message events already (then no mirrors are added). */
export function hasMessageEvents(records: readonly SourceRecord[]): boolean {
  return records.some((r) =>
    r.type === "event_msg" && isObject(r.payload) &&
    (r.payload.type === "user_message" || r.payload.type === "agent_message")
  );
}

/** A Codex 2025 line as an enveloped record: state lines become `state` payloads. */
function envelopeOf(record: SourceRecord): { type: string; payload: unknown } {
  if (!record.bare || !isObject(record.payload)) return record;
  if (record.type === "response_item") return record;
  const { record_type: _type, ...rest } = record.payload;
  if (record.type !== "state") return { type: record.type, payload: rest };
  const id = rest.previous_response_id;
  return { type: "state", payload: typeof id === "string" ? { previous_response_id: id } : {} };
}

/** The lines, each ending in `\n`, and the ordinal the next record would take. */
export function encodeRecordLines(
  records: readonly SourceRecord[],
  options: RecordLinesOptions,
): { text: string; nextOrdinal: number } {
  let ordinal = options.ordinals.renumber ? options.ordinals.start : 0;
  const lines: string[] = [];
  const push = (
    record: { type: string; payload: unknown; extra?: Record<string, unknown> | null },
    timestamp: string,
    stored: number | undefined,
  ) => {
    const line: Record<string, unknown> = { timestamp };
    if (options.ordinals.renumber) {
      if (CODEX_RECORD_TYPES.has(record.type)) line.ordinal = ordinal++;
    } else if (stored !== undefined) line.ordinal = stored;
    line.type = record.type;
    line.payload = record.payload;
    if (record.extra) Object.assign(line, record.extra);
    lines.push(`${JSON.stringify(line)}\n`);
  };
  const first = records[0];
  push(
    { type: "session_meta", payload: options.meta },
    first?.timestamp ?? options.fallbackTimestamp,
    first?.ordinal,
  );
  for (const record of records.slice(first?.type === "session_meta" ? 1 : 0)) {
    const timestamp = record.timestamp ?? options.fallbackTimestamp;
    const enveloped = envelopeOf(record);
    push({ ...enveloped, extra: record.extra }, timestamp, record.ordinal);
    if (!options.mirrors || enveloped.type !== "response_item") continue;
    const check = checkItem(enveloped.payload, "payload");
    const event = check.ok ? messageEvent(check.item) : null;
    if (event !== null) push({ type: "event_msg", payload: event }, timestamp, undefined);
  }
  return { text: lines.join(""), nextOrdinal: ordinal };
}

/**
 * The records up to the point where the effective history (SPEC §6) holds `items` items: a
 * fork's prefix. Stops before the response item that would be item `items + 1`; state records
 * are left out unless the whole file is taken, since a stored response id continues the
 * parent's later conversation.
 */
export function historyPrefix(records: readonly SourceRecord[], items: number): SourceRecord[] {
  const history = new EffectiveHistory();
  const out: SourceRecord[] = [];
  for (const record of records) {
    const payload = record.payload;
    if (record.type === "response_item") {
      const check = checkItem(payload, "payload");
      if (check.ok && check.item.type !== "ghost_snapshot") {
        if (history.items.length === items) return out.filter((r) => r.type !== "state");
        history.add(check.item);
      }
    } else if (record.type === "compacted" && isObject(payload)) history.compact(payload);
    else if (
      record.type === "event_msg" && isObject(payload) && payload.type === "thread_rolled_back" &&
      typeof payload.num_turns === "number"
    ) history.rollBack(payload.num_turns);
    out.push(record);
  }
  return out;
}

/**
 * Stored records back into lines (SPEC §6, lossless transforms): every record keeps its type,
 * its original timestamp, its payload and its other fields; only the first line (the meta)
 * and the ordinals are the transform's own. Pure.
 */
import { isObject } from "../base/mod.ts";
import { checkItem, messageEvent } from "../schemas/mod.ts";
import { CODEX_RECORD_TYPES } from "./codex_ordinals.ts";
import { compactionProblem, EffectiveHistory, isTurnCount } from "./effective_history.ts";
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

/** Whether a record is one of Codex's message events (a mirror of a message item). */
export function isMessageEvent(record: Pick<SourceRecord, "type" | "payload">): boolean {
  return record.type === "event_msg" && isObject(record.payload) &&
    (record.payload.type === "user_message" || record.payload.type === "agent_message");
}

/**
 * Whether the first `"ordinal":` of a line is followed (after spaces) by `ordinal` as
 * `JSON.stringify` writes it, then `,`, `}` or a space. The envelope's ordinal comes before the
 * payload in every file Codex or rollout writes; where a payload's key comes first, the answer
 * is no and the line is written anew, which is always safe.
 */
function spellsOrdinal(text: string, ordinal: number): boolean {
  const key = '"ordinal":';
  let at = text.indexOf(key);
  if (at < 0) return false;
  at += key.length;
  while (text.startsWith(" ", at)) at++;
  const digits = spelledDigits(text, at, ordinal);
  if (digits === 0) return false;
  at += digits;
  return text.startsWith(",", at) || text.startsWith("}", at) || text.startsWith(" ", at);
}

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
/** "00" to "99", made once. */
const PAIRS = Array.from(
  { length: 100 },
  (_, i) => `${DIGITS[Math.floor(i / 10)]}${DIGITS[i % 10]}`,
);
/** What {@linkcode piecesOf} fills, used again by every call. */
const pieces: string[] = [];

/**
 * Puts in `pieces` the strings, made once, that spell `n` (a whole number, 0 or more), least
 * significant first: two digits each, the first one or two. Returns how many. A copy of a GiB
 * that made a string of each ordinal with `String()` took 0.4-0.6 s and 30,000 page faults
 * more in Bun (they land in the copies of the line texts that follow); `charCodeAt` of a line
 * cost more too.
 */
function piecesOf(n: number): number {
  let count = 0;
  let rest = n;
  for (; rest >= 100; rest = Math.floor(rest / 100)) pieces[count++] = PAIRS[rest % 100]!;
  pieces[count++] = rest < 10 ? DIGITS[rest]! : PAIRS[rest]!;
  return count;
}

/** Whether `n` is written by {@linkcode piecesOf}; others are written by `JSON.stringify`. */
const inPieces = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** `n` as `JSON.stringify` writes it, handed to `put` without making a string of it. */
function putNumber(put: (text: string) => void, n: number): void {
  if (!inPieces(n)) return put(JSON.stringify(n));
  for (let i = piecesOf(n) - 1; i >= 0; i--) put(pieces[i]!);
}

/**
 * How many characters `ordinal` takes where `text` spells it at `at` as `JSON.stringify` does,
 * or 0; a whole number is compared without making a string of it.
 */
function spelledDigits(text: string, at: number, ordinal: number): number {
  if (!inPieces(ordinal)) {
    const spelled = JSON.stringify(ordinal);
    return text.startsWith(spelled, at) ? spelled.length : 0;
  }
  let end = at;
  for (let i = piecesOf(ordinal) - 1; i >= 0; i--) {
    if (!text.startsWith(pieces[i]!, end)) return 0;
    end += pieces[i]!.length;
  }
  return end - at;
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
  const encoder = new RecordLineEncoder(options);
  const first = records[0];
  const lines = [encoder.meta(first)];
  for (const record of records.slice(first?.type === "session_meta" ? 1 : 0)) {
    lines.push(encoder.record(record));
  }
  return { text: lines.join(""), nextOrdinal: encoder.nextOrdinal };
}

/**
 * {@linkcode encodeRecordLines} one record at a time, for copies written as they are read
 * (SPEC §7): the meta line first, then each record's line (and its mirror).
 */
export class RecordLineEncoder {
  readonly #options: RecordLinesOptions;
  #ordinal: number;

  constructor(options: RecordLinesOptions) {
    this.#options = options;
    this.#ordinal = options.ordinals.renumber ? options.ordinals.start : 0;
  }

  /** The ordinal the next record would take. */
  get nextOrdinal(): number {
    return this.#ordinal;
  }

  #line(
    record: { type: string; payload: unknown; extra?: Record<string, unknown> | null },
    timestamp: string,
    stored: number | undefined,
  ): string {
    const line: Record<string, unknown> = { timestamp };
    if (this.#options.ordinals.renumber) {
      if (CODEX_RECORD_TYPES.has(record.type)) line.ordinal = this.#ordinal++;
    } else if (stored !== undefined) line.ordinal = stored;
    line.type = record.type;
    line.payload = record.payload;
    if (record.extra) Object.assign(line, record.extra);
    return `${JSON.stringify(line)}\n`;
  }

  /** The first line: the options' meta, with the timestamp and ordinal of the first record. */
  meta(first: SourceRecord | undefined): string {
    return this.#line(
      { type: "session_meta", payload: this.#options.meta },
      first?.timestamp ?? this.#options.fallbackTimestamp,
      first?.ordinal,
    );
  }

  /**
   * How the line `record` was read from can be written: as it is (`true`: an enveloped record
   * with its timestamp and the ordinal it keeps or is given), with the ordinal it is given put
   * after its timestamp (a line of a file without ordinals), or not at all (`null`: it is
   * encoded anew). Takes the ordinal given.
   */
  #reuse(record: SourceRecord, text: string): true | { at: number; ordinal: number } | null {
    if (record.bare || record.timestamp === undefined) return null;
    // No space or CR around the object, and an ordinal spelled as a whole number: a strict
    // reader (Codex's) takes `1.0` for no integer.
    if (!text.startsWith("{") || !text.endsWith("}")) return null;
    if (record.ordinal !== undefined && !spellsOrdinal(text, record.ordinal)) return null;
    if (!this.#options.ordinals.renumber) return true;
    if (!CODEX_RECORD_TYPES.has(record.type)) return record.ordinal === undefined ? true : null;
    if (record.ordinal === undefined) {
      // The ordinal goes where the encoder puts it, after the timestamp; a line with an ordinal
      // field (a null one) is encoded anew rather than given a second.
      const head = `{"timestamp":${JSON.stringify(record.timestamp)},`;
      if (record.ordinalField !== false || !text.startsWith(head)) return null;
      return { at: head.length, ordinal: this.#ordinal++ };
    }
    if (record.ordinal !== this.#ordinal) return null;
    this.#ordinal++;
    return true;
  }

  /** A record after the meta, and the `event_msg` mirror of a message when asked for. */
  record(record: SourceRecord): string {
    const timestamp = record.timestamp ?? this.#options.fallbackTimestamp;
    const enveloped = envelopeOf(record);
    const out = this.#line({ ...enveloped, extra: record.extra }, timestamp, record.ordinal);
    return out + this.#mirror(enveloped, timestamp);
  }

  /**
   * {@linkcode record}, handed to `put`. `text`: the line the record was read from, unchanged.
   * A record that needs no change is written as that line, byte for byte (one that needs only
   * its ordinal, with it added), so what JSON cannot say again (numbers past a double's
   * precision, the spelling of a string's escapes) is kept (SPEC §6). It is handed over as it
   * is, not joined to its line end: the line is a part of the chunk it was read in, and a
   * joined copy would be a new string of the line's size.
   */
  put(record: SourceRecord, text: string | undefined, put: (text: string) => void): void {
    const reuse = text === undefined ? null : this.#reuse(record, text);
    if (reuse === null) {
      put(this.record(record));
      return;
    }
    if (reuse === true) put(text!);
    else {
      put(text!.slice(0, reuse.at));
      put('"ordinal":');
      putNumber(put, reuse.ordinal);
      put(",");
      put(text!.slice(reuse.at));
    }
    put("\n");
    const mirror = this.#mirror(envelopeOf(record), record.timestamp!);
    if (mirror !== "") put(mirror);
  }

  /** The `event_msg` mirror line of a message item, when mirrors are asked for; or "". */
  #mirror(enveloped: { type: string; payload: unknown }, timestamp: string): string {
    if (!this.#options.mirrors || enveloped.type !== "response_item") return "";
    const check = checkItem(enveloped.payload, "payload");
    const event = check.ok ? messageEvent(check.item) : null;
    return event === null
      ? ""
      : this.#line({ type: "event_msg", payload: event }, timestamp, undefined);
  }
}

/** The items a fork's prefix must rebuild, by digest, and how an item is digested. */
export interface PrefixTarget {
  /** The digests of the first items of the whole file's effective history, in order. */
  digests: readonly string[];
  digest: (item: unknown) => string;
}

/**
 * A fork's prefix, one record at a time, for a fork written as it is read: the records up to the
 * point where the effective history (SPEC §6) holds `items` items. It stops before the response
 * item that would be item `items + 1`; state records are left out unless the whole file is
 * taken, since a stored response id continues the parent's later conversation.
 *
 * With a `target`, for a file whose history a compaction or rollback rewrites: the prefix ends
 * at the first record that would change the history once the history is exactly the target's
 * items (the same items, wherever stored), so that the fork's own records rebuild them.
 * {@linkcode reached} says whether it ever was.
 */
export class HistoryPrefix {
  readonly #history: EffectiveHistory;
  readonly #items: number;
  readonly #target: PrefixTarget | null;
  /** With a target: the digest of each item the history may hold, by where it is stored. */
  readonly #stored = new Map<string, string>();
  #stopped = false;
  #reached: boolean;

  constructor(items: number, target: PrefixTarget | null = null) {
    this.#items = items;
    this.#target = target;
    this.#history = new EffectiveHistory(target === null ? { count: true } : { refs: true });
    this.#reached = target !== null && target.digests.length === 0;
  }

  /** Whether the prefix stopped before the end (then it holds no state record). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** With a target: whether the history was ever exactly the target's items. */
  get reached(): boolean {
    return this.#reached;
  }

  /** Whether `record` belongs to the prefix; false from the record of item `items + 1` on. */
  take(record: SourceRecord): boolean {
    if (this.#stopped) return false;
    const change = this.#change(record);
    if (change === null) return true;
    const full = this.#target === null
      ? change.adds && this.#history.items.length === this.#items
      : this.#reached;
    if (full) {
      this.#stopped = true;
      return false;
    }
    change.apply();
    if (this.#target !== null) this.#reached = this.#isTarget(this.#target);
    return true;
  }

  /** What `record` does to the history (as the loader reads it), or null when nothing. */
  #change(record: SourceRecord): { adds: boolean; apply: () => void } | null {
    const { payload, line } = record;
    const digest = this.#target?.digest;
    if (record.type === "response_item") {
      const check = checkItem(payload, "payload");
      if (!check.ok || check.item.type === "ghost_snapshot") return null;
      return {
        adds: true,
        apply: () => {
          if (digest !== undefined) this.#stored.set(`${line}:-1`, digest(check.item));
          this.#history.add(check.item, line);
        },
      };
    }
    if (record.type === "compacted") {
      if (!isObject(payload) || compactionProblem(payload) !== null) return null;
      return {
        adds: false,
        apply: () => {
          const replacement = payload.replacement_history;
          if (digest !== undefined && Array.isArray(replacement)) {
            replacement.forEach((entry, index) =>
              this.#stored.set(`${line}:${index}`, digest(entry))
            );
          }
          this.#history.compact(payload, line);
        },
      };
    }
    if (
      record.type === "event_msg" && isObject(payload) && payload.type === "thread_rolled_back" &&
      isTurnCount(payload.num_turns) && payload.num_turns > 0
    ) {
      const turns = payload.num_turns;
      return { adds: false, apply: () => void this.#history.rollBack(turns) };
    }
    return null;
  }

  /** Whether the history holds the target's items, in order. */
  #isTarget(target: PrefixTarget): boolean {
    const refs = this.#history.refs!;
    const want = target.digests;
    if (refs.length !== want.length) return false;
    // From the end: where two histories part, the newest items differ first.
    for (let i = refs.length - 1; i >= 0; i--) {
      const ref = refs[i]!;
      const got = "item" in ref
        ? target.digest(ref.item)
        : this.#stored.get(`${ref.line}:${ref.index}`);
      if (got !== want[i]) return false;
    }
    return true;
  }
}

/**
 * The first half of recording items: each is checked against its schema and encoded, before
 * anything touches a session. Split out of the recorder so the op stream can do it on its
 * parse thread; the result is plain data (strings and numbers) that crosses threads cheaply.
 */
import { parseJson } from "../base/mod.ts";
import { describe, type ErrorCode } from "./errors.ts";
import { checkItem, type ResponseItem } from "./items.ts";
import { messageEventText } from "./codex_events.ts";

/**
 * One item, checked: its encoded payload (JSON text, or its UTF-8 bytes), or null when the
 * persistence policy drops it.
 */
export interface PreparedItem {
  type: string;
  payload: string | Uint8Array | null;
  /**
   * The JSON text of the `event_msg` payload Codex writes beside a message (SPEC §6), or
   * null; line formats write it after the item.
   */
  mirror?: string | null;
  /** The checked value itself, when the caller keeps it (not sent across threads). */
  item?: ResponseItem;
}

/**
 * How messages name the items of a call: `"op.items"` names the third `op.items[2]`; `{one}`
 * names by `one` a call whose items stand for one thing the caller was given (`user_input`'s
 * items, recorded as one message: `op.items, as one user message`). Plain data, so prepared
 * items can cross threads.
 */
export type ItemsPlace = string | { one: string };

/** The name of item `index` of a call (see {@linkcode ItemsPlace}). */
export function itemPlace(where: ItemsPlace, index: number): string {
  return typeof where === "string" ? `${where}[${index}]` : where.one;
}

/**
 * Checked items, in order, up to the first that failed (`error`, naming it by `where`). The
 * recorder checks the encoded sizes of the items before the failure first, so the call
 * reports what checking the items one by one would have reported.
 */
export interface PreparedItems {
  where: ItemsPlace;
  items: PreparedItem[];
  error: { code: ErrorCode; message: string } | null;
  /**
   * Present when the items were redacted as they were prepared (`scrub`): the secrets
   * replaced, by rule; a recorder that redacts does not redact them again.
   */
  redacted?: Record<string, number>;
}

/**
 * A second look at each checked item before it is kept (redaction): given its encoded
 * payload and its value, returns a changed value to encode instead, or null to keep it.
 * It may only change string values, so the changed item still passes its schema.
 */
export type Scrub = (payload: string, item: ResponseItem) => ResponseItem | null;

const decoder = new TextDecoder();

/** The value of an encoded payload (JSON text or its UTF-8 bytes). */
export function payloadValue(payload: string | Uint8Array): unknown {
  return parseJson(typeof payload === "string" ? payload : decoder.decode(payload));
}

/**
 * Checks and encodes `items`. `keepItems` keeps each checked value next to its payload (the
 * recorder then holds it without decoding the payload again); `nestingChecked` says the caller
 * already knows the items nest at most MAX_NESTING levels; `scrub` may replace each item's
 * value before it is encoded for good (redaction).
 */
export function prepareItems(
  items: readonly unknown[],
  where: ItemsPlace,
  options: { keepItems: boolean; nestingChecked?: boolean; scrub?: Scrub },
): PreparedItems {
  const checkOptions = { nestingChecked: options.nestingChecked === true };
  const prepared: PreparedItem[] = [];
  for (let index = 0; index < items.length; index++) {
    const check = checkItem(items[index], itemPlace(where, index), checkOptions);
    if (!check.ok) {
      return {
        where,
        items: prepared,
        error: { code: "invalid_submission", message: check.message },
      };
    }
    const type = check.item.type;
    if (!check.persisted) {
      prepared.push({ type, payload: null });
      continue;
    }
    let item = check.item;
    let payload: string;
    try {
      payload = JSON.stringify(item);
      const scrubbed = options.scrub?.(payload, item) ?? null;
      if (scrubbed !== null) {
        item = scrubbed;
        payload = JSON.stringify(item);
      }
    } catch (error) {
      const message = `${itemPlace(where, index)}: cannot be encoded: ${describe(error)}`;
      return { where, items: prepared, error: { code: "invalid_argument", message } };
    }
    const mirror = messageEventText(item, payload);
    prepared.push(options.keepItems ? { type, payload, mirror, item } : { type, payload, mirror });
  }
  return { where, items: prepared, error: null };
}

/**
 * Redaction on the record path, for items prepared without it (the op stream's parse thread
 * when `proto` runs without `--redact` and a session that redacts is loaded): each payload
 * that may hold a secret is decoded, redacted and prepared again.
 */
import { redactingScrub } from "../redaction/mod.ts";
import {
  payloadValue,
  type PreparedItems,
  prepareItems,
  type ResponseItem,
} from "../schemas/mod.ts";

const decoder = new TextDecoder();

/** `prepared` with its items redacted and the counts in `redacted`. */
export function redactPrepared(prepared: PreparedItems): PreparedItems {
  const counts: Record<string, number> = {};
  const scrub = redactingScrub<ResponseItem>(() => counts);
  const items = prepared.items.map((entry) => {
    if (entry.payload === null) return entry;
    const text = typeof entry.payload === "string" ? entry.payload : decoder.decode(entry.payload);
    const item = scrub(text, entry.item ?? payloadValue(text) as ResponseItem);
    if (item === null) return entry;
    // Prepared again from the redacted value: its payload and its event mirror both change.
    const again = prepareItems([item], prepared.where, {
      keepItems: entry.item !== undefined,
      nestingChecked: true,
    });
    return again.items[0] ?? entry;
  });
  return { ...prepared, items, redacted: counts };
}

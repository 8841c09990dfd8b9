/**
 * Redaction of decoded values (items, records, metas): every string inside, never a key or
 * the structure; a value without secrets comes back as the same object, so callers can tell
 * cheaply whether anything changed.
 */
import { addCounts, type RedactionCounts, totalRedacted } from "./counts.ts";
import { mayHoldSecret } from "./prefilter.ts";
import { redactMember, redactText } from "./redact_text.ts";

/**
 * `value` with every string inside redacted, counted into `counts`. Copy on write: objects
 * and arrays without a secret are returned as they are; changed ones are shallow copies
 * (own keys such as `__proto__` stay plain fields).
 */
export function redactValue<T>(value: T, counts: RedactionCounts): T {
  if (typeof value === "string") return redactText(value, counts) as T;
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const field: unknown = value[i];
      const clean = redactValue(field, counts);
      if (clean === field) continue;
      copy ??= value.slice();
      copy[i] = clean;
    }
    return (copy ?? value) as T;
  }
  const object = value as Record<string, unknown>;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(object)) {
    const field = object[key];
    // A string field is read with its key as context (`env: {DB_PASSWORD: "x"}`).
    const clean = typeof field === "string"
      ? redactMember(key, field, counts)
      : redactValue(field, counts);
    if (clean === field) continue;
    copy ??= { ...object };
    Object.defineProperty(copy, key, {
      value: clean,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return (copy ?? value) as T;
}

/** An item with its secrets replaced, and what was replaced by rule. */
export function redactItem<T>(item: T): { item: T; counts: RedactionCounts } {
  const counts: RedactionCounts = {};
  return { item: redactValue(item, counts), counts };
}

/** The JSON text above which an item's strings are searched one by one, not its text. */
const LARGE = 64 * 1024;

/**
 * A scrub for items being encoded (the record path): given an item and its JSON text, the
 * redacted item, or null when it holds no secret. The JSON text is searched first, in one
 * pass, so an item without a secret costs that pass alone and allocates nothing: what is
 * replaced is counted into `countsOf()`, asked only when there is something to count.
 */
export function redactingScrub<T>(
  countsOf: () => RedactionCounts,
): (payload: string, item: T) => T | null {
  return (payload, item) => {
    // A large item (an image inside) is searched string by string, images passed over.
    if (payload.length < LARGE && !mayHoldSecret(payload)) return null;
    const found: RedactionCounts = {};
    const clean = redactValue(item, found);
    if (clean === item) return null;
    addCounts(countsOf(), found);
    return clean;
  };
}

/**
 * Redaction of a stream of values (the items of an export, the records of a copy), counting
 * everything it replaced; one per output.
 */
export class Redactor {
  readonly counts: RedactionCounts = {};

  /** `value` with its secrets replaced (the same object when it holds none). */
  value<T>(value: T): T {
    return redactValue(value, this.counts);
  }

  /** Adds counts made elsewhere (another thread, another redactor). */
  add(counts: Readonly<RedactionCounts>): void {
    addCounts(this.counts, counts);
  }

  /** Secrets replaced so far. */
  get total(): number {
    return totalRedacted(this.counts);
  }
}

/**
 * Deterministic response items for the crash and fault campaigns: varied types, sizes from
 * 16 B to 1 MiB, multi-byte text (2-, 3- and 4-byte UTF-8) and characters JSON must escape.
 */
import type { SeededRandom } from "./seeded_random.ts";

/** A generated item and its canonical JSON (what the journal must hold byte for byte). */
export interface GeneratedItem {
  item: Record<string, unknown>;
  json: string;
}

/** The smallest and largest text of a generated item, in UTF-8 bytes. */
export const MIN_ITEM_BYTES = 16;
export const MAX_ITEM_BYTES = 1024 * 1024;

const PIECES = [
  "a",
  "b",
  "z",
  " ",
  "é",
  "ß",
  "中",
  "文",
  "😀",
  "🦀",
  '"',
  "\\",
  "\n",
  "\t",
  "\u0001",
];
const encoder = new TextEncoder();

/** Text of exactly `bytes` UTF-8 bytes (at least the label's), starting with `label`. */
export function generateText(rng: SeededRandom, label: string, bytes: number): string {
  const parts = [label];
  let size = encoder.encode(label).length;
  while (size < bytes) {
    const start = rng.int(0, POOL_PIECES - 1);
    const end = pieceEndWithin(start, bytes - size);
    if (end === start) {
      parts.push("x".repeat(bytes - size));
      break;
    }
    parts.push(pool.text.slice(pool.charAt[start], pool.charAt[end]));
    size += pool.byteAt[end]! - pool.byteAt[start]!;
  }
  return parts.join("");
}

/** A fixed pool of random pieces that texts are cut from (cheap even for 1 MiB texts). */
const POOL_PIECES = 1 << 16;
const pool = buildPool();

function buildPool(): { text: string; charAt: Uint32Array; byteAt: Uint32Array } {
  let state = 0x9e3779b9;
  const charAt = new Uint32Array(POOL_PIECES + 1);
  const byteAt = new Uint32Array(POOL_PIECES + 1);
  const parts: string[] = [];
  for (let i = 0; i < POOL_PIECES; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const piece = PIECES[state % PIECES.length]!;
    parts.push(piece);
    charAt[i + 1] = charAt[i]! + piece.length;
    byteAt[i + 1] = byteAt[i]! + encoder.encode(piece).length;
  }
  return { text: parts.join(""), charAt, byteAt };
}

/** The furthest piece index `end` after `start` whose bytes from `start` fit in `room`. */
function pieceEndWithin(start: number, room: number): number {
  let low = start;
  let high = POOL_PIECES;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (pool.byteAt[mid]! - pool.byteAt[start]! <= room) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** One item whose text is `bytes` long; the key order is the one the writer keeps. */
export function generateItem(rng: SeededRandom, label: string, bytes: number): GeneratedItem {
  const text = generateText(rng, label, bytes);
  let item: Record<string, unknown>;
  switch (rng.int(0, 3)) {
    case 0:
      item = { type: "message", role: "user", content: [{ type: "input_text", text }] };
      break;
    case 1:
      item = { type: "message", role: "assistant", content: [{ type: "output_text", text }] };
      break;
    case 2:
      item = {
        type: "function_call",
        name: "shell",
        arguments: JSON.stringify({ command: ["echo", text] }),
        call_id: `call_${label}`,
      };
      break;
    default:
      item = { type: "function_call_output", call_id: `call_${label}`, output: text };
  }
  return { item, json: JSON.stringify(item) };
}

/**
 * An endless, repeatable stream of items labelled `<prefix><n>:`: sizes spread over the
 * orders of magnitude from 16 B to `maxBytes` (default 1 MiB), except a `largeShare` of them
 * (default 0) drawn evenly from the top quarter, which makes writes long enough to be hit.
 */
export function* itemStream(
  rng: SeededRandom,
  options: { prefix: string; maxBytes?: number; largeShare?: number },
): Generator<GeneratedItem> {
  const max = options.maxBytes ?? MAX_ITEM_BYTES;
  const large = options.largeShare ?? 0;
  for (let n = 0;; n++) {
    const size = rng.chance(large) ? rng.int(max / 4, max) : rng.logInt(MIN_ITEM_BYTES, max);
    yield generateItem(rng, `${options.prefix}${n}:`, size);
  }
}

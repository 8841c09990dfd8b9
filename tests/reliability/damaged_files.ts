/**
 * Generated damaged rollout files for the fuzz tier: well-formed files of every format,
 * written here byte by byte, then cut, flipped, overwritten, shuffled or replaced.
 */
import type { SeededRandom } from "./seeded_random.ts";

const encoder = new TextEncoder();
const ID = "019abc00-0000-7000-8000-00000000f022";
const TS = "2026-11-26T11:15:28.123Z";

function item(rng: SeededRandom, n: number): Record<string, unknown> {
  const text = `m${n} ` + "é中😀ab".repeat(rng.int(0, 20));
  return rng.pick<Record<string, unknown>>([
    { type: "message", role: "user", content: [{ type: "input_text", text }] },
    { type: "function_call", name: "shell", arguments: "{}", call_id: `c${n}` },
    { type: "function_call_output", call_id: `c${n}`, output: text },
    { type: "reasoning", summary: [] },
  ]);
}

/** A well-formed rollout of one of the formats SPEC §2.3 lists. */
export function wellFormedRollout(rng: SeededRandom): Uint8Array {
  const items = Array.from({ length: rng.int(0, 8) }, (_, n) => item(rng, n));
  const meta = { id: ID, timestamp: TS, instructions: "Be terse." };
  let text: string;
  switch (rng.int(0, 3)) {
    case 0: {
      const lines = [{ timestamp: TS, ordinal: 0, type: "session_meta", payload: meta }];
      items.forEach((payload, i) =>
        lines.push({
          timestamp: TS,
          ordinal: i + 1,
          type: "response_item",
          payload: payload as typeof meta,
        })
      );
      text = lines.map((l) => JSON.stringify(l) + "\n").join("");
      break;
    }
    case 1:
      text = JSON.stringify(
        { session: meta, items, state: { previous_response_id: "r1" } },
        null,
        2,
      );
      break;
    case 2:
      text = [meta, ...items, { record_type: "state", previous_response_id: null }]
        .map((l) => JSON.stringify(l) + "\n").join("");
      break;
    default: {
      const codexMeta = { id: ID, timestamp: TS, cwd: "/", base_instructions: { text: "Hi" } };
      const lines = [{ timestamp: TS, type: "session_meta", payload: codexMeta }];
      for (const payload of items) {
        lines.push({ timestamp: TS, type: "response_item", payload: payload as typeof codexMeta });
      }
      lines.push({
        timestamp: TS,
        type: "turn_context",
        payload: { cwd: "/" } as typeof codexMeta,
      });
      text = lines.map((l) => JSON.stringify(l) + "\n").join("");
    }
  }
  return encoder.encode(text);
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

function lines(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) {
      out.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Applies one random kind of damage; returns the new bytes and the damage's name. */
export function damage(rng: SeededRandom, bytes: Uint8Array): { bytes: Uint8Array; kind: string } {
  const at = rng.int(0, bytes.length);
  switch (rng.int(0, 13)) {
    case 0:
      return { kind: "cut", bytes: bytes.slice(0, at) };
    case 1: {
      const out = bytes.slice();
      if (out.length > 0) out[Math.min(at, out.length - 1)]! ^= 1 << rng.int(0, 7);
      return { kind: "bit flip", bytes: out };
    }
    case 2:
      return {
        kind: "random overwrite",
        bytes: splice(
          bytes,
          at,
          Math.min(rng.int(1, 64), bytes.length - at),
          rng.bytes(rng.int(1, 64)),
        ),
      };
    case 3:
      return { kind: "zeros", bytes: splice(bytes, at, 0, new Uint8Array(rng.int(1, 4096))) };
    case 4: {
      const bad = rng.pick([[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]]);
      return { kind: "invalid UTF-8", bytes: splice(bytes, at, 0, new Uint8Array(bad)) };
    }
    case 5:
      return { kind: "NUL", bytes: splice(bytes, at, 0, new Uint8Array([0])) };
    case 6: {
      const ls = lines(bytes);
      if (ls.length < 2) return { kind: "cut", bytes: bytes.slice(0, at) };
      const i = rng.int(0, ls.length - 1);
      const j = rng.int(0, ls.length - 1);
      const op = rng.int(0, 2);
      if (op === 0) ls.splice(i, 0, ls[j]!);
      else if (op === 1) ls.splice(i, 1);
      else [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      return { kind: ["duplicate line", "missing line", "swapped lines"][op]!, bytes: join(ls) };
    }
    case 7:
      return { kind: "BOM", bytes: join([new Uint8Array([0xef, 0xbb, 0xbf]), bytes]) };
    case 8: {
      const text = new TextDecoder().decode(bytes).replaceAll("\n", "\r\n");
      return { kind: "CRLF", bytes: encoder.encode(text) };
    }
    case 9: {
      const depth = rng.int(1000, 100_000);
      const line = encoder.encode(
        `{"timestamp":"${TS}","type":"response_item","payload":${"[".repeat(depth)}${
          "]".repeat(depth)
        }}\n`,
      );
      return { kind: "deep nesting", bytes: join([bytes, line]) };
    }
    case 10:
      return { kind: "garbage tail", bytes: join([bytes, rng.bytes(rng.int(1, 100))]) };
    case 11:
      return {
        kind: "object without newline",
        bytes: join([bytes, encoder.encode('{"timestamp":"x","type":"state","payload":{}}')]),
      };
    case 12:
      return {
        kind: "long line",
        bytes: join([bytes, encoder.encode(`{"x":"${"a".repeat(rng.int(4000, 20000))}"}\n`)]),
      };
    default: {
      const whole = rng.pick([
        "",
        "{}",
        "[]",
        "null",
        "42",
        '"text"',
        "{\n",
        '{"session":{},"items":5}',
        '{"id":7}\n{"type":"message"}\n',
      ]);
      return {
        kind: "replaced",
        bytes: rng.chance(0.2) ? rng.bytes(rng.int(1, 500)) : encoder.encode(whole),
      };
    }
  }
}

/** A well-formed rollout with one to three pieces of damage. */
export function damagedRollout(rng: SeededRandom): { bytes: Uint8Array; kinds: string[] } {
  let bytes = wellFormedRollout(rng);
  const kinds: string[] = [];
  for (let n = rng.int(1, 3); n > 0; n--) {
    const next = damage(rng, bytes);
    bytes = next.bytes;
    kinds.push(next.kind);
  }
  return { bytes, kinds };
}

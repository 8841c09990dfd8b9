/**
 * Seeded randomness for property tests: a small PRNG and generators of hostile strings and
 * items. A failing property prints its seed; `ROLLOUT_SEED=<n>` replays it.
 */
import { SeededRandom } from "./reliability/seeded_random.ts";

/** A deterministic generator of floats in [0, 1) (mulberry32, see SeededRandom). */
export function prng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** The seed of this run: `ROLLOUT_SEED` if set, else the clock. */
export function runSeed(): number {
  const given = process.env.ROLLOUT_SEED;
  return given !== undefined && given !== "" ? Number(given) : Date.now() % 2 ** 31;
}

/** Runs `body`; if it throws, the error names the seed that replays it. */
export function withSeed(seed: number, body: () => void | Promise<void>): Promise<void> {
  return Promise.resolve()
    .then(body)
    .catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`property failed with ROLLOUT_SEED=${seed}: ${message}`, { cause: error });
    });
}

/** Random bytes of `length`, never `\n` unless `newlines` is true. */
export function randomBytes(rand: () => number, length: number, newlines = false): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    let b = Math.floor(rand() * 256);
    if (!newlines && b === 10) b = 11;
    out[i] = b;
  }
  return out;
}

const PIECES = ['"', "\\", "\n", "\r", "\t", "\u0000", "\u001f", "\u2028", "é", "€", "🎉", "𝄞"];

/** A string mixing ASCII, quotes, backslashes, control chars, BMP and astral chars, lone surrogates. */
export function randomString(rand: () => number, maxLength = 40): string {
  const length = Math.floor(rand() * maxLength);
  let out = "";
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (r < 0.4) out += String.fromCharCode(32 + Math.floor(rand() * 95));
    else if (r < 0.7) out += PIECES[Math.floor(rand() * PIECES.length)];
    else if (r < 0.8) out += String.fromCharCode(Math.floor(rand() * 32));
    else if (r < 0.9) out += String.fromCodePoint(0x10000 + Math.floor(rand() * 0xfffff));
    else if (r < 0.95) out += String.fromCharCode(0xd800 + Math.floor(rand() * 0x800));
    else out += String.fromCharCode(0x80 + Math.floor(rand() * 0xd000));
  }
  return out;
}

/** A random JSON value nested up to `depth`. */
export function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth <= 0 || r < 0.3) return randomString(rand, 12);
  if (r < 0.4) return Math.floor(rand() * 2 ** 40) - 2 ** 39;
  if (r < 0.45) return rand() * 1e6;
  if (r < 0.5) return rand() < 0.5;
  if (r < 0.55) return null;
  if (r < 0.75) {
    return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth - 1));
  }
  const out: Record<string, unknown> = {};
  const keys = Math.floor(rand() * 4);
  for (let i = 0; i < keys; i++) out[randomString(rand, 8)] = randomValue(rand, depth - 1);
  return out;
}

/** A random persisted item of one of the SPEC §2.4 types, with random extra fields. */
export function randomItem(rand: () => number): Record<string, unknown> {
  const s = () => randomString(rand);
  const pick = Math.floor(rand() * 6);
  let item: Record<string, unknown>;
  switch (pick) {
    case 0:
      item = {
        type: "message",
        role: rand() < 0.5 ? "user" : "assistant",
        content: [{ type: "input_text", text: s() }, { type: "output_text", text: s() }],
      };
      break;
    case 1:
      item = {
        type: "function_call",
        name: s(),
        arguments: JSON.stringify(randomValue(rand, 3)),
        call_id: s(),
      };
      break;
    case 2:
      item = { type: "function_call_output", call_id: s(), output: s() };
      break;
    case 3:
      item = {
        type: "local_shell_call",
        id: null,
        call_id: s(),
        status: "completed",
        action: { type: "exec", command: [s(), s()], env: { [s()]: s() } },
      };
      break;
    case 4:
      item = { type: "custom_tool_call", call_id: s(), name: s(), input: s() };
      break;
    default:
      item = { type: "custom_tool_call_output", call_id: s(), output: randomValue(rand, 4) };
  }
  if (rand() < 0.5) item[`x_${Math.floor(rand() * 100)}`] = randomValue(rand, 5);
  return item;
}

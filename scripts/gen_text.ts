/**
 * Deterministic text for generated homes (scripts/gen_home.ts): a seeded generator, a
 * vocabulary drawn with a Zipf-like law (common words and rare ones), prose, shell outputs and
 * incompressible screenshots. Pure: no file system. Not shipped.
 */

/** A small seeded pseudo-random generator (mulberry32): the same seed, the same home. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** Whether an event of probability `p` happens. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of `list`. */
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.float() * list.length)]!;
  }

  /** A normally distributed float (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.float())) * Math.cos(2 * Math.PI * this.float());
  }

  /** `n` lowercase hex digits. */
  hex(n: number): string {
    let out = "";
    while (out.length < n) out += this.u32().toString(16).padStart(8, "0");
    return out.slice(0, n);
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.u32();
    return new Uint8Array(words.buffer, 0, n);
  }
}

/** The most frequent words, most frequent first: English and a coder's words. */
const COMMON = [
  ...new Set((
    "the to a of and is in it that for this we i you be on with not file test as are " +
    "can function if from should error now let me check run build code will at an or " +
    "it's by but so all then type src use have there add which one new fix value line " +
    "return was need into data see make also path config when do its just change output " +
    "call update so first command tests string what import export module work only more " +
    "case name any here user default like other instead still because looks missing " +
    "could both after error's passes fails already now directory version index result " +
    "current server request response option handler async await promise object array " +
    "null undefined true false const class interface method field parse write read " +
    "open close stream buffer bytes length size count list map set key cache lock " +
    "commit branch merge diff patch review script shell node deno bun npm package " +
    "dependency install compile lint format check types schema query search session"
  ).split(" ")),
];

/** Mid-frequency words a phrase is made of (placed at fixed ranks, see Vocabulary). */
export const PHRASE_WORDS = ["stale", "lockfile"] as const;

/** A few words outside ASCII, as real transcripts have them. */
const UNICODE = ["naïve", "café", "→", "✓", "—", "résumé", "日本語", "ünïcode", "€", "…"];

const ONSETS = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl pr sk sl sp st tr ch sh th"
  .split(" ");
const VOWELS = "a e i o u ai ea ee io ou oa".split(" ");
const CODAS = " n r s t l m x nd st rk ng ck".split(" ");

const DECODER = new TextDecoder();

/** Words per prose fragment. */
const FRAGMENT = 4;

/** Options of {@linkcode Vocabulary}. */
export interface VocabularyOptions {
  /** How many distinct words (default 40,000). */
  size?: number;
  /** The Zipf exponent (default 1.0: English). */
  exponent?: number;
}

/**
 * Words of a Zipf-like law: the word of rank r comes with probability ∝ 1 / r^s. Ranks past
 * the common words are made-up words of syllables without the letter "q", so a word with a
 * "q" (the planted rare word) appears nowhere else.
 */
export class Vocabulary {
  readonly words: string[];
  /** 2^20 slots, each a rank: a draw is one random number and one look-up. */
  readonly #table: Uint32Array;
  readonly #rng: Rng;
  #pool: { bytes: Uint8Array; starts: Uint32Array } | undefined;
  #scratch = new Uint8Array(1 << 16);

  constructor(rng: Rng, options: VocabularyOptions = {}) {
    this.#rng = rng;
    const size = options.size ?? 40_000;
    const s = options.exponent ?? 1.0;
    const seen = new Set<string>(COMMON);
    const words = [...COMMON];
    const made = new Rng(0x5eed);
    while (words.length < size) {
      let w = "";
      const syllables = made.int(1, 3);
      for (let i = 0; i < syllables; i++) {
        w += made.pick(ONSETS) + made.pick(VOWELS) + (made.chance(0.4) ? made.pick(CODAS) : "");
      }
      if (w.length < 3 || seen.has(w)) continue;
      seen.add(w);
      words.push(w);
    }
    words.splice(1500, 0, PHRASE_WORDS[0]);
    words.splice(2500, 0, PHRASE_WORDS[1]);
    for (let i = 0; i < UNICODE.length; i++) words.splice(3000 + i * 700, 0, UNICODE[i]!);
    words.length = size;
    this.words = words;
    const weights = words.map((_, r) => 1 / Math.pow(r + 1, s));
    const total = weights.reduce((a, b) => a + b, 0);
    const slots = 1 << 20;
    this.#table = new Uint32Array(slots);
    let cumulative = 0;
    let rank = 0;
    for (let j = 0; j < slots; j++) {
      const at = (j + 0.5) / slots;
      while (rank < size - 1 && (cumulative + weights[rank]!) / total < at) {
        cumulative += weights[rank]!;
        rank++;
      }
      this.#table[j] = rank;
    }
  }

  /** The rank of one random word. */
  rank(): number {
    return this.#table[this.#rng.u32() >>> 12]!;
  }

  /** One random word. */
  word(): string {
    return this.words[this.rank()]!;
  }

  /**
   * About `n` words as prose: sentences of 4–16 words, paragraphs now and then. Made of
   * fragments of {@linkcode FRAGMENT} words drawn once from the law (2^18 of them, fresh for
   * each seed) and copied as bytes, so a gigabyte takes seconds; the words keep their
   * frequencies.
   */
  prose(n: number): string {
    const r = this.#rng;
    const { bytes, starts } = this.#pool ??= this.#fragments();
    const count = Math.max(1, Math.ceil(n / FRAGMENT));
    if (this.#scratch.length < count * 64) this.#scratch = new Uint8Array(count * 128);
    const out = this.#scratch;
    let at = 0;
    for (let k = 0; k < count; k++) {
      const u = r.u32();
      if (k > 0) {
        if ((u & 3) === 0) out[at++] = 0x2e; // "."
        if ((u & 0x73) === 0) out[at++] = 0x0a, out[at++] = 0x0a;
        else out[at++] = 0x20;
      }
      const f = u >>> 14;
      for (let j = starts[f]!, end = starts[f + 1]!; j < end; j++) out[at++] = bytes[j]!;
    }
    return DECODER.decode(out.subarray(0, at));
  }

  #fragments(): { bytes: Uint8Array; starts: Uint32Array } {
    const count = 1 << 18;
    const text: string[] = [];
    const starts = new Uint32Array(count + 1);
    let at = 0;
    for (let i = 0; i < count; i++) {
      let f = this.words[this.rank()]!;
      for (let w = 1; w < FRAGMENT; w++) f += " " + this.words[this.rank()]!;
      text.push(f);
      starts[i] = at;
      at += Buffer.byteLength(f);
    }
    starts[count] = at;
    return { bytes: new TextEncoder().encode(text.join("")), starts };
  }

  /** A file path of 2–4 parts. */
  path(ext?: string): string {
    const parts = ["src"];
    for (let i = this.#rng.int(1, 3); i > 0; i--) parts.push(this.word().replace(/\W/g, "x"));
    return `${parts.join("/")}.${ext ?? this.#rng.pick(["ts", "rs", "py", "md", "json", "go"])}`;
  }

  /** A shell command and its output of about `bytes`, in one of the shapes tools print. */
  shell(bytes: number): { command: string; output: string; exitCode: number } {
    const r = this.#rng;
    const lines: string[] = [];
    let length = 0;
    const push = (line: string) => {
      lines.push(line);
      length += line.length + 1;
    };
    const kind = r.int(0, 5);
    let command: string;
    let exitCode = 0;
    switch (kind) {
      case 0:
        command = `rg -n ${this.word()} src`;
        while (length < bytes) {
          push(`${this.path()}:${r.int(1, 900)}:    ${this.prose(r.int(4, 14))}`);
        }
        break;
      case 1:
        command = "ls -la";
        while (length < bytes) {
          push(
            `-rw-r--r--  1 dev dev ${String(r.int(80, 99999)).padStart(6)} Nov ${r.int(1, 30)} ${
              r.int(10, 23)
            }:${r.int(10, 59)} ${this.path()}`,
          );
        }
        break;
      case 2:
        command = "npm test";
        for (let i = 1; length < bytes; i++) {
          const ok = r.chance(0.95);
          if (!ok) exitCode = 1;
          push(`${ok ? "ok" : "not ok"} ${i} - ${this.prose(r.int(3, 9))} (${r.int(1, 900)}ms)`);
          if (!ok) push(`  ---\n  message: '${this.prose(r.int(5, 15))}'\n  at: ${this.path()}`);
        }
        break;
      case 3:
        command = "npx tsc --noEmit";
        exitCode = 2;
        while (length < bytes) {
          push(
            `${this.path("ts")}(${r.int(1, 500)},${r.int(1, 80)}): error TS${r.int(2000, 2999)}: ${
              this.prose(r.int(6, 16))
            }`,
          );
        }
        break;
      case 4: {
        const file = this.path();
        command = `git diff ${file}`;
        push(`diff --git a/${file} b/${file}\nindex ${r.hex(7)}..${r.hex(7)} 100644`);
        while (length < bytes) {
          push(`@@ -${r.int(1, 400)},7 +${r.int(1, 400)},8 @@`);
          for (let i = 0; i < 6; i++) {
            push(`${r.pick([" ", " ", "-", "+"])}  ${this.code()}`);
          }
        }
        break;
      }
      default:
        command = `sed -n 1,200p ${this.path()}`;
        while (length < bytes) push(this.code());
    }
    return { command, output: lines.join("\n"), exitCode };
  }

  /** One line of code-like text. */
  code(): string {
    const r = this.#rng;
    const w = () => this.word().replace(/\W/g, "x");
    switch (r.int(0, 3)) {
      case 0:
        return `  const ${w()} = ${w()}(${w()}, ${w()});`;
      case 1:
        return `  if (${w()}.${w()} === ${w()}) return ${w()};`;
      case 2:
        return `  // ${this.prose(r.int(4, 12))}`;
      default:
        return `export function ${w()}(${w()}: ${w()}): ${w()} {`;
    }
  }
}

/**
 * A screenshot as a data URL of `bytes` characters: a PNG signature and header, then random
 * bytes (as deflated pixels are), base64: nothing in it compresses except by repetition.
 */
export function screenshot(rng: Rng, bytes: number): string {
  const raw = rng.bytes(Math.floor((bytes * 3) / 4));
  raw.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  return `data:image/png;base64,${Buffer.from(raw).toString("base64")}`;
}

/** Opaque base64, as Codex's `encrypted_content` of reasoning is. */
export function opaque(rng: Rng, bytes: number): string {
  return Buffer.from(rng.bytes(Math.floor((bytes * 3) / 4))).toString("base64");
}

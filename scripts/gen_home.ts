/**
 * Generates a Codex home for the index and archive benchmarks (B9, B10): N sessions of about
 * S bytes in all under `<home>/sessions/YYYY/MM/DD/`, deterministic from a seed, in the formats
 * real homes hold (Codex envelope files, our journal, `.json` documents, Codex 2025 bare
 * files, `.jsonl.zst`), with a planted rare word and phrase to search. Streams: memory stays
 * bounded whatever the size. Not shipped.
 *
 *   deno run -A scripts/gen_home.ts HOME [--sessions 10000] [--size 1GB] [--seed 1]
 *        [--flavour mixed|images|text] [--zst-share 0.05] [--days 365] [--force]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as zlib from "node:zlib";
import { type RecordSink, writeSession } from "./gen_session.ts";
import { PHRASE_WORDS, Rng, Vocabulary } from "./gen_text.ts";

/** The file formats of a generated home. */
export type HomeFormat = "codex" | "journal" | "document" | "bare2025" | "zst";

/** `mixed`: a few sessions with screenshots; `images`: all of them; `text`: none. */
export type Flavour = "mixed" | "images" | "text";

/** Options of {@linkcode generateHome}. */
export interface HomeOptions {
  sessions: number;
  /** Total bytes of the sessions, uncompressed. */
  bytes: number;
  seed: number;
  flavour: Flavour;
  /** Shares of sessions in each format other than Codex's envelope. */
  zstShare: number;
  journalShare: number;
  documentShare: number;
  bareShare: number;
  /** The sessions start within this many days before `end`. */
  days: number;
  end: string;
  /** In how many sessions the rare word is planted. */
  rareSessions: number;
  /** In how many sessions the phrase is planted. */
  phraseSessions: number;
}

/** What {@linkcode generateHome} wrote and where the planted words are. */
export interface HomeReport {
  home: string;
  sessions: number;
  formats: Record<HomeFormat, number>;
  /** Bytes of the sessions uncompressed, and on disk (the `.zst` files compressed). */
  plainBytes: number;
  diskBytes: number;
  images: number;
  compactions: number;
  rare: { word: string; sessions: { id: string; format: HomeFormat; file: string }[] };
  phrase: { text: string; sessions: number };
  common: { word: string };
  /** The largest session written, uncompressed. */
  largestBytes: number;
  seconds: number;
}

/** The rare word: it has a "q", which no made-up word of the vocabulary has. */
export const RARE_WORD = "zanquorix";
/** A word in nearly every session. */
export const COMMON_WORD = "build";
/** Two mid-frequency words, next to each other only where planted. */
export const PHRASE = PHRASE_WORDS.join(" ");

const DEFAULTS: HomeOptions = {
  sessions: 10_000,
  bytes: 1e9,
  seed: 1,
  flavour: "mixed",
  zstShare: 0.05,
  journalShare: 0.1,
  documentShare: 0.01,
  bareShare: 0.02,
  days: 365,
  end: "2026-11-30T00:00:00.000Z",
  rareSessions: 7,
  phraseSessions: 0,
};

/** A sink that encodes records in one line format and hands the text to `out`. */
class LineSink implements RecordSink {
  bytes = 0;
  #ordinal = 0;
  constructor(readonly format: HomeFormat, readonly out: (text: string) => void) {}

  record(type: string, payload: Record<string, unknown>, timestamp: string): void {
    let line: string;
    if (this.format === "bare2025") {
      if (type === "session_meta") {
        const { id, timestamp, git } = payload;
        line = JSON.stringify({ id, timestamp, instructions: null, git });
      } else if (type === "response_item") line = JSON.stringify(payload);
      else return;
    } else {
      const ordinal = this.format === "journal" ? `"ordinal":${this.#ordinal++},` : "";
      line = `{"timestamp":"${timestamp}",${ordinal}"type":"${type}","payload":${
        JSON.stringify(payload)
      }}`;
    }
    this.emit(line + "\n");
  }

  turnEnd(): void {
    if (this.format === "bare2025") this.emit('{"record_type":"state"}\n');
  }

  emit(text: string): void {
    this.bytes += Buffer.byteLength(text);
    this.out(text);
  }
}

/** A sink for the `.json` document of the TypeScript CLI: items kept, written at the end. */
class DocumentSink implements RecordSink {
  bytes = 0;
  session: Record<string, unknown> = {};
  items: unknown[] = [];

  record(type: string, payload: Record<string, unknown>): void {
    if (type === "session_meta") {
      this.session = { id: payload.id, timestamp: payload.timestamp, instructions: "" };
    } else if (type === "response_item") {
      this.items.push(payload);
      this.bytes += JSON.stringify(payload).length + 8;
    }
  }

  turnEnd(): void {}

  text(): string {
    return JSON.stringify({ session: this.session, items: this.items, state: {} }, null, 2) +
      "\n";
  }
}

/** Writes text to a file through a 1 MiB buffer. */
class FileOut {
  readonly fd: number;
  #pending: string[] = [];
  #size = 0;
  constructor(file: string) {
    this.fd = fs.openSync(file, "w", 0o600);
  }
  write = (text: string): void => {
    this.#pending.push(text);
    this.#size += text.length;
    if (this.#size >= 1 << 20) this.flush();
  };
  flush(): void {
    if (this.#pending.length > 0) fs.writeSync(this.fd, this.#pending.join(""));
    this.#pending = [];
    this.#size = 0;
  }
  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

function uuidAt(rng: Rng, ms: number): string {
  const t = ms.toString(16).padStart(12, "0");
  const r = rng.hex(18);
  return `${t.slice(0, 8)}-${t.slice(8)}-7${r.slice(0, 3)}-${"89ab"[rng.int(0, 3)]}${
    r.slice(3, 6)
  }-${r.slice(6)}`;
}

function fileOf(home: string, start: number, id: string, format: HomeFormat): string {
  const iso = new Date(start).toISOString();
  const dir = path.join(home, "sessions", iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10));
  if (format === "document") return path.join(dir, `rollout-${iso.slice(0, 10)}-${id}.json`);
  const stamp = iso.slice(0, 19).replaceAll(":", "-");
  return path.join(dir, `rollout-${stamp}-${id}.jsonl${format === "zst" ? ".zst" : ""}`);
}

/** The format of the session at `u` (0 oldest, 1 newest): old ones are older formats. */
function formatAt(rng: Rng, u: number, o: HomeOptions): HomeFormat {
  if (u < o.documentShare) return "document";
  if (u < o.documentShare + o.bareShare) return "bare2025";
  if (rng.chance(o.journalShare)) return "journal";
  // Codex compresses cold sessions: the compressed ones are among the older 60 %.
  return u < 0.6 && rng.chance(o.zstShare / 0.6) ? "zst" : "codex";
}

/** Writes a home of `options.sessions` sessions under `home` (which must not hold sessions). */
export function generateHome(home: string, given: Partial<HomeOptions> = {}): HomeReport {
  const started = performance.now();
  const o: HomeOptions = { ...DEFAULTS, ...given };
  if (o.phraseSessions === 0) o.phraseSessions = Math.max(1, Math.round(o.sessions / 100));
  const rng = new Rng(o.seed);
  const vocabulary = new Vocabulary(rng);
  const end = Date.parse(o.end);
  const starts = Array.from({ length: o.sessions }, () => end - rng.float() * o.days * 86_400_000)
    .sort((a, b) => a - b).map(Math.floor);
  const spread = o.flavour === "images" ? 0.6 : 1.4;
  const raw = starts.map(() => Math.exp(spread * rng.normal()));
  const scale = o.bytes / raw.reduce((a, b) => a + b, 0);
  const formats = starts.map((_, i) => formatAt(rng, i / o.sessions, o));
  const imagesIn = starts.map(() =>
    o.flavour === "images" || (o.flavour === "mixed" && rng.chance(0.03))
  );
  const plants = starts.map((): string[] => []);
  const rare = new Set<number>();
  for (const wanted of ["zst", "journal", "document"] as const) {
    const candidates = formats.flatMap((f, i) => (f === wanted ? [i] : []));
    if (candidates.length > 0 && rare.size < o.rareSessions - 1) rare.add(rng.pick(candidates));
  }
  while (rare.size < Math.min(o.rareSessions, o.sessions)) rare.add(rng.int(0, o.sessions - 1));
  for (const i of rare) plants[i]!.push(`look at the ${RARE_WORD} warning in the log`);
  for (let n = 0; n < Math.min(o.phraseSessions, o.sessions); n++) {
    const i = rng.int(0, o.sessions - 1);
    if (plants[i]!.some((p) => p.includes(PHRASE))) n--;
    else plants[i]!.push(`remove the ${PHRASE} before the install`);
  }
  const projects = Array.from({ length: 12 }, () => vocabulary.words[rng.int(300, 3000)]!)
    .map((name) => `/home/dev/src/${name.replace(/\W/g, "x")}`);
  const report: HomeReport = {
    home,
    sessions: o.sessions,
    formats: { codex: 0, journal: 0, document: 0, bare2025: 0, zst: 0 },
    plainBytes: 0,
    diskBytes: 0,
    images: 0,
    compactions: 0,
    rare: { word: RARE_WORD, sessions: [] },
    phrase: { text: PHRASE, sessions: Math.min(o.phraseSessions, o.sessions) },
    common: { word: COMMON_WORD },
    largestBytes: 0,
    seconds: 0,
  };
  let planned = 0;
  for (let i = 0; i < o.sessions; i++) {
    let format = formats[i]!;
    const want = raw[i]! * scale;
    const target = Math.max(2_000, want + planned - report.plainBytes);
    planned += want;
    // Whole-file formats are built in memory: only small sessions take them.
    if ((format === "document" || format === "zst") && target > 16e6) format = "codex";
    const id = uuidAt(rng, starts[i]!);
    const file = fileOf(home, starts[i]!, id, format);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const spec = {
      id,
      start: starts[i]!,
      targetBytes: target,
      cwd: rng.pick(projects),
      images: imagesIn[i]!,
      plant: plants[i]!,
      ...(format === "journal"
        ? { meta: { originator: "rollout", cli_version: "0.1.0", history_mode: "paginated" } }
        : {}),
    };
    let bytes: number;
    let stats;
    if (format === "document") {
      const sink = new DocumentSink();
      stats = writeSession(sink, spec, { rng, vocabulary });
      const text = sink.text();
      fs.writeFileSync(file, text, { mode: 0o600 });
      bytes = Buffer.byteLength(text);
      report.diskBytes += bytes;
    } else if (format === "zst") {
      const parts: string[] = [];
      const sink = new LineSink(format, (t) => parts.push(t));
      stats = writeSession(sink, spec, { rng, vocabulary });
      const packed = zlib.zstdCompressSync(Buffer.from(parts.join("")));
      fs.writeFileSync(file, packed, { mode: 0o600 });
      bytes = sink.bytes;
      report.diskBytes += packed.length;
    } else {
      const out = new FileOut(file);
      const sink = new LineSink(format, out.write);
      try {
        stats = writeSession(sink, spec, { rng, vocabulary });
      } finally {
        out.close();
      }
      bytes = sink.bytes;
      report.diskBytes += bytes;
    }
    fs.utimesSync(file, new Date(stats.end), new Date(stats.end));
    report.formats[format]++;
    report.plainBytes += bytes;
    report.largestBytes = Math.max(report.largestBytes, bytes);
    report.images += stats.images;
    report.compactions += stats.compactions;
    if (rare.has(i)) report.rare.sessions.push({ id, format, file });
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** A size like `1GB`, `500MB`, `64MiB` or a number of bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?)?$/i.exec(text.trim());
  if (match === null) return Number.NaN;
  const unit = (match[2] ?? "").toUpperCase();
  const power = " KMG".indexOf(unit[0] ?? " ");
  return Math.round(Number(match[1]) * (unit.includes("I") ? 1024 : 1000) ** Math.max(0, power));
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      sessions: { type: "string" },
      size: { type: "string" },
      seed: { type: "string" },
      flavour: { type: "string" },
      "zst-share": { type: "string" },
      days: { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  const home = positionals[0];
  const options: Partial<HomeOptions> = {};
  if (values.sessions !== undefined) options.sessions = Number(values.sessions);
  if (values.size !== undefined) options.bytes = parseSize(values.size);
  if (values.seed !== undefined) options.seed = Number(values.seed);
  if (values["zst-share"] !== undefined) options.zstShare = Number(values["zst-share"]);
  if (values.days !== undefined) options.days = Number(values.days);
  if (values.flavour !== undefined) options.flavour = values.flavour as Flavour;
  const bad = [options.seed, options.days, options.zstShare].some((n) =>
    n !== undefined && !(n >= 0)
  ) ||
    [options.sessions, options.bytes].some((n) => n !== undefined && !(n >= 1));
  if (
    home === undefined || bad || !["mixed", "images", "text"].includes(options.flavour ?? "mixed")
  ) {
    process.stderr.write(
      "usage: deno run -A scripts/gen_home.ts HOME [--sessions N] [--size 1GB] [--seed N]\n" +
        "         [--flavour mixed|images|text] [--zst-share 0.05] [--days 365] [--force]\n",
    );
    process.exit(2);
  }
  const sessions = path.join(home, "sessions");
  if (fs.existsSync(sessions)) {
    if (!values.force) {
      process.stderr.write(`gen_home: "${sessions}" exists (--force replaces it)\n`);
      process.exit(1);
    }
    fs.rmSync(sessions, { recursive: true, force: true });
    fs.rmSync(path.join(home, "rollout"), { recursive: true, force: true });
  }
  const made = generateHome(home, options);
  process.stdout.write(`${JSON.stringify(made, null, 2)}\n`);
}

/**
 * Tier 9 on CrashFS (RELIABILITY.md): archive, restore, a write to an archived session and
 * prune, each losing power at every operation in turn. On every image a session must be
 * readable in one of its forms (the plain file, else its archive), never neither, holding
 * exactly what it held (a write may add its own records after that); then the same work is
 * run again on the image and must finish cleanly: the final form only, no temporary file.
 */
import * as path from "node:path";
import process from "node:process";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { isZstd, zstdIncomplete } from "../../lib/runtime/zstd.ts";
import { ARCHIVE_WINDOW_LOG } from "../../lib/store/archive.ts";
import type { SessionGroup } from "../../lib/session/session_groups.ts";
import { CrashError, CrashFS } from "./crash_fs.ts";
import { generateItem } from "./item_generator.ts";
import { SeededRandom } from "./seeded_random.ts";
import { REAL_WRITERS, type Writers } from "./writers.ts";

const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib");

/** Options of {@linkcode runArchiveCampaign}. */
export interface ArchiveCampaignOptions {
  seed: number;
  /** Rounds of every workload, each with new content (1 is the CI profile). */
  scale: number;
  /** The writers to crash (default: the real ones; source_mutants.ts makes broken ones). */
  writers?: Writers;
  /** Stop after this many violations (default: never). */
  stopAfter?: number;
}

/** One broken promise, with where it was seen. */
export interface ArchiveViolation {
  workload: string;
  crashAt: number;
  image: string;
  detail: string;
}

/** What a campaign did and found. */
export interface ArchiveCampaignFigures {
  workloads: number;
  crashPoints: number;
  images: number;
  /**
   * Images on which the work was run again to its end and checked: one per distinct state of
   * the folder (many images of a workload leave the same files).
   */
  recoveries: number;
  /** Images that held both forms of a session, or a temporary file: the crash hit mid-way. */
  midway: number;
  violations: ArchiveViolation[];
}

const DIR = "/home/u/.codex/sessions/2026/11/26";
const PIECE = 2048;
const encoder = new TextEncoder();

/** A session's file name stem in the campaign's folder. */
function plainOf(name: string): string {
  return `${DIR}/rollout-2026-11-26T11-15-28-${name}.jsonl`;
}

/** The bytes of a small rollout with repeated "screenshots", written by the recorder. */
async function rolloutBytes(random: SeededRandom, id: string, turns: number): Promise<Uint8Array> {
  const fs = new CrashFS();
  const file = `${DIR}/scratch.jsonl`;
  const recorder = await REAL_WRITERS.RolloutRecorder.create({
    fs,
    home: "/home/u/.codex",
    path: file,
    lock: false,
    clock: () => new Date("2026-11-26T11:15:28.123Z"),
    meta: { id },
  });
  const image = `data:image/png;base64,${btoa(String.fromCharCode(...random.bytes(900)))}`;
  for (let turn = 0; turn < turns; turn++) {
    const items = [generateItem(random, `t${turn}:`, random.logInt(16, 1500)).item];
    if (turn % 2 === 0) {
      items.push({
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: `look ${turn}` }, {
          type: "input_image",
          image_url: image,
        }],
      });
    }
    await recorder.recordItems(items);
  }
  await recorder.close();
  return fs.peek(file)!;
}

function compress(bytes: Uint8Array): Uint8Array {
  const c = zlib.constants;
  return zlib.zstdCompressSync(bytes, {
    params: {
      [c.ZSTD_c_enableLongDistanceMatching]: 1,
      [c.ZSTD_c_windowLog]: ARCHIVE_WINDOW_LOG,
      [c.ZSTD_c_checksumFlag]: 1,
    },
  });
}

const same = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((byte, i) => byte === b[i]);

const startsWith = (a: Uint8Array, prefix: Uint8Array) =>
  a.length >= prefix.length && prefix.every((byte, i) => byte === a[i]);

/**
 * What a reader sees of the session whose plain file is `plain`: the plain file if there,
 * else its archive decompressed; null when neither is there; a string when it is unreadable.
 */
function visible(fs: CrashFS, plain: string): Uint8Array | string | null {
  const bytes = fs.peek(plain);
  if (bytes !== null) return bytes;
  const packed = fs.peek(`${plain}.zst`);
  if (packed === null) return null;
  const cut = zstdIncomplete((into, at) => {
    const part = packed.subarray(at, at + into.length);
    into.set(part);
    return part.length;
  }, packed.length);
  if (!isZstd(packed) || cut !== null) return `the archive is damaged: ${cut ?? "no zstd"}`;
  try {
    return zlib.zstdDecompressSync(packed);
  } catch (error) {
    return `the archive does not decompress: ${(error as Error).message}`;
  }
}

/** One session a workload starts from: its files as they lie on disk. */
interface Seeded {
  plain: string;
  files: Record<string, Uint8Array>;
  /** What a reader must see before the work (and after it, unless it is deleted). */
  content: Uint8Array;
}

/** A workload: sessions to seed, the work, and what must hold of each image and at the end. */
interface Workload {
  name: string;
  sessions: Seeded[];
  run(fs: CrashFS): Promise<{ acked: boolean }>;
  /** Sessions the work may delete (prune): absent is fine for them. */
  deletable: Set<string>;
  /** Bytes a write may add after a session's content (the write workload). */
  growth: boolean;
  /** The form each session must be in after a clean rerun: "plain", "archive" or "gone". */
  final: "plain" | "archive" | "gone";
}

function seed(sessions: readonly Seeded[]): CrashFS {
  const fs = new CrashFS();
  for (const s of sessions) {
    for (const [file, bytes] of Object.entries(s.files)) fs.seed(file, bytes);
  }
  return fs;
}

function groupOf(s: Seeded): SessionGroup {
  const names = Object.keys(s.files);
  const rank = (f: string) => (f.endsWith(".zst") ? 0 : f.endsWith(".json") ? 1 : 2);
  const rollouts = names.filter((f) => !f.includes(".tmp-")).sort((a, b) => rank(a) - rank(b));
  const file = (f: string) => ({ path: f, bytes: s.files[f]!.length, mtimeMs: 0 });
  return {
    stem: s.plain.slice(0, -".jsonl".length),
    rollouts: rollouts.map(file),
    sidecars: names.filter((f) => f.includes(".tmp-")).map(file),
    mtimeMs: 0,
    bytes: 0,
  };
}

async function workloads(random: SeededRandom, round: number, writers: Writers) {
  const { archiveRollout, restoreRollout, RolloutRecorder, pruneSession } = writers;
  const archiveOptions = (fs: CrashFS) => ({ fs, lock: false, pieceBytes: PIECE });
  const id = (n: number) => `019abc00-0000-7000-a000-${String(round * 100 + n).padStart(12, "0")}`;
  const content = await rolloutBytes(random, id(1), random.int(6, 12));
  const older = content.subarray(0, content.lastIndexOf(10, content.length - 2) + 1);
  const plain = plainOf(id(1));
  const stale = {
    [`${plain}.zst.tmp-stale1`]: encoder.encode("{\n"),
    [`${plain}.tmp-stale2`]: encoder.encode("{"),
  };
  const out: Workload[] = [];
  const archive = (name: string, files: Record<string, Uint8Array>) =>
    out.push({
      name,
      sessions: [{ plain, files, content }],
      run: async (fs) => ({
        acked: (await archiveRollout(plain, archiveOptions(fs))).status === "archived",
      }),
      deletable: new Set(),
      growth: false,
      final: "archive",
    });
  archive(`archive #${round}`, { [plain]: content });
  archive(`archive over a stale archive and temporary files #${round}`, {
    [plain]: content,
    [`${plain}.zst`]: compress(older),
    ...stale,
  });
  const restore = (name: string, files: Record<string, Uint8Array>) =>
    out.push({
      name,
      sessions: [{ plain, files, content }],
      run: async (fs) => ({
        acked: (await restoreRollout(`${plain}.zst`, archiveOptions(fs))).status !== "skipped",
      }),
      deletable: new Set(),
      growth: false,
      final: "plain",
    });
  restore(`restore #${round}`, { [`${plain}.zst`]: compress(content), ...stale });
  restore(`restore beside the plain file #${round}`, {
    [plain]: content,
    [`${plain}.zst`]: compress(older),
  });
  out.push({
    name: `write to an archived session #${round}`,
    sessions: [{ plain, files: { [`${plain}.zst`]: compress(content) }, content }],
    run: async (fs) => {
      const { recorder } = await RolloutRecorder.resume(`${plain}.zst`, { fs, lock: false });
      await recorder.recordItems([{
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "after" }],
      }]);
      await recorder.close();
      return { acked: true };
    },
    deletable: new Set(),
    growth: true,
    final: "plain",
  });
  // Prune: a plain file shadowing an older archive, a converted pair, an archive alone; one
  // session that is not pruned must stay as it was.
  const doc = plainOf(id(2));
  const alone = plainOf(id(3));
  const kept = plainOf(id(4));
  const pruned: Seeded[] = [
    { plain, files: { [plain]: content, [`${plain}.zst`]: compress(older) }, content },
    {
      plain: doc,
      files: { [`${doc.slice(0, -1)}`]: encoder.encode('{"session":{}}'), [doc]: content },
      content,
    },
    {
      plain: alone,
      files: { [`${alone}.zst`]: compress(content), [`${alone}.zst.tmp-x1`]: encoder.encode("x") },
      content,
    },
  ];
  out.push({
    name: `prune #${round}`,
    sessions: [...pruned, { plain: kept, files: { [kept]: content }, content }],
    run: (fs) => {
      for (const s of pruned) {
        pruneSession(groupOf(s), { fs, lock: false });
      }
      return Promise.resolve({ acked: true });
    },
    deletable: new Set(pruned.map((s) => s.plain)),
    growth: false,
    final: "gone",
  });
  return out;
}

/** Runs the work on a fresh copy of the seeded state that loses power at `crashAt`. */
async function runAt(w: Workload, crashAt: number): Promise<{ fs: CrashFS; acked: boolean }> {
  const fs = seed(w.sessions).restarted({ crashAt });
  try {
    return { fs, ...(await w.run(fs)) };
  } catch (error) {
    if (!(error instanceof CrashError) && !fs.crashed) throw error;
    return { fs, acked: false };
  }
}

/** What is wrong with one session on an image, or null. */
function sessionProblem(fs: CrashFS, w: Workload, s: Seeded, acked: boolean): string | null {
  const seen = visible(fs, s.plain);
  if (typeof seen === "string") return `${path.basename(s.plain)}: ${seen}`;
  if (seen === null) {
    return w.deletable.has(s.plain) ? null : `${path.basename(s.plain)}: neither form is there`;
  }
  if (w.growth) {
    if (!startsWith(seen, s.content)) return `${path.basename(s.plain)}: its content changed`;
    if (acked && seen.length === s.content.length) return "the acknowledged write is missing";
    return null;
  }
  return same(seen, s.content) ? null : `${path.basename(s.plain)}: not the original content`;
}

/** After a clean rerun: the final form only, readable by the loader, no temporary file. */
function finalProblem(fs: CrashFS, w: Workload): string | null {
  const names = fs.list(DIR) ?? [];
  const temps = names.filter((name) => name.includes(".tmp-"));
  if (temps.length > 0) return `temporary files left: ${temps.join(", ")}`;
  for (const s of w.sessions) {
    const kept = !w.deletable.has(s.plain);
    const want = kept && w.final === "gone" ? "plain" : w.final;
    const plain = fs.peek(s.plain) !== null;
    const packed = fs.peek(`${s.plain}.zst`) !== null;
    const form = plain && !packed
      ? "plain"
      : packed && !plain
      ? "archive"
      : plain
      ? "both"
      : "gone";
    if (form !== want) return `${path.basename(s.plain)}: ${form} at the end, expected ${want}`;
    if (form === "gone") {
      const stem = path.basename(s.plain).slice(0, -".jsonl".length);
      const left = names.filter((name) => name.startsWith(`${stem}.`));
      if (left.length > 0) return `files of a pruned session left: ${left.join(", ")}`;
      continue;
    }
    const problem = sessionProblem(fs, w, s, true);
    if (problem !== null) return `at the end: ${problem}`;
    try {
      loadRollout(form === "plain" ? s.plain : `${s.plain}.zst`, { fs });
    } catch (error) {
      return `at the end the loader refuses it: ${(error as Error).message}`;
    }
  }
  return null;
}

/** The files of the campaign's folder and their bytes, as one text. */
function stateKey(fs: CrashFS): string {
  return (fs.list(DIR) ?? []).map((name) => {
    const bytes = fs.peek(`${DIR}/${name}`)!;
    let hash = 0;
    for (const byte of bytes) hash = (Math.imul(hash, 31) + byte) | 0;
    return `${name}:${bytes.length}:${hash}`;
  }).join("/");
}

/** Runs the campaign; see the module doc. */
export async function runArchiveCampaign(
  options: ArchiveCampaignOptions,
): Promise<ArchiveCampaignFigures> {
  const figures: ArchiveCampaignFigures = {
    workloads: 0,
    crashPoints: 0,
    images: 0,
    recoveries: 0,
    midway: 0,
    violations: [],
  };
  const random = new SeededRandom(options.seed);
  const stopAfter = options.stopAfter ?? Infinity;
  for (let round = 0; round < options.scale; round++) {
    for (const w of await workloads(random, round, options.writers ?? REAL_WRITERS)) {
      if (figures.violations.length >= stopAfter) return figures;
      figures.workloads++;
      const recovered = new Set<string>();
      const total = (await runAt(w, Infinity)).fs.operations;
      for (let crashAt = 0; crashAt <= total; crashAt++) {
        figures.crashPoints++;
        const { fs, acked } = await runAt(w, crashAt);
        for (const image of fs.images({ seed: random.int(0, 2 ** 31), reorders: 2 })) {
          figures.images++;
          const where = { workload: w.name, crashAt, image: image.label };
          const names = image.fs.list(DIR) ?? [];
          if (
            names.some((n) => n.includes(".tmp-")) || names.some((n) => names.includes(`${n}.zst`))
          ) {
            figures.midway++;
          }
          const problem = w.sessions.map((s) => sessionProblem(image.fs, w, s, acked))
            .find((p) => p !== null);
          if (problem !== undefined) {
            figures.violations.push({ ...where, detail: problem });
            if (figures.violations.length >= stopAfter) return figures;
            continue;
          }
          const state = stateKey(image.fs);
          if (recovered.has(state)) continue;
          recovered.add(state);
          const again = image.fs.restarted();
          try {
            await w.run(again);
          } catch (error) {
            figures.violations.push({
              ...where,
              detail: `rerun failed: ${(error as Error).message}`,
            });
            continue;
          }
          figures.recoveries++;
          const end = finalProblem(again, w);
          if (end !== null) figures.violations.push({ ...where, detail: `rerun: ${end}` });
        }
      }
    }
  }
  return figures;
}

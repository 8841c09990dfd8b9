/**
 * B10 (BENCH.md, SPEC §8): `rollout archive` of generated image-heavy sessions (screenshots
 * that compactions copy again and again) and of text-only ones, against Debian's `zstd
 * --long=27` at -19 (and -3) on the same files: compressed size, MB/s of input, and restore
 * byte-identical with `zstd -d --long=27`. Also node:zlib's zstd in this process at a few
 * levels with long-distance matching, so the archive's level has numbers behind it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { addRow, type Results, runtimeName } from "./bench_report.ts";
import { remove, scratch, type Settings } from "./bench_fixtures.ts";
import {
  ensureTool,
  filesUnder,
  rolloutLabel,
  rolloutMissing,
  timeRollout,
  timeRun,
  toolVersion,
  warmUp,
} from "./bench_tools.ts";
import { type Flavour, generateHome } from "./gen_home.ts";

const LEVELS = [1, 3, 6, 9];

/** How many of `packed` (`.zst` files) `zstd -d --long=27` restores to their `original`. */
function restored(packed: readonly string[], original: (zst: string) => string): number {
  let same = 0;
  for (const file of packed) {
    const dir = fs.mkdtempSync(`${file}.restore-`);
    try {
      const out = path.join(dir, "plain");
      timeRun("zstd", ["-q", "-d", "--long=27", "-o", out, file]);
      if (fs.readFileSync(out).equals(fs.readFileSync(original(file)))) same++;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return same;
}

/** Sum of the sizes of `files`. */
function bytesOf(files: readonly string[]): number {
  return files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
}

/** `zstd -LEVEL --long=27` of every file into `out`: milliseconds, compressed bytes, files. */
function zstdCli(files: readonly string[], level: number, out: string) {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  const args = ["-q", "-k", "-f", `-${level}`, "--long=27", "--output-dir-flat", out, "--"];
  const { ms } = timeRun("zstd", [...args, ...files]);
  const packed = filesUnder(out);
  return { ms, bytes: bytesOf(packed), packed };
}

/** node:zlib's zstd of each file at `level`, long-distance matching, window 2^27. */
function zlibLevel(files: readonly string[], level: number): { ms: number; bytes: number } {
  const c = zlib.constants;
  const params = {
    [c.ZSTD_c_compressionLevel]: level,
    [c.ZSTD_c_enableLongDistanceMatching]: 1,
    [c.ZSTD_c_windowLog]: 27,
    [c.ZSTD_c_checksumFlag]: 1,
  };
  let ms = 0;
  let bytes = 0;
  for (const file of files) {
    const plain = fs.readFileSync(file);
    const start = performance.now();
    const packed = zlib.zstdCompressSync(plain, { params });
    ms += performance.now() - start;
    bytes += packed.length;
    if (!zlib.zstdDecompressSync(packed).equals(plain)) {
      throw new Error(`node:zlib zstd level ${level} did not restore "${file}"`);
    }
  }
  return { ms, bytes };
}

/** One flavour: generate, compress with each contender, add the rows. */
function benchFlavour(
  results: Results,
  s: Settings,
  options: { dir: string; flavour: Flavour; archive: boolean },
): void {
  const images = options.flavour === "images";
  const name = images ? "image-heavy" : "text-only";
  const home = path.join(options.dir, options.flavour);
  process.stderr.write(` generating ${name}...`);
  const made = generateHome(home, {
    sessions: images ? s.b10ImageSessions : s.b10TextSessions,
    bytes: images ? s.b10ImageBytes : s.b10TextBytes,
    flavour: options.flavour,
    zstShare: 0,
    documentShare: 0,
    bareShare: 0,
  });
  const files = filesUnder(path.join(home, "sessions"));
  const input = bytesOf(files);
  const mb = input / 1e6;
  results.notes.push(
    `B10 ${name}: ${files.length} sessions, ${
      mb.toFixed(1)
    } MB (${made.formats.journal} journals, the rest Codex envelope files), ${made.images} screenshots, ${made.compactions} compactions; largest ${
      (made.largestBytes / 1e6).toFixed(1)
    } MB`,
  );
  warmUp(files);
  const speed = (ms: number) => mb / (ms / 1000);
  const original = (zst: string) => {
    const base = path.basename(zst, ".zst");
    return files.find((f) => path.basename(f) === base)!;
  };
  const out = path.join(options.dir, "zstd-out");
  const cli = new Map<number, { ms: number[]; bytes: number; same: number; count: number }>();
  for (const level of [3, 19]) {
    const reps = level >= 19 ? 1 : s.reps;
    const ms: number[] = [];
    let last = { ms: 0, bytes: 0, packed: [] as string[] };
    for (let rep = 0; rep < reps; rep++) {
      last = zstdCli(files, level, out);
      ms.push(last.ms);
    }
    const same = restored(last.packed, original);
    cli.set(level, { ms, bytes: last.bytes, same, count: last.packed.length });
    addRow(results, {
      id: "B10",
      label: `${name}: zstd -${level} --long=27${reps === 1 ? " (1 run)" : ""}`,
      unit: "MB/s",
      samples: ms.map(speed),
    });
    addRow(results, {
      id: "B10",
      label: `${name}: zstd -${level} --long=27: input / compressed`,
      unit: "×",
      samples: [input / last.bytes],
    });
    if (same !== last.packed.length) {
      results.notes.push(`B10 ${name}: zstd -${level} restored ${same} of ${last.packed.length}`);
    }
  }
  fs.rmSync(out, { recursive: true, force: true });
  const best = cli.get(19)!.bytes;

  if (options.archive) {
    const ms: number[] = [];
    let sizes = 0;
    let packed: string[] = [];
    let left = 0;
    const work = path.join(options.dir, "work");
    for (let rep = 0; rep < s.reps; rep++) {
      fs.rmSync(work, { recursive: true, force: true });
      fs.cpSync(home, work, { recursive: true, preserveTimestamps: true });
      warmUp(filesUnder(work));
      ms.push(timeRollout(s, ["archive", "--older-than", "1d", "--home", work]).ms);
      const after = filesUnder(path.join(work, "sessions"));
      packed = after.filter((f) => f.endsWith(".jsonl.zst"));
      left = after.filter((f) => f.endsWith(".jsonl")).length;
      sizes = bytesOf(packed);
    }
    const same = restored(packed, original);
    fs.rmSync(work, { recursive: true, force: true });
    const label = `${name}: ${rolloutLabel(s)} archive --older-than 1d`;
    addRow(
      results,
      { id: "B10", label, unit: "MB/s", samples: ms.map(speed) },
      images ? ["≥ 100 MB/s in", (m) => m >= 100] : undefined,
    );
    addRow(results, {
      id: "B10",
      label: `${name}: archive: input / compressed`,
      unit: "×",
      samples: [input / sizes],
    });
    addRow(
      results,
      {
        id: "B10",
        label: `${name}: archive size / zstd -19 --long=27 size`,
        unit: "×",
        samples: [sizes / best],
      },
      images ? ["≤ 1.2", (m) => m <= 1.2] : undefined,
    );
    if (!images) {
      addRow(results, {
        id: "B10",
        label: `${name}: archive size / zstd -3 --long=27 size`,
        unit: "×",
        samples: [sizes / cli.get(3)!.bytes],
      });
    }
    addRow(
      results,
      {
        id: "B10",
        label: `${name}: archived files restored byte-identical by zstd -d --long=27`,
        unit: "files",
        samples: [same],
      },
      [`= ${files.length}, all`, (m) => m === files.length],
    );
    if (left > 0) {
      results.notes.push(`B10 ${name}: archive left ${left} of ${files.length} files uncompressed`);
    }
  }

  for (const level of LEVELS) {
    const got = zlibLevel(files, level);
    const where = `node:zlib in ${runtimeName()}`;
    addRow(results, {
      id: "B10",
      label: `${name}: ${where}, level ${level}, long-distance, window 2^27`,
      unit: "MB/s",
      samples: [speed(got.ms)],
    });
    addRow(results, {
      id: "B10",
      label: `${name}: ${where}, level ${level}: size / zstd -19's`,
      unit: "×",
      samples: [got.bytes / best],
    });
  }
}

/** B10: archive against zstd, image-heavy and text-only. */
export function benchB10(results: Results, s: Settings): Promise<void> {
  const zstdMissing = ensureTool("zstd", "zstd");
  if (zstdMissing !== null) {
    results.skips.push({ id: "B10", reason: zstdMissing });
    return Promise.resolve();
  }
  const archiveMissing = rolloutMissing(s, "archive");
  if (archiveMissing !== null) {
    results.notes.push(`B10: archive not measured: ${archiveMissing}`);
  }
  results.notes.push(`B10: ${toolVersion("zstd")}, as Debian ships it (one thread)`);
  const dir = scratch("b10");
  try {
    for (const flavour of ["images", "text"] as const) {
      benchFlavour(results, s, { dir, flavour, archive: archiveMissing === null });
    }
  } finally {
    remove(dir);
  }
  return Promise.resolve();
}

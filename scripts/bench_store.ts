/**
 * In-process store scenarios: B1 (awaited commits vs write+fdatasync), B2 (pipelined vs one
 * unsynced write), B3 (single-item commits vs the seed), growth with session size, bytes/item.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type CreateOptions, RolloutRecorder } from "../lib/store/recorder.ts";
import { addRow, perSecond, ratios, type Results } from "./bench_report.ts";
import {
  countingFs,
  item,
  items,
  journalLine,
  remove,
  scratch,
  type Settings,
  timed,
} from "./bench_fixtures.ts";
import { SeedWriter } from "./bench_seed.ts";

const encoder = new TextEncoder();
const META = { id: "019abcde-0000-7000-8000-000000000000", timestamp: "2026-11-26T11:15:28.120Z" };

function recorder(dir: string, options: Partial<CreateOptions> = {}): Promise<RolloutRecorder> {
  return RolloutRecorder.create({ home: dir, path: path.join(dir, "s.jsonl"), ...options });
}

/**
 * B1: `n` awaited single-item commits against a bare write+fdatasync loop of the same bytes.
 * Both run in alternating chunks of 250 items, so a slow spell of the shared disk hits both.
 */
export async function benchB1(results: Results, s: Settings): Promise<void> {
  const n = s.b1Items;
  const timestamp = new Date().toISOString();
  const lines = Array.from(
    { length: n },
    (_, i) => encoder.encode(journalLine(i, i + 1, timestamp)),
  );
  const chunk = 250;
  const ours: number[] = [];
  const limit: number[] = [];
  for (let rep = -1; rep < s.reps; rep++) {
    const dir = scratch("b1");
    const fd = fs.openSync(path.join(dir, "limit.jsonl"), "a", 0o600);
    const rec = await recorder(dir);
    let oursMs = 0;
    let limitMs = 0;
    for (let from = 0; from < n; from += chunk) {
      const to = Math.min(n, from + chunk);
      limitMs += await timed(() => {
        for (let i = from; i < to; i++) {
          fs.writeSync(fd, lines[i]!);
          fs.fdatasyncSync(fd);
        }
      });
      oursMs += await timed(async () => {
        for (let i = from; i < to; i++) await rec.recordItems([item(i)]);
      });
    }
    fs.closeSync(fd);
    await rec.close();
    remove(dir);
    if (rep < 0) continue; // a warm-up round, not counted
    ours.push(oursMs);
    limit.push(limitMs);
  }
  const oursRate = perSecond(n, ours);
  const limitRate = perSecond(n, limit);
  const label = `journal, ${n.toLocaleString("en-US")} awaited commits`;
  addRow(results, { id: "B1", label, unit: "items/s", samples: oursRate });
  addRow(results, {
    id: "B1",
    label: "limit: write+fdatasync loop",
    unit: "items/s",
    samples: limitRate,
  });
  addRow(
    results,
    { id: "B1", label: "ratio journal / limit", unit: "×", samples: ratios(oursRate, limitRate) },
    ["≥ 0.8", (m) => m >= 0.8],
  );
}

/** Pipelined durable commits of `n` single-item operations; returns milliseconds. */
export async function pipelined(n: number, list: readonly unknown[]): Promise<number> {
  const dir = scratch("pipe");
  const rec = await recorder(dir);
  const ms = await timed(() => Promise.all(list.slice(0, n).map((it) => rec.recordItems([it]))));
  await rec.close();
  remove(dir);
  return ms;
}

/** B2: `n` items submitted without waiting, durable, against one unsynced write of the bytes. */
export async function benchB2(results: Results, s: Settings): Promise<void> {
  const n = s.b2Items;
  const list = items(n);
  const timestamp = new Date().toISOString();
  const ours: number[] = [];
  const limit: number[] = [];
  await pipelined(Math.min(n, 20_000), list);
  for (let rep = 0; rep < s.reps; rep++) {
    // Ours runs first: the reference's bytes (hundreds of MB) exist only for its own write, so
    // they do not weigh on the garbage collector while ours is timed.
    ours.push(await pipelined(n, list));
    const dir = scratch("b2");
    const all = encoder.encode(list.map((_, i) => journalLine(i, i + 1, timestamp)).join(""));
    limit.push(
      await timed(() => {
        const fd = fs.openSync(path.join(dir, "limit.jsonl"), "a", 0o600);
        let done = 0;
        while (done < all.length) done += fs.writeSync(fd, all, done);
        fs.closeSync(fd);
      }),
    );
    remove(dir);
  }
  const oursRate = perSecond(n, ours);
  const limitRate = perSecond(n, limit);
  addRow(results, {
    id: "B2",
    label: `journal, ${n.toLocaleString("en-US")} pipelined items`,
    unit: "items/s",
    samples: oursRate,
  }, [
    "≥ 150,000/s",
    (m) => m >= 150_000,
  ]);
  addRow(results, {
    id: "B2",
    label: "limit: one unsynced write",
    unit: "items/s",
    samples: limitRate,
  });
  addRow(results, {
    id: "B2",
    label: "ratio journal / limit",
    unit: "×",
    samples: ratios(oursRate, limitRate),
  });
}

/** One B3 run of `n` single-item commits; returns milliseconds and bytes written. */
async function b3Run(
  kind: "journal" | "document" | "document_pipelined" | "seed",
  n: number,
): Promise<{ ms: number; bytes: number; fileBytes: number }> {
  const dir = scratch("b3");
  const list = items(n);
  let out: { ms: number; bytes: number };
  let file: string;
  if (kind === "seed") {
    file = path.join(dir, "seed.json");
    const seed = new SeedWriter(file, { meta: META });
    const before = seed.written;
    const ms = await timed(() => {
      for (const it of list) seed.addItems([it]);
    });
    out = { ms, bytes: seed.written - before };
    seed.close();
  } else {
    const counter = countingFs();
    const format = kind === "journal" ? "jsonl" : "json";
    file = path.join(dir, `s.${format}`);
    const rec = await RolloutRecorder.create({ home: dir, path: file, format, fs: counter.fs });
    const before = counter.written();
    const ms = await timed(async () => {
      if (kind === "document_pipelined") await Promise.all(list.map((it) => rec.recordItems([it])));
      else for (const it of list) await rec.recordItems([it]);
    });
    out = { ms, bytes: counter.written() - before };
    await rec.close();
  }
  const fileBytes = fs.statSync(file).size;
  remove(dir);
  return { ...out, fileBytes };
}

/** B3: the curve of single-item commits, journal and document against the seed. */
export async function benchB3(results: Results, s: Settings): Promise<void> {
  const speedups: { n: number; median: number }[] = [];
  const headline = s.b3Sizes.includes(2_000) ? 2_000 : s.b3Sizes.at(-2) ?? s.b3Sizes[0]!;
  for (const n of s.b3Sizes) {
    const reps = n > s.b3SingleRepAbove ? 1 : Math.min(s.reps, 3);
    const t = {
      journal: [] as number[],
      document: [] as number[],
      pipelined: [] as number[],
      seed: [] as number[],
    };
    const bytes = { journal: 0, document: 0, seed: 0, journalFile: 0, documentFile: 0 };
    for (let rep = 0; rep < reps; rep++) {
      const seed = await b3Run("seed", n);
      const journal = await b3Run("journal", n);
      const document = await b3Run("document", n);
      const pipe = await b3Run("document_pipelined", n);
      t.seed.push(seed.ms);
      t.journal.push(journal.ms);
      t.document.push(document.ms);
      t.pipelined.push(pipe.ms);
      Object.assign(bytes, {
        journal: journal.bytes,
        document: document.bytes,
        seed: seed.bytes,
        journalFile: journal.fileBytes,
        documentFile: document.fileBytes,
      });
    }
    const id = "B3";
    const at = `${n.toLocaleString("en-US")} items`;
    addRow(results, { id, label: `seed, ${at}`, unit: "commits/s", samples: perSecond(n, t.seed) });
    addRow(results, {
      id,
      label: `journal awaited, ${at}`,
      unit: "commits/s",
      samples: perSecond(n, t.journal),
    });
    addRow(results, {
      id,
      label: `document awaited, ${at}`,
      unit: "commits/s",
      samples: perSecond(n, t.document),
    });
    addRow(results, {
      id,
      label: `document pipelined, ${at}`,
      unit: "commits/s",
      samples: perSecond(n, t.pipelined),
    });
    const head = n === headline;
    const speedup = addRow(
      results,
      {
        id,
        label: `journal speed-up over seed, ${at}`,
        unit: "×",
        samples: ratios(t.seed, t.journal),
      },
      head ? ["≥ 20", (m) => m >= 20] : undefined,
    );
    speedups.push({ n, median: speedup.median });
    addRow(
      results,
      {
        id,
        label: `document awaited time / seed time, ${at}`,
        unit: "×",
        samples: ratios(t.document, t.seed),
      },
      head ? ["≤ 2", (m) => m <= 2] : undefined,
    );
    addRow(
      results,
      {
        id,
        label: `document pipelined time / seed time, ${at}`,
        unit: "×",
        samples: ratios(t.pipelined, t.seed),
      },
      head ? ["< 1", (m) => m < 1] : undefined,
    );
    if (head) {
      const per = (b: number) => [b / n];
      addRow(results, {
        id: "bytes",
        label: `written per item, journal (${at})`,
        unit: "B",
        samples: per(bytes.journal),
      });
      addRow(results, {
        id: "bytes",
        label: `written per item, document awaited (${at})`,
        unit: "B",
        samples: per(bytes.document),
      });
      addRow(results, {
        id: "bytes",
        label: `written per item, seed (${at})`,
        unit: "B",
        samples: per(bytes.seed),
      });
      addRow(results, {
        id: "bytes",
        label: `file size per item, journal (${at})`,
        unit: "B",
        samples: per(bytes.journalFile),
      });
      addRow(results, {
        id: "bytes",
        label: `file size per item, document (${at})`,
        unit: "B",
        samples: per(bytes.documentFile),
      });
    }
    if (reps === 1) results.notes.push(`B3 at ${at}: one repetition (min = max = median)`);
  }
  const first = speedups[0]!;
  const last = speedups.at(-1)!;
  addRow(
    results,
    {
      id: "B3",
      label: `speed-up at ${last.n} / speed-up at ${first.n}`,
      unit: "×",
      samples: [last.median / first.median],
    },
    ["> 1 (gap grows)", (m) => m > 1],
  );
}

/** A session of one format that already holds `n` items, taking one more item per call. */
async function openGrown(
  kind: "journal" | "document" | "seed",
  n: number,
): Promise<{ add(i: number): Promise<unknown>; close(): Promise<void> }> {
  const dir = scratch("growth");
  const initial = items(n);
  if (kind === "seed") {
    const seed = new SeedWriter(path.join(dir, "seed.json"), { meta: META, items: initial });
    return {
      add: (i) => Promise.resolve(seed.addItems([item(i)])),
      close: () => Promise.resolve(seed.close()).then(() => remove(dir)),
    };
  }
  const format = kind === "journal" ? "jsonl" : "json";
  const rec = await RolloutRecorder.create({
    home: dir,
    path: path.join(dir, `s.${format}`),
    format,
    items: initial,
  });
  return {
    add: (i) => rec.recordItems([item(i)]),
    close: () => rec.close().then(() => remove(dir)),
  };
}

/**
 * Growth: the cost of one more item as the session grows, per format. The sizes of one format
 * take turns commit by commit, so a slow spell of the shared disk hits every size alike.
 */
export async function benchGrowth(results: Results, s: Settings): Promise<void> {
  const per: Record<string, number[]> = { journal: [], document: [], seed: [] };
  for (const kind of ["journal", "document", "seed"] as const) {
    const quota = s.growthSizes.map((n) =>
      kind === "journal" ? 200 : Math.max(3, Math.min(100, Math.floor(2e8 / (n * 1300))))
    );
    const sessions: Awaited<ReturnType<typeof openGrown>>[] = [];
    for (const n of s.growthSizes) sessions.push(await openGrown(kind, n));
    const samples: number[][] = s.growthSizes.map(() => []);
    for (let round = 0; round < Math.max(...quota); round++) {
      for (let k = 0; k < sessions.length; k++) {
        if (round >= quota[k]!) continue;
        const n = s.growthSizes[k]!;
        samples[k]!.push(await timed(() => sessions[k]!.add(n + round)));
      }
    }
    for (const session of sessions) await session.close();
    s.growthSizes.forEach((n, k) => {
      const row = addRow(results, {
        id: "growth",
        label: `${kind}: one more item at ${n.toLocaleString("en-US")} items (${quota[k]} commits)`,
        unit: "ms",
        samples: samples[k]!,
      });
      per[kind]!.push(row.median);
    });
  }
  const span = s.growthSizes.at(-1)! / s.growthSizes[0]!;
  const growth = (kind: string) => [per[kind]!.at(-1)! / per[kind]![0]!];
  addRow(results, {
    id: "growth",
    label: `journal cost ×, sessions ${span}× larger`,
    unit: "×",
    samples: growth("journal"),
  }, [
    "≤ 2 (flat)",
    (m) => m <= 2,
  ]);
  addRow(results, {
    id: "growth",
    label: `document cost ×, sessions ${span}× larger`,
    unit: "×",
    samples: growth("document"),
  });
  addRow(results, {
    id: "growth",
    label: `seed cost ×, sessions ${span}× larger`,
    unit: "×",
    samples: growth("seed"),
  });
}

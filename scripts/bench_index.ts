/**
 * B9 (BENCH.md, SPEC §8): the session index over a generated home (scripts/gen_home.ts:
 * Codex envelope files, our journals, `.json` documents, 2025 bare files, `.jsonl.zst`),
 * each repetition beside its reference on the same files with a warm page cache: the first
 * index from nothing against `rg -c -z WORD`; a refresh with nothing changed and one after 10
 * sessions grew against `find`; `search` for a rare word, a common word and a phrase against
 * `rg`, as a process and in process (the index opened once, `search()` timed alone).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { openIndex, search } from "../lib/index/mod.ts";
import { addRow, median, ratios, type Results } from "./bench_report.ts";
import { remove, scratch, type Settings } from "./bench_fixtures.ts";
import {
  ensureTool,
  filesUnder,
  rolloutLabel,
  rolloutMissing,
  shellWords,
  timeRollout,
  timeRun,
  toolVersion,
  warmUp,
} from "./bench_tools.ts";
import { COMMON_WORD, generateHome, PHRASE, RARE_WORD } from "./gen_home.ts";

const GREW = 10;

/** Deletes `<home>/rollout/index.sqlite` and its WAL files. */
function removeIndex(home: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    fs.rmSync(path.join(home, "rollout", `index.sqlite${suffix}`), { force: true });
  }
}

/** `GREW` Codex envelope files spread over the home (no ordinals: lines can be appended). */
function growable(files: readonly string[]): string[] {
  const plain = files.filter((file) => {
    if (!file.endsWith(".jsonl")) return false;
    const fd = fs.openSync(file, "r");
    const head = new Uint8Array(120);
    fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    const text = new TextDecoder().decode(head);
    return text.startsWith('{"timestamp":') && !text.includes('"ordinal":');
  });
  return Array.from({ length: GREW }, (_, i) => plain[Math.floor((i * plain.length) / GREW)]!);
}

/** Appends one turn (a user message, its event, an answer) naming `marker` to `file`. */
function grow(file: string, marker: string): void {
  const at = new Date().toISOString();
  const ask = `the session grew: look for ${marker} in the new lines`;
  const answer = `Checked ${marker}. ${
    "the index reads only the new tail of a grown file ".repeat(20)
  }`;
  const lines = [
    {
      type: "response_item",
      payload: { type: "message", role: "user", content: [{ type: "input_text", text: ask }] },
    },
    {
      type: "event_msg",
      payload: { type: "user_message", message: ask, images: [], local_images: [] },
    },
    {
      type: "response_item",
      payload: {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: answer }],
      },
    },
    { type: "event_msg", payload: { type: "agent_message", message: answer } },
  ];
  fs.appendFileSync(
    file,
    lines.map((l) => JSON.stringify({ timestamp: at, ...l }) + "\n").join(""),
  );
}

/** Distinct sessions in `rollout search --json` output. */
function sessionsIn(json: string): number {
  const hits = JSON.parse(json) as { session_id: string }[];
  return new Set(hits.map((h) => h.session_id)).size;
}

/** B9: first index, refreshes and queries of `rollout` against `rg` and `find`. */
export async function benchB9(results: Results, s: Settings): Promise<void> {
  const missing = rolloutMissing(s, "search");
  if (missing !== null) {
    results.skips.push({ id: "B9", reason: missing });
    return;
  }
  const rgMissing = ensureTool("rg", "ripgrep") ?? ensureTool("zstd", "zstd");
  if (rgMissing !== null) results.notes.push(`B9: no rg reference: ${rgMissing}`);
  const home = scratch("b9");
  try {
    process.stderr.write(" generating the home...");
    const made = generateHome(home, { sessions: s.b9Sessions, bytes: s.b9Bytes });
    const dir = path.join(home, "sessions");
    const files = filesUnder(dir);
    const gb = (made.plainBytes / 1e9).toFixed(2);
    const size = `${s.b9Sessions.toLocaleString("en-US")} sessions, ${gb} GB`;
    const f = made.formats;
    results.notes.push(
      `B9 home (scripts/gen_home.ts, seed 1, ${made.seconds.toFixed(1)} s): ${size} (${
        (made.diskBytes / 1e9).toFixed(2)
      } GB on disk): ${f.codex} Codex envelope, ${f.journal} journal, ${f.zst} .jsonl.zst, ${f.document} .json, ${f.bare2025} 2025 bare; largest ${
        (made.largestBytes / 1e6).toFixed(1)
      } MB; ${made.images} screenshots, ${made.compactions} compactions`,
    );
    const label = rolloutLabel(s);
    warmUp(files);
    const rg = (args: string[]) => timeRun("rg", [...args, dir], { ok: [0, 1], capture: true });
    if (rgMissing === null) {
      rg(["-c", "-z", RARE_WORD]);
      results.notes.push(
        `B9: ${
          toolVersion("rg")
        }; every file read once before timing, so rg and rollout both run with a warm page cache; times are wall-clock of the whole process (spawnSync)`,
      );
    }

    // (a) The first index, from nothing.
    const first: number[] = [];
    const rgFirst: number[] = [];
    const rgPlain: number[] = [];
    for (let rep = 0; rep < s.b9IndexReps; rep++) {
      removeIndex(home);
      // `du` reads the whole index (`list` brings up to date only the sessions it shows).
      first.push(timeRollout(s, ["du", "--limit", "1", "--json", "--home", home]).ms);
      if (rgMissing !== null) continue;
      rgFirst.push(rg(["-c", "-z", RARE_WORD]).ms);
      rgPlain.push(rg(["-c", RARE_WORD]).ms);
    }
    addRow(results, {
      id: "B9",
      label: `first index: ${label} du --limit 1 --json, no index, ${size}`,
      unit: "ms",
      samples: first,
    });
    addRow(results, {
      id: "B9",
      label: "first index: speed",
      unit: "MB/s",
      samples: first.map((ms) => made.plainBytes / 1e6 / (ms / 1000)),
    });
    if (rgMissing === null) {
      addRow(results, {
        id: "B9",
        label: `rg -c -z ${RARE_WORD} <home>/sessions`,
        unit: "ms",
        samples: rgFirst,
      });
      addRow(
        results,
        { id: "B9", label: "first index / rg -z", unit: "×", samples: ratios(first, rgFirst) },
        ["≤ 2", (m) => m <= 2],
      );
      addRow(results, {
        id: "B9",
        label: `rg -c ${RARE_WORD} <home>/sessions (without -z: skips the .zst content)`,
        unit: "ms",
        samples: rgPlain,
      });
      addRow(results, {
        id: "B9",
        label: "first index / rg without -z",
        unit: "×",
        samples: ratios(first, rgPlain),
      });
    }
    const size0 = fs.statSync(path.join(home, "rollout", "index.sqlite")).size;
    results.notes.push(
      `B9: index.sqlite ${(size0 / 1e6).toFixed(0)} MB for ${gb} GB of sessions (${
        (size0 / made.plainBytes).toFixed(2)
      } ×)`,
    );

    // (b) A refresh with nothing changed, and (c) one after GREW sessions grew.
    const list = ["du", "--limit", "1", "--json", "--home", home];
    const find = [dir, "-type", "f"];
    // The same walk with what a refresh compares of each file (size, times, inode): a stat of
    // each, in C. A refresh cannot do less, so this is its floor here.
    const findStat = [dir, "-type", "f", "-printf", "%s %T@ %C@ %D:%i\n"];
    const startup: number[] = [];
    const unchanged: number[] = [];
    const found: number[] = [];
    const statted: number[] = [];
    timeRollout(s, list);
    for (let rep = 0; rep < s.reps; rep++) {
      found.push(timeRun("find", find).ms);
      statted.push(timeRun("find", findStat).ms);
      startup.push(timeRollout(s, ["--version"]).ms);
      unchanged.push(timeRollout(s, list).ms);
    }
    const grownFiles = growable(files);
    const grown: number[] = [];
    const foundGrown: number[] = [];
    for (let rep = 0; rep < s.reps; rep++) {
      for (const file of grownFiles) grow(file, `qgrowmark${rep}`);
      foundGrown.push(timeRun("find", find).ms);
      grown.push(timeRollout(s, list).ms);
    }
    const marker = `qgrowmark${s.reps - 1}`;
    const seen = sessionsIn(
      timeRollout(s, ["search", marker, "--json", "--limit", "100", "--home", home], {
        capture: true,
      }).stdout,
    );
    results.notes.push(
      `B9: after the last growth, search ${marker} found ${seen} of the ${GREW} grown sessions`,
    );
    addRow(results, {
      id: "B9",
      label: "start-up (rollout --version)",
      unit: "ms",
      samples: startup,
    });
    addRow(results, {
      id: "B9",
      label: `refresh, nothing changed: ${label} du --limit 1 --json`,
      unit: "ms",
      samples: unchanged,
    });
    addRow(results, {
      id: "B9",
      label: "find <home>/sessions -type f",
      unit: "ms",
      samples: found,
    });
    addRow(results, {
      id: "B9",
      label: "find -type f -printf '%s %T@ %C@ %D:%i': the walk and a stat of each file, in C",
      unit: "ms",
      samples: statted,
    });
    addRow(results, {
      id: "B9",
      label: "the same / find -type f (the floor of a refresh, in units of the goal's find)",
      unit: "×",
      samples: ratios(statted, found),
    });
    addRow(
      results,
      {
        id: "B9",
        label: "refresh, nothing changed: (du − start-up) / find",
        unit: "×",
        samples: unchanged.map((t, i) => (t - startup[i]!) / found[i]!),
      },
      ["≤ 3", (m) => m <= 3],
    );
    addRow(results, {
      id: "B9",
      label: "refresh, nothing changed: du / find (start-up included)",
      unit: "×",
      samples: ratios(unchanged, found),
    });
    addRow(results, {
      id: "B9",
      label: `refresh after ${GREW} sessions grew (4 lines each): du --limit 1 --json`,
      unit: "ms",
      samples: grown,
    });
    addRow(results, {
      id: "B9",
      label: `refresh after ${GREW} grew: (du − start-up) / find`,
      unit: "×",
      samples: grown.map((t, i) => (t - median(startup)) / foundGrown[i]!),
    });

    // (d) Queries, warm: by process, and in process with the index already open.
    const queries = [
      { name: "rare word", fts: RARE_WORD, rg: ["-c", "-z", RARE_WORD] },
      { name: "common word", fts: COMMON_WORD, rg: ["-c", "-z", COMMON_WORD] },
      { name: "phrase", fts: `"${PHRASE}"`, rg: ["-c", "-z", "-F", PHRASE] },
    ];
    const reps = Math.max(s.reps, 5);
    for (const q of queries) {
      const args = ["search", q.fts, "--json", "--limit", "20", "--home", home];
      const once = timeRollout(s, args, { capture: true }).stdout;
      const ours: number[] = [];
      const theirs: number[] = [];
      const plain: number[] = [];
      let rgFiles = 0;
      for (let rep = 0; rep < reps; rep++) {
        ours.push(timeRollout(s, args).ms);
        if (rgMissing !== null) continue;
        const run = rg(q.rg);
        theirs.push(run.ms);
        rgFiles = run.stdout.split("\n").filter((l) => l !== "").length;
        plain.push(rg(q.rg.filter((a) => a !== "-z")).ms);
      }
      addRow(
        results,
        {
          id: "B9",
          label: `search ${q.name}: search ${shellWords([q.fts])} --json --limit 20`,
          unit: "ms",
          samples: ours,
        },
        ["≤ 50 ms warm", (m) => m <= 50],
      );
      if (rgMissing === null) {
        addRow(results, { id: "B9", label: `rg ${shellWords(q.rg)}`, unit: "ms", samples: theirs });
        addRow(
          results,
          { id: "B9", label: `search ${q.name} / rg -z`, unit: "×", samples: ratios(ours, theirs) },
          ["≤ 0.1", (m) => m <= 0.1],
        );
        addRow(results, {
          id: "B9",
          label: `search ${q.name} / rg without -z`,
          unit: "×",
          samples: ratios(ours, plain),
        });
      }
      results.notes.push(
        `B9 ${q.name} ${q.fts}: ${JSON.parse(once).length} hits in ${
          sessionsIn(once)
        } sessions shown (--limit 20); rg: ${rgFiles} files match${
          q.name === "rare word" ? `; planted in ${made.rare.sessions.length}` : ""
        }${q.name === "phrase" ? `; planted in ${made.phrase.sessions}` : ""}`,
      );
    }
    const t0 = performance.now();
    const index = await openIndex(home);
    const opened = performance.now() - t0;
    try {
      addRow(results, {
        id: "B9",
        label: "in process: openIndex() with nothing changed",
        unit: "ms",
        samples: [opened],
      });
      for (const q of queries) {
        search(index, q.fts, { limit: 20 });
        const times: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          const t = performance.now();
          search(index, q.fts, { limit: 20 });
          times.push(performance.now() - t);
        }
        addRow(results, {
          id: "B9",
          label: `in process: search() ${q.name} ${q.fts}, limit 20`,
          unit: "ms",
          samples: times,
        });
      }
    } finally {
      index.close();
    }
  } finally {
    remove(home);
  }
}

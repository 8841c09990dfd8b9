/**
 * Tier 9 with real processes (RELIABILITY.md): `rollout archive`, `rollout append` to an
 * archived session (which restores it first) and `rollout prune --yes`, SIGKILLed at random
 * moments, or, under strace, exactly at the `rename` or the `unlink` of an archive or a
 * restore. After every kill the session must be readable in one of its forms, holding exactly
 * what it held (an append may add its item), its lock free; the next round starts from
 * whatever the kill left, so every leftover (both forms, a temporary file) is recovered from.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { archiveRollout } from "../../lib/store/archive.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { WriterLock } from "../../lib/store/writer_lock.ts";
import type { Subject } from "./proto_process.ts";
import { SeededRandom } from "./seeded_random.ts";
import { STRACE } from "./strace_faults.ts";

const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib");

/** Options of {@linkcode runArchiveKillCampaign}. */
export interface ArchiveKillOptions {
  subject: Subject;
  kills: number;
  seed: number;
  /** Size of the session, in MiB (default 16): an archive then takes a good fraction of a second. */
  sizeMb?: number;
  /** Share of kills placed by strace at a rename or an unlink (default 0.3; 0 without strace). */
  stepShare?: number;
  onKill?: (figures: ArchiveKillFigures) => void;
}

/** What a campaign did. Every problem is a broken promise. */
export interface ArchiveKillFigures {
  subject: string;
  kills: number;
  /** Kills placed by strace at a rename or unlink. */
  stepKills: number;
  /** Kills after which both forms, or a temporary file, were there: the work was cut mid-way. */
  midway: number;
  /** Runs that finished before their kill (their outcome is checked too). */
  finished: number;
  archives: number;
  appends: number;
  prunes: number;
  problems: string[];
}

type Op = "archive" | "append" | "prune";

/** A command run to its end or killed; `ms` from spawn to exit. */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const DAY = 86_400_000;

function run(
  subject: Subject,
  args: string[],
  options: { killAfterMs?: number; wrapper?: string[] } = {},
): Promise<Run> {
  const argv = [...(options.wrapper ?? []), subject.command, ...subject.prefix, ...args];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = options.killAfterMs === undefined
      ? null
      : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
    child.on("error", reject);
    child.on("close", (code) => {
      if (timer !== null) clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** A session of about `mb` MiB: turns with tool output and screenshots that repeat. */
async function bigSession(home: string, mb: number, random: SeededRandom): Promise<string> {
  const rec = await RolloutRecorder.create({ home, meta: { cwd: "/repo" } });
  const shots = Array.from(
    { length: 4 },
    () => `data:image/png;base64,${Buffer.from(random.bytes(150_000)).toString("base64")}`,
  );
  for (let turn = 0; rec.itemCount < 10_000 && fs.statSync(rec.path!).size < mb * 2 ** 20; turn++) {
    await rec.recordItems([
      {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: `turn ${turn}` }, {
          type: "input_image",
          image_url: shots[turn % shots.length],
        }],
      },
      {
        type: "function_call_output",
        call_id: `call_${turn}`,
        output: Buffer.from(random.bytes(20_000)).toString("hex"),
      },
    ]);
  }
  await rec.close();
  return rec.path!;
}

/** What a reader sees of the session: the plain file, else its archive decompressed. */
function visible(plain: string): Uint8Array | null {
  if (fs.existsSync(plain)) return fs.readFileSync(plain);
  if (fs.existsSync(`${plain}.zst`)) {
    return zlib.zstdDecompressSync(fs.readFileSync(`${plain}.zst`));
  }
  return null;
}

const startsWith = (a: Uint8Array, prefix: Uint8Array) =>
  a.length >= prefix.length && Buffer.compare(a.subarray(0, prefix.length), prefix) === 0;

/** `bytes` without a torn tail: what an append keeps of a file before writing. */
function cut(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(0, bytes.lastIndexOf(10) + 1);
}

function leftovers(plain: string): { both: boolean; temps: string[] } {
  const names = fs.readdirSync(path.dirname(plain));
  const base = path.basename(plain);
  return {
    both: names.includes(base) && names.includes(`${base}.zst`),
    temps: names.filter((n) => n.startsWith(base) && n.includes(".tmp-")),
  };
}

/** Problems with the session after a round; `expect` is what it must start with or equal. */
function sessionProblems(plain: string, expect: { bytes: Uint8Array; exact: boolean }): string[] {
  let seen: Uint8Array | null;
  try {
    seen = visible(plain);
  } catch (error) {
    return [`the archive does not decompress: ${(error as Error).message}`];
  }
  if (seen === null) return ["neither the plain file nor its archive is there"];
  const ok = expect.exact
    ? Buffer.compare(seen, expect.bytes) === 0
    : startsWith(seen, expect.bytes);
  if (!ok) {
    return [
      `the session holds ${seen.length} bytes that differ from the ${expect.bytes.length} expected`,
    ];
  }
  const form = fs.existsSync(plain) ? plain : `${plain}.zst`;
  try {
    const loaded = loadRollout(form);
    if (loaded.report.skipped_lines.length > 0) {
      return [`the loader skips lines: ${JSON.stringify(loaded.report.skipped_lines[0])}`];
    }
  } catch (error) {
    return [`the loader refuses it: ${(error as Error).message}`];
  }
  try {
    WriterLock.acquire(plain, { pid: process.pid }).release();
  } catch (error) {
    return [`the lock is not free after the kill: ${(error as Error).message}`];
  }
  return [];
}

/** The strace wrapper that SIGKILLs at the first rename, or the first unlink of `file`. */
function stepWrapper(step: "rename" | "unlink", file: string): string[] {
  const calls = step === "rename" ? "rename,renameat,renameat2" : "unlink,unlinkat";
  return [
    STRACE,
    "-f",
    "-qq",
    "-o",
    "/dev/null",
    ...(step === "unlink" ? ["-P", file] : []),
    "-e",
    `trace=${calls}`,
    "-e",
    `inject=${calls}:signal=SIGKILL:when=1`,
    "--",
  ];
}

/** Runs the campaign; see the module doc. */
export async function runArchiveKillCampaign(
  options: ArchiveKillOptions,
): Promise<ArchiveKillFigures> {
  const random = new SeededRandom(options.seed);
  const figures: ArchiveKillFigures = {
    subject: options.subject.name,
    kills: 0,
    stepKills: 0,
    midway: 0,
    finished: 0,
    archives: 0,
    appends: 0,
    prunes: 0,
    problems: [],
  };
  const stepShare = fs.existsSync(STRACE) ? options.stepShare ?? 0.3 : 0;
  const root = fs.mkdtempSync(
    path.join(os.tmpdir(), `rollout-archive-kill-${options.subject.name}-`),
  );
  const home = path.join(root, "home");
  const cmd = (op: Op, round: number) =>
    op === "archive"
      ? ["archive", id, "--home", home]
      : op === "prune"
      ? ["prune", "--older-than", "1d", "--yes", "--home", home]
      : ["append", id, "--home", home, "--item", itemOf(round)];
  const itemOf = (round: number) =>
    JSON.stringify({
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: `round ${round}` }],
    });
  const plain = await bigSession(home, options.sizeMb ?? 16, random);
  const id = path.basename(plain).slice("rollout-2026-01-01T00-00-00-".length, -".jsonl".length);
  const times: Record<Op, number> = { archive: 0, append: 0, prune: 0 };
  try {
    // Calibration: one archive and one append to their end; kills land within their times.
    for (const op of ["archive", "append", "prune"] as const) {
      const done = await run(options.subject, cmd(op, -1));
      if (done.code !== 0) throw new Error(`rollout ${op} failed: ${done.stderr}`);
      times[op] = done.ms;
    }
    let base = fs.readFileSync(plain);
    for (let round = 0; round < options.kills && figures.problems.length === 0; round++) {
      const op: Op = round % 7 === 6 ? "prune" : round % 2 === 0 ? "archive" : "append";
      // An append is killed while it restores: the session is archived first (not killed).
      if (op === "append" && fs.existsSync(plain)) await archiveRollout(plain);
      const archived = !fs.existsSync(plain);
      const problems = await killRound({ op, round, base, archived });
      figures.problems.push(
        ...problems.map((p) => `${options.subject.name} round ${round} (${op}): ${p}`),
      );
      if (problems.length === 0) base = Buffer.from(visible(plain)!);
      options.onKill?.(figures);
    }
    if (figures.problems.length === 0) {
      // The end: an archive and an append run to their end leave one form each, no leftovers.
      for (const op of ["archive", "append"] as const) {
        const done = await run(options.subject, cmd(op, options.kills));
        const left = leftovers(plain);
        if (done.code !== 0 || left.both || left.temps.length > 0) {
          figures.problems.push(
            `final ${op}: exit ${done.code}, ${JSON.stringify(left)} ${done.stderr}`,
          );
        }
      }
      const after = visible(plain);
      if (after === null || !startsWith(after, cut(base))) {
        figures.problems.push("after the final runs the session lost content");
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return figures;

  async function killRound(
    round: { op: Op; round: number; base: Uint8Array; archived: boolean },
  ): Promise<string[]> {
    const { op } = round;
    let victim: string | null = null;
    if (op === "prune") {
      const rec = await RolloutRecorder.create({ home, meta: { cwd: "/repo" } });
      await rec.recordItems([{
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "old" }],
      }]);
      await rec.close();
      victim = rec.path!;
      const old = new Date(Date.now() - 3 * DAY);
      fs.utimesSync(victim, old, old);
    }
    const victimBytes = victim === null ? null : fs.readFileSync(victim);
    const step = op !== "prune" && random.chance(stepShare)
      ? random.pick(["rename", "unlink"] as const)
      : null;
    const unlinked = round.archived ? `${plain}.zst` : plain;
    const done = await run(options.subject, cmd(op, round.round), {
      ...(step === null
        ? { killAfterMs: random.next() * times[op] * 1.2 }
        : { wrapper: stepWrapper(step, unlinked) }),
    });
    figures.kills++;
    if (step !== null) figures.stepKills++;
    if (done.code === 0) figures.finished++;
    figures[op === "archive" ? "archives" : op === "append" ? "appends" : "prunes"]++;
    const left = leftovers(plain);
    if (left.both || left.temps.length > 0) figures.midway++;
    if (op === "archive" || op === "prune") {
      const problems = sessionProblems(plain, { bytes: round.base, exact: true });
      if (victim !== null && victimBytes !== null) {
        const gone = !fs.existsSync(victim) && !fs.existsSync(`${victim}.zst`);
        if (!gone && Buffer.compare(visible(victim) ?? Buffer.alloc(0), victimBytes) !== 0) {
          problems.push("the pruned session is neither gone nor intact");
        }
        if (done.code === 0 && !gone) {
          problems.push("prune finished but the session is still there");
        }
      }
      if (op === "archive" && done.code === 0 && fs.existsSync(plain)) {
        problems.push(`archive finished but left the plain file: ${done.stdout}`);
      }
      return problems;
    }
    const problems = sessionProblems(plain, { bytes: cut(round.base), exact: false });
    if (problems.length > 0) return problems;
    const item = itemOf(round.round);
    const items = loadRollout(fs.existsSync(plain) ? plain : `${plain}.zst`).saved.items;
    if (done.code === 0 && JSON.stringify(items.at(-1)) !== item) {
      return [`append printed "${done.stdout.trim()}" but its item is not the last one`];
    }
    return [];
  }
}

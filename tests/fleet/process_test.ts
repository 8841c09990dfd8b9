/**
 * The fleet store through the compiled binary (SPEC §10): `rollout sync` SIGKILLed at random
 * moments of a large push ends, run once more, with exactly the files' lines; `sync --watch`
 * waits out PostgreSQL going away, and pushes an acknowledged append within a second. A process
 * tier: Deno only, one throwaway cluster for the file.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, test } from "node:test";
import postgres, { type Sql } from "postgres";
import { writeBigRollout } from "../../scripts/big_rollout.ts";
import { generateHome } from "../../scripts/gen_home.ts";
import { tempDir, userMessage } from "../helpers.ts";
import { processTierSkip } from "../reliability/process_tier_gate.ts";
import { BINARY } from "../reliability/proto_process.ts";
import { runCommand } from "../reliability/run_command.ts";
import { SeededRandom } from "../reliability/seeded_random.ts";
import { appendTurns, writeSession } from "./codex_turns.ts";
import { mirrorProblems } from "./mirror_check.ts";
import { pgAvailable, type PgCluster, startCluster } from "./pg_cluster.ts";

const skip = processTierSkip("process_test.ts") ||
  (!pgAvailable() && "PostgreSQL is not installed");
const MiB = 1024 * 1024;
/** SIGKILLs that must land while the sync runs. */
const KILLS = 20;
/** The session id `writeBigRollout` gives its file. */
const BIG_ID = "019b0000-0000-7000-8000-00000000b1a9";

let cluster: Promise<PgCluster> | null = null;
const shared = () => cluster ??= startCluster();

after(async () => {
  await cluster?.then((c) => c.destroy(), () => {});
});

const connect = (url: string): Sql =>
  postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });

/** Calls `probe` every `everyMs` until it gives a value; fails after `timeoutMs`. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; everyMs?: number },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let last: unknown = "no value";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) {
      throw new Error(`Gave up waiting ${options.timeoutMs} ms for ${what}: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}

/** A `rollout` child process, its output gathered as it comes. */
interface Running {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: string | null }>;
}

function start(args: string[]): Running {
  const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (output.stdout += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (output.stderr += text));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal }))
  );
  return { child, output, exited };
}

/**
 * Sends `name` to the process (`process.kill`: Deno's `child.kill()` reports the signal as the
 * way it ended, whatever the process did); nothing when it has ended.
 */
function signal(running: Running, name: "SIGKILL" | "SIGTERM"): void {
  try {
    process.kill(running.child.pid!, name);
  } catch (error) {
    if ((error as { code?: string }).code !== "ESRCH") throw error;
  }
}

/** Whether the store holds exactly the home's files for `machine` (false before its tables). */
async function mirrored(sql: Sql, home: string, machine: string): Promise<true | undefined> {
  return (await mirrorProblems(sql, { home, machine })).length === 0 ? true : undefined;
}

/** `rollout new` in `home`: the new session's id. */
async function newSession(home: string): Promise<string> {
  const made = await runCommand(BINARY, ["new", "--home", home, "--json"]);
  assert.equal(made.code, 0, made.stderr);
  return (JSON.parse(made.stdout) as { session_id: string }).session_id;
}

/** `rollout append` of one user message per text; returns once they are durable. */
async function append(home: string, id: string, texts: string[]): Promise<void> {
  const items = texts.flatMap((text) => ["--item", JSON.stringify(userMessage(text))]);
  const done = await runCommand(BINARY, ["append", id, ...items, "--home", home]);
  assert.equal(done.code, 0, done.stderr);
}

/** Sessions of `machine` whose push was cut between two commits of one file. */
async function cutMidFile(sql: Sql, machine: string): Promise<number> {
  const [tables] = await sql`SELECT to_regclass('rollout.sessions') IS NOT NULL AS there`;
  if (!tables!.there) return 0;
  const [row] = await sql`SELECT count(*)::int AS n FROM rollout.sessions
    WHERE machine = ${machine} AND mtime_ms < 0 AND synced_bytes > 0`;
  return row!.n;
}

test(
  "rollout sync killed by SIGKILL 20 times during a large push, run once more: every line stored once",
  { skip },
  async () => {
    const c = await shared();
    const { dir, cleanup } = tempDir("rollout-fleet-kill-");
    const home = path.join(dir, "home");
    // The files' content is fixed; the kill moments come from a seed printed for a rerun.
    const random = new SeededRandom(1);
    generateHome(home, {
      sessions: 6,
      bytes: 400_000,
      flavour: "text",
      documentShare: 0,
      zstShare: 0.5,
    });
    const big = path.join(home, "sessions", "2026", "11", "01");
    fs.mkdirSync(big, { recursive: true });
    const bigFile = path.join(big, `rollout-2026-11-01T09-00-00-${BIG_ID}.jsonl`);
    let ordinal = writeBigRollout(bigFile, 32 * MiB).lines;
    const sync = (url: string) => ["sync", "--to", url, "--machine", "k", "--home", home];

    // One whole sync into a database of its own sets the range of the kill moments.
    const t0 = performance.now();
    const whole = await runCommand(BINARY, sync(await c.createDatabase("kill_measure")));
    const fullMs = Math.round(performance.now() - t0);
    assert.equal(whole.code, 0, whole.stderr);
    const seed = Number(process.env.ROLLOUT_KILL_SEED ?? Date.now() % 2 ** 31);
    const moments = new SeededRandom(seed);
    console.log(
      `process_test: kill seed ${seed} (ROLLOUT_KILL_SEED=${seed} draws the same moments); a whole sync took ${fullMs} ms`,
    );

    const url = await c.createDatabase("kill_store");
    const sql = connect(url);
    const figures = { runs: 0, kills: 0, finished: 0, midFile: 0, grown: 0, replaced: 0 };
    // Kill moments fall within three fifths of the whole sync: a run after a growth pushes
    // about half of what the whole sync did, so most runs are killed and some still end by
    // themselves (which grows or replaces the big file). Drawn from the whole, half the runs
    // ended before their kill, and a CI run made only 19 kills in its 40 runs.
    const within = Math.max(50, Math.round(fullMs * 0.6));
    try {
      while (figures.kills < KILLS) {
        assert.ok(figures.runs < 2 * KILLS, `${JSON.stringify(figures)}: too few runs killed`);
        figures.runs++;
        const delay = moments.int(50, within);
        const run = start(sync(url));
        const timer = setTimeout(() => signal(run, "SIGKILL"), delay);
        const end = await run.exited;
        clearTimeout(timer);
        if (end.signal === "SIGKILL") {
          figures.kills++;
          // The next run takes the machine's lock only once the server let the killed one go.
          await until("the killed sync's connections to close", async () => {
            const [row] = await sql`SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'rollout'`;
            return row!.n === 0 ? true : undefined;
          }, { timeoutMs: 10_000, everyMs: 20 });
          if (await cutMidFile(sql, "k") > 0) figures.midFile++;
          continue;
        }
        assert.equal(end.code, 0, `run ${figures.runs} failed: ${run.output.stderr}`);
        // It finished before its kill: give the next runs work, a new session and a big file
        // that grew by several commits' worth, or (once it is large) was replaced by another.
        figures.finished++;
        const id = `019b1111-0000-7000-8000-${String(figures.finished).padStart(12, "0")}`;
        writeSession(home, random, { id, bytes: 200_000 });
        if (fs.statSync(bigFile).size < 56 * MiB) {
          ordinal = appendTurns(bigFile, random, {
            ordinal,
            bytes: 16 * MiB,
            outputBytes: 64 * 1024,
          }).ordinal;
          figures.grown++;
        } else {
          const other = path.join(dir, "replacement.jsonl");
          ordinal = writeBigRollout(other, 32 * MiB, { outputBytes: 48 * 1024 + figures.finished })
            .lines;
          fs.renameSync(other, bigFile);
          figures.replaced++;
        }
      }
      const last = await runCommand(BINARY, sync(url));
      assert.equal(last.code, 0, last.stderr);
      const again = await runCommand(BINARY, [...sync(url), "--json"]);
      assert.equal(again.code, 0, again.stderr);
      const report = JSON.parse(again.stdout) as Record<string, number>;
      console.log(`process_test: ${JSON.stringify(figures)}`);
      assert.deepEqual(
        { read: report.read, grown: report.grown, records: report.records },
        { read: 0, grown: 0, records: 0 },
        "a sync after the last one has nothing to push",
      );
      assert.deepEqual(await mirrorProblems(sql, { home, machine: "k" }), []);
      assert.ok(figures.midFile >= 1, `no kill landed between two commits of one file`);
    } finally {
      await sql.end();
      cleanup();
    }
  },
);

test("rollout sync --watch waits out PostgreSQL going away and catches up by itself", {
  skip,
}, async () => {
  const c = await shared();
  const url = await c.createDatabase("watch_outage");
  const { dir: home, cleanup } = tempDir("rollout-fleet-watch-");
  const sql = connect(url);
  let watcher: Running | null = null;
  try {
    generateHome(home, { sessions: 3, bytes: 100_000, flavour: "text", documentShare: 0 });
    const id = await newSession(home);
    await append(home, id, ["before the watcher started"]);
    watcher = start(["sync", "--watch", "--to", url, "--machine", "w", "--home", home]);
    const output = watcher.output;
    // When each warning (a failed try) arrives.
    const warnedAt: number[] = [];
    watcher.child.stderr!.on("data", (text: string) => {
      const now = performance.now();
      for (let n = text.split("rollout: warning:").length - 1; n > 0; n--) warnedAt.push(now);
    });
    await until("the first pass", () => mirrored(sql, home, "w"), {
      timeoutMs: 30_000,
      everyMs: 100,
    });

    await c.stop();
    await append(home, id, ["written while the database was gone", "and a second item"]);
    await append(home, await newSession(home), ["a session begun while it was gone"]);
    await until("a warning", () => output.stderr.includes("rollout: warning:") || undefined, {
      timeoutMs: 15_000,
    });
    // Changes while the database is away do not cut the waits short: the tries follow the
    // timer (0.5 s, then 1 s, 2 s, ...), however many appends land meanwhile. Told by the time
    // between two warnings as they arrive (when the test first sees one depends on how busy
    // the machine is; the time between two does not).
    for (let n = 0; n < 6; n++) await append(home, id, [`burst ${n} while it was gone`]);
    const gaps = warnedAt.slice(1).map((at, i) => Math.round(at - warnedAt[i]!));
    assert.ok(
      gaps.every((gap) => gap >= 250),
      `warnings ${
        JSON.stringify(gaps)
      } ms apart during a burst of appends: a try did not wait for its timer`,
    );
    await c.start();
    const restarted = performance.now();
    // The watcher tries again after at most 30 s (its longest backoff), then pushes.
    await until("the changes pushed once the database is back", () => mirrored(sql, home, "w"), {
      timeoutMs: 45_000,
      everyMs: 100,
    });
    console.log(
      `process_test: caught up ${Math.round(performance.now() - restarted)} ms after the restart`,
    );
    await until("the watcher to say so", () => output.stderr.includes("back") || undefined, {
      timeoutMs: 10_000,
    });
    assert.match(
      output.stderr,
      /\nrollout: warning: cannot reach the database at 127\.0\.0\.1:\d+\/watch_outage: [^\n]+; trying again in 0\.5 s\n/,
    );
    assert.match(output.stderr, /\nrollout: the database is back; caught up\n/);
    assert.ok(!output.stderr.includes(c.password), "the password is never shown");
    signal(watcher, "SIGTERM");
    assert.deepEqual(await watcher.exited, { code: 0, signal: null }, output.stderr);
    watcher = null;
  } finally {
    if (watcher !== null) signal(watcher, "SIGKILL");
    await c.start();
    await sql.end();
    cleanup();
  }
});

test("rollout sync --watch pushes an acknowledged append within a second", { skip }, async () => {
  const c = await shared();
  const url = await c.createDatabase("watch_latency");
  const { dir: home, cleanup } = tempDir("rollout-fleet-latency-");
  const sql = connect(url);
  let watcher: Running | null = null;
  try {
    const id = await newSession(home);
    await append(home, id, ["before the watcher started"]);
    watcher = start(["sync", "--watch", "--to", url, "--machine", "l", "--home", home]);
    await until("the first pass", () => mirrored(sql, home, "l"), {
      timeoutMs: 30_000,
      everyMs: 100,
    });
    // A promise measured: the best of three appends must be seen within a second.
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) {
      const marker = `qlatency${i}mark`;
      await append(home, id, [`look for ${marker}`]);
      const acknowledged = performance.now();
      await until(`the row of ${marker}`, async () => {
        const rows = await sql`SELECT 1 FROM rollout.records r
          JOIN rollout.sessions s ON s.id = r.session
          WHERE s.machine = 'l' AND r.raw LIKE ${`%${marker}%`}`;
        return rows.length > 0 ? true : undefined;
      }, { timeoutMs: 10_000, everyMs: 20 });
      latencies.push(Math.round(performance.now() - acknowledged));
    }
    console.log(`process_test: append acknowledged to row visible: ${latencies.join(", ")} ms`);
    assert.ok(Math.min(...latencies) <= 1000, `latencies ${latencies.join(", ")} ms`);
    assert.deepEqual(await mirrorProblems(sql, { home, machine: "l" }), []);
    signal(watcher, "SIGTERM");
    assert.deepEqual(await watcher.exited, { code: 0, signal: null }, watcher.output.stderr);
    watcher = null;
  } finally {
    if (watcher !== null) signal(watcher, "SIGKILL");
    await sql.end();
    cleanup();
  }
});

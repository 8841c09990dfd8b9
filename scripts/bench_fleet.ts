/**
 * B12 (SPEC §10): the fleet store in a throwaway PostgreSQL 15 cluster (tests/fleet/pg_cluster.ts):
 * `rollout sync` of a generated home against psql's `\copy` of the very rows it wrote into the
 * same table; `search --from` over at least a million records, as a process and in the database;
 * `sync --watch` from an acknowledged `rollout append` to the row being visible.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import postgres, { type Sql } from "postgres";
import { type Fleet, fleetSearch, openFleet } from "../lib/fleet/mod.ts";
import {
  pgAvailable,
  type PgCluster,
  poolerAvailable,
  startCluster,
  startPooler,
} from "../tests/fleet/pg_cluster.ts";
import { addRow, ratios, type Results, runtimeName } from "./bench_report.ts";
import { remove, scratch, type Settings } from "./bench_fixtures.ts";
import {
  ensureTool,
  filesUnder,
  rolloutCommand,
  rolloutLabel,
  rolloutMissing,
  timeRollout,
  timeRun,
  warmUp,
} from "./bench_tools.ts";
import { COMMON_WORD, generateHome, RARE_WORD } from "./gen_home.ts";

const MACHINE = "bench";
/** Warm-up runs, then timed runs, of each search. */
const WARM = 3;
const SEARCHES = 10;
/** The delay each way of the link to "a database on another machine" (scripts/lag_proxy.ts). */
const LINK_DELAY_MS = 2;
const LAG_PROXY = new URL("./lag_proxy.ts", import.meta.url).pathname;
/**
 * The relay runs on Bun when it is installed (package.json pins it), whichever runtime runs the
 * benchmark: under Deno the same relay put a rare word's search at 379 ms against 221 ms, its
 * timers holding each chunk longer than asked.
 */
const BUN = new URL("../node_modules/.bin/bun", import.meta.url).pathname;
const PG_FLOOR = new URL("./pg_floor.ts", import.meta.url).pathname;

const connect = (url: string, debug?: postgres.Options<never>["debug"]): Sql =>
  postgres(url, { max: 1, onnotice: () => {}, ...(debug === undefined ? {} : { debug }) });

/** The columns of `rollout.<table>` a row can be given (no identity, no generated one). */
function columns(cluster: PgCluster, url: string, table: string): string[] {
  return cluster.psql(
    url,
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'rollout'
      AND table_name = '${table}' AND is_generated = 'NEVER' AND is_identity = 'NO'
      ORDER BY ordinal_position;`,
  ).trim().split("\n");
}

function count(cluster: PgCluster, url: string, sql: string): number {
  return Number(cluster.psql(url, sql).trim());
}

/** Milliseconds of `fn`, run synchronously. */
function clock(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/**
 * (i) `rollout sync` of the home into a fresh database, then `\copy` of the same rows into the
 * same table emptied; each repetition pairs the two. Returns the last database, full.
 */
async function benchSync(
  results: Results,
  s: Settings,
  setup: { cluster: PgCluster; home: string; bytes: number; dump: string },
): Promise<string> {
  const { cluster, home, bytes, dump } = setup;
  const ours: number[] = [];
  const theirs: number[] = [];
  let url = "";
  let records = 0;
  for (let rep = 0; rep < s.b12Reps; rep++) {
    if (url !== "") cluster.psql(cluster.url, `DROP DATABASE b12_sync_${rep - 1};`);
    url = await cluster.createDatabase(`b12_sync_${rep}`);
    cluster.psql(url, "CHECKPOINT;");
    const run = timeRollout(
      s,
      ["sync", "--to", url, "--machine", MACHINE, "--home", home, "--json"],
      { capture: true },
    );
    ours.push(run.ms);
    records = (JSON.parse(run.stdout) as { records: number }).records;
    const copied = columns(cluster, url, "records").join(", ");
    if (rep === 0) {
      cluster.psql(url, `\\copy (SELECT ${copied} FROM rollout.records) TO '${dump}'`);
    }
    cluster.psql(url, "TRUNCATE rollout.records; CHECKPOINT;");
    theirs.push(
      clock(() => cluster.psql(url, `\\copy rollout.records (${copied}) FROM '${dump}'`)),
    );
    const loaded = count(cluster, url, "SELECT count(*) FROM rollout.records;");
    if (loaded !== records) {
      throw new Error(`B12: \\copy loaded ${loaded} rows, rollout sync wrote ${records}`);
    }
  }
  const mb = bytes / 1e6;
  const speed = (ms: number[]) => ms.map((t) => mb / (t / 1000));
  addRow(results, {
    id: "B12",
    label: `sync: ${rolloutLabel(s)} sync --to URL, ${records.toLocaleString("en-US")} records`,
    unit: "ms",
    samples: ours,
  });
  addRow(results, { id: "B12", label: "sync: speed", unit: "MB/s", samples: speed(ours) });
  addRow(results, {
    id: "B12",
    label: `psql \\copy rollout.records FROM the same rows (${
      (fs.statSync(dump).size / 1e6).toFixed(0)
    } MB of COPY text)`,
    unit: "MB/s",
    samples: speed(theirs),
  });
  addRow(
    results,
    { id: "B12", label: "sync speed / \\copy speed", unit: "×", samples: ratios(theirs, ours) },
    ["≥ 0.5", (m) => m >= 0.5],
  );
  return url;
}

/**
 * Copies sessions of `MACHINE` with their records, under other machine names, until the store
 * holds at least `target` records (the last copy only as many sessions as it takes).
 */
function multiply(cluster: PgCluster, url: string, target: number): { copies: number; ms: number } {
  const total = () => count(cluster, url, "SELECT count(*) FROM rollout.records;");
  const sessions = columns(cluster, url, "sessions").filter((c) => c !== "machine");
  const records = columns(cluster, url, "records").filter((c) => c !== "session");
  let copies = 0;
  const ms = clock(() => {
    for (let have = total(); have < target; have = total()) {
      const machine = `${MACHINE}-copy-${++copies}`;
      cluster.psql(
        url,
        `INSERT INTO rollout.sessions (machine, ${sessions.join(", ")})
          SELECT '${machine}', ${sessions.join(", ")} FROM rollout.sessions WHERE id IN (
            SELECT id FROM (SELECT id, records, sum(records) OVER (ORDER BY id) AS upto
              FROM rollout.sessions WHERE machine = '${MACHINE}') AS s
            WHERE upto - records < ${target - have});
        INSERT INTO rollout.records (session, ${records.join(", ")})
          SELECT n.id, ${records.map((c) => `r.${c}`).join(", ")} FROM rollout.records r
          JOIN rollout.sessions o ON o.id = r.session AND o.machine = '${MACHINE}'
          JOIN rollout.sessions n ON n.machine = '${machine}' AND n.path = o.path;`,
      );
    }
    cluster.psql(url, "VACUUM ANALYZE rollout.records; VACUUM ANALYZE rollout.sessions;");
  });
  return { copies, ms };
}

/** The database's own time for the queries of one `fleetSearch()`, by EXPLAIN ANALYZE. */
async function explained(sql: Sql, queries: { query: string; parameters: unknown[] }[]) {
  let ms = 0;
  for (const { query, parameters } of queries) {
    const [row] = await sql.unsafe(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${query}`,
      parameters as never[],
    );
    const plan = (row!["QUERY PLAN"] as { "Planning Time": number; "Execution Time": number }[])[
      0
    ]!;
    ms += plan["Planning Time"] + plan["Execution Time"];
  }
  return ms;
}

/** (ii) `search WORD --from URL --limit 20` warm, as a process and in process. */
async function benchSearch(
  results: Results,
  s: Settings,
  url: string,
  total: number,
  floor: Floor,
) {
  const startup: number[] = [];
  for (let i = 0; i < SEARCHES; i++) startup.push(timeRollout(s, ["--version"]).ms);
  addRow(results, {
    id: "B12",
    label: "start-up (rollout --version)",
    unit: "ms",
    samples: startup,
  });
  floorRow(results, floor, url, "straight");
  const opened: number[] = [];
  for (let i = 0; i < WARM + SEARCHES; i++) {
    const start = performance.now();
    const fleet = await openFleet(url, { create: false });
    await fleet.close();
    if (i >= WARM) opened.push(performance.now() - start);
  }
  addRow(results, {
    id: "B12",
    label:
      "in process: openFleet() and close(), as each command does (connect, SCRAM, schema check)",
    unit: "ms",
    samples: opened,
  });
  let capture = false;
  const queries: { query: string; parameters: unknown[] }[] = [];
  const sql = connect(url, (_connection, query, parameters) => {
    if (capture) queries.push({ query, parameters });
  });
  const fleet: Fleet = { sql, url, checked: Promise.resolve(), close: () => sql.end() };
  try {
    for (const [name, word] of [["rare word", RARE_WORD], ["common word", COMMON_WORD]]) {
      const args = ["search", word!, "--from", url, "--limit", "20", "--json"];
      let hits = 0;
      for (let i = 0; i < WARM; i++) {
        hits = (JSON.parse(timeRollout(s, args, { capture: true }).stdout) as unknown[]).length;
      }
      const runs: number[] = [];
      for (let i = 0; i < SEARCHES; i++) runs.push(timeRollout(s, args).ms);
      addRow(
        results,
        {
          id: "B12",
          label: `search ${name}: search ${word} --from URL --limit 20 (${hits} hits)`,
          unit: "ms",
          samples: runs,
        },
        ["≤ 100 ms warm", (m) => m <= 100],
      );
      const inProcess: number[] = [];
      const database: number[] = [];
      for (let i = 0; i < WARM + SEARCHES; i++) {
        queries.length = 0;
        capture = true;
        const start = performance.now();
        await fleetSearch(fleet, word!, { limit: 20 });
        const ms = performance.now() - start;
        capture = false;
        const db = await explained(sql, queries);
        if (i < WARM) continue;
        inProcess.push(ms);
        database.push(db);
      }
      addRow(results, {
        id: "B12",
        label: `search ${name}: in process, fleetSearch() with the connection open`,
        unit: "ms",
        samples: inProcess,
      });
      addRow(results, {
        id: "B12",
        label:
          `search ${name}: in the database (EXPLAIN ANALYZE, planning + execution, ${queries.length} queries)`,
        unit: "ms",
        samples: database,
      });
    }
  } finally {
    await sql.end();
  }
  results.notes.push(
    `B12 search: over ${
      total.toLocaleString("en-US")
    } records; ${WARM} runs first, then the median of ${SEARCHES}; a process is spawned and waited for (spawnSync)`,
  );
}

/** `run` WARM times unmeasured, then SEARCHES times: the milliseconds of those. */
function warmThenTimed(run: () => number): number[] {
  for (let i = 0; i < WARM; i++) run();
  return Array.from({ length: SEARCHES }, run);
}

/** The built scripts/pg_floor.ts, or why there is none. */
type Floor = string | { missing: string };

/**
 * scripts/pg_floor.ts built as the binary is (with the options of `npm run build`) into `dir`:
 * the path of the program, or why there is none (a `--rollout` command is measured, or no Bun
 * to build).
 */
function buildFloor(s: Settings, dir: string): Floor {
  if (s.rollout !== undefined) return { missing: "the floor is built only to match the binary" };
  if (!fs.existsSync(BUN)) return { missing: `${BUN} is missing (npm ci)` };
  const pkg = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  // `bun build OPTIONS ENTRIES --outfile OUT`: options of one word each (`--x`, `--x=y`).
  const words = String(pkg.scripts.build).split(/\s+/);
  const options: string[] = [];
  for (let i = words.indexOf("build") + 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--outfile") i++;
    else if (word.startsWith("--")) options.push(word);
    else if (!word.endsWith(".ts")) {
      return { missing: `package.json's build has a word pg_floor cannot place: ${word}` };
    }
  }
  const out = path.join(dir, "pg_floor");
  const build = spawnSync(BUN, ["build", ...options, PG_FLOOR, "--outfile", out], {
    encoding: "utf8",
  });
  if (build.status !== 0) {
    return { missing: `bun build of pg_floor.ts failed: ${build.stderr.trim().split("\n")[0]}` };
  }
  return out;
}

/**
 * The floor under a search per process at `url` (`how` the way there): the built
 * scripts/pg_floor.ts, which starts, connects as the commands do, asks `SELECT 1` and ends.
 */
function floorRow(results: Results, floor: Floor, url: string, how: string) {
  if (typeof floor !== "string") {
    results.notes.push(`B12: no floor ${how}: ${floor.missing}`);
    return;
  }
  addRow(results, {
    id: "B12",
    label: `floor ${how}: scripts/pg_floor.ts built as the binary: start, connect, SELECT 1, end`,
    unit: "ms",
    samples: warmThenTimed(() => timeRun(floor, [url]).ms),
  });
}

/** The rare and the common word's `search --from URL` per process, warm: one row each. */
function searchRows(results: Results, s: Settings, url: string, how: string, goal: boolean) {
  for (const [name, word] of [["rare word", RARE_WORD], ["common word", COMMON_WORD]]) {
    const args = ["search", word!, "--from", url, "--limit", "20", "--json"];
    const row = {
      id: "B12",
      label: `search ${name}, ${how}: search ${word} --from URL --limit 20`,
      unit: "ms",
      samples: warmThenTimed(() => timeRollout(s, args).ms),
    };
    if (goal) addRow(results, row, ["≤ 100 ms warm", (m) => m <= 100]);
    else addRow(results, row);
  }
}

/**
 * (ii c) The same searches per process through PgBouncer (transaction pooling), as a team that
 * searches often would run it (docs/fleet.md): the server's backends stay warm, and a client's
 * connection costs no new server process. Installed from Debian when missing.
 */
async function benchSearchPooled(
  results: Results,
  s: Settings,
  cluster: PgCluster,
  url: string,
  floor: Floor,
) {
  const missing = ensureTool("pgbouncer", "pgbouncer");
  if (missing !== null || !poolerAvailable()) {
    results.notes.push(`B12: no search through PgBouncer: ${missing ?? "it cannot run here"}`);
    return;
  }
  const pooler = await startPooler(cluster, new URL(url).pathname.slice(1), "transaction");
  try {
    floorRow(results, floor, pooler.url, "through PgBouncer");
    searchRows(results, s, pooler.url, "through PgBouncer (transaction pooling)", true);
  } finally {
    await pooler.stop();
  }
}

/** Starts scripts/lag_proxy.ts in front of `url`'s server; returns its URL and the child. */
async function startLagProxy(url: string): Promise<{ url: string; child: ChildProcess }> {
  const target = new URL(url);
  const args = [LAG_PROXY, target.port, String(LINK_DELAY_MS)];
  const [program, argv] = fs.existsSync(BUN)
    ? [BUN, args]
    : [process.execPath, runtimeName() === "deno" ? ["run", "-A", ...args] : args];
  const child = spawn(program, argv, { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("close", (code) => reject(new Error(`B12: lag_proxy.ts ended (${code})`)));
  });
  target.port = port;
  return { url: target.toString(), child };
}

/**
 * (ii b) The same searches per process through a link that holds every chunk 2 ms each way, as
 * a database on another machine would: what the round trips of a search cost.
 */
async function benchSearchAway(results: Results, s: Settings, url: string) {
  const proxy = await startLagProxy(url);
  try {
    searchRows(results, s, proxy.url, `${LINK_DELAY_MS} ms each way (scripts/lag_proxy.ts)`, false);
  } finally {
    proxy.child.kill("SIGTERM");
    await stopped(proxy.child);
  }
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on("close", (code) => resolve(code));
  });
}

/** Calls `probe` every `everyMs` until it is true; false after `timeoutMs`. */
async function poll(probe: () => Promise<boolean>, everyMs: number, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}

/** (iii) `sync --watch`: from `rollout append` returning to the row being there. */
async function benchWatch(results: Results, s: Settings, url: string): Promise<void> {
  const home = scratch("b12-watch");
  const sql = connect(url);
  const machine = `${MACHINE}-watch`;
  const { program, prefix } = rolloutCommand(s);
  let watcher: ChildProcess | null = null;
  try {
    const made = JSON.parse(
      timeRollout(s, ["new", "--home", home, "--json"], { capture: true }).stdout,
    ) as { session_id: string; path: string };
    const append = (text: string) => {
      const item = { type: "message", role: "user", content: [{ type: "input_text", text }] };
      timeRollout(s, ["append", made.session_id, "--item", JSON.stringify(item), "--home", home]);
      return fs.readFileSync(made.path, "utf8").split("\n").length - 1;
    };
    let lines = append("the first words, before the watcher");
    watcher = spawn(program, [
      ...prefix,
      "sync",
      "--watch",
      "--to",
      url,
      "--machine",
      machine,
      "--home",
      home,
    ], {
      stdio: ["ignore", "ignore", "ignore"],
    });
    let row: { id: string; month: string } | undefined;
    const first = await poll(
      async () => {
        [row] = await sql<{ id: string; month: string }[]>`SELECT id::text, month::text
        FROM rollout.sessions WHERE machine = ${machine} AND records = ${lines}`;
        return row !== undefined;
      },
      20,
      60_000,
    );
    if (!first || row === undefined) throw new Error("B12: the watcher did not push the session");
    const latencies: number[] = [];
    for (let i = 0; i < s.b12Appends; i++) {
      lines = append(`append number ${i} while the watcher runs`);
      const acknowledged = performance.now();
      const seen = await poll(
        async () => {
          const found = await sql`SELECT 1 FROM rollout.records
          WHERE month = ${row!.month} AND session = ${row!.id} AND line = ${lines}`;
          return found.length > 0;
        },
        5,
        30_000,
      );
      if (!seen) throw new Error(`B12: line ${lines} not pushed within 30 s`);
      latencies.push(performance.now() - acknowledged);
    }
    addRow(
      results,
      {
        id: "B12",
        label: `watch: ${s.b12Appends} appends, from rollout append returning to the row visible`,
        unit: "ms",
        samples: latencies,
      },
      ["≤ 1 s", (m) => m <= 1000],
    );
    results.notes.push(
      `B12 watch: the database polled every 5 ms; max ${Math.round(Math.max(...latencies))} ms`,
    );
  } finally {
    if (watcher?.pid !== undefined && watcher.exitCode === null) {
      process.kill(watcher.pid, "SIGTERM");
      await stopped(watcher);
    }
    await sql.end();
    remove(home);
  }
}

/** B12: sync, search and watch against a throwaway PostgreSQL cluster. */
export async function benchB12(results: Results, s: Settings): Promise<void> {
  const missing = rolloutMissing(s, "sync");
  if (missing !== null) {
    results.skips.push({ id: "B12", reason: missing });
    return;
  }
  if (!pgAvailable()) {
    results.skips.push({ id: "B12", reason: "PostgreSQL 15 (initdb, pg_ctl) is not installed" });
    return;
  }
  const home = scratch("b12");
  const dumpDir = scratch("b12-dump");
  const floorDir = scratch("b12-floor");
  let cluster: PgCluster | null = null;
  try {
    process.stderr.write(" generating the home...");
    const made = generateHome(home, { sessions: s.b12Sessions, bytes: s.b12Bytes });
    const size = `${s.b12Sessions.toLocaleString("en-US")} sessions, ${
      (made.plainBytes / 1e9).toFixed(2)
    } GB`;
    results.notes.push(
      `B12 home (scripts/gen_home.ts, seed 1): ${size}; MB/s are of the home's uncompressed bytes`,
    );
    warmUp(filesUnder(path.join(home, "sessions")));
    cluster = await startCluster();
    const version = cluster.psql(cluster.url, "SHOW server_version;").trim();
    results.notes.push(
      `B12: PostgreSQL ${version} on this machine (tests/fleet/pg_cluster.ts: fsync=off, synchronous_commit=off, full_page_writes=off); rollout and the \\copy reference write to the same cluster with the same settings, so their ratio is fair, but both MB/s are above what a durable server reaches`,
    );
    process.stderr.write(" sync...");
    const url = await benchSync(results, s, {
      cluster,
      home,
      bytes: made.plainBytes,
      dump: path.join(dumpDir, "records.copy"),
    });
    process.stderr.write(" search...");
    const grown = multiply(cluster, url, s.b12Records);
    const total = count(cluster, url, "SELECT count(*) FROM rollout.records;");
    results.notes.push(
      `B12: the store filled to ${total.toLocaleString("en-US")} records with ${grown.copies} cop${
        grown.copies === 1 ? "y" : "ies"
      } of (some of) the synced sessions under other machine names (INSERT ... SELECT, then VACUUM ANALYZE: ${
        (grown.ms / 1000).toFixed(1)
      } s)`,
    );
    const floor = buildFloor(s, floorDir);
    await benchSearch(results, s, url, total, floor);
    await benchSearchPooled(results, s, cluster, url, floor);
    await benchSearchAway(results, s, url);
    process.stderr.write(" watch...");
    await benchWatch(results, s, url);
  } finally {
    await cluster?.destroy();
    remove(home);
    remove(dumpDir);
    remove(floorDir);
  }
}

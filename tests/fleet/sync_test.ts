/**
 * `rollout sync --to URL` and the reading commands' `--from URL` against a throwaway PostgreSQL
 * (SPEC §10): every record of every format stored as its file holds it, incremental pushes, two
 * machines at once, the home's answers from the store, clear failures, `--redact`, titles.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { setImmediate } from "node:timers";
import { after, before, test } from "node:test";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import postgres from "postgres";
import { lockedHome, markFixture, ROOT, setup, skipReason, tempDir } from "../helpers.ts";
import { cli, type CliResult } from "../cli/cli_io.ts";
import { fixtureText, idOf, writeSession } from "../cli/fixtures.ts";
import {
  CODEX_2025_LINES,
  CODEX_ENVELOPE_LINES,
  CODEX_TS_DOCUMENT,
  DOCUMENT,
  ID,
  JOURNAL_LINES,
  jsonl,
} from "../fixtures_rollouts.ts";
import { freePort, pgAvailable, type PgCluster, startCluster } from "./pg_cluster.ts";
import { FLEET_SCHEMA_VERSION, FleetError, openFleet, readFleet } from "../../lib/fleet/mod.ts";
import { writeSession as writeCodexSession } from "./codex_turns.ts";
import { SeededRandom } from "../reliability/seeded_random.ts";

const skip = skipReason(
  "tests/fleet/sync_test.ts",
  !pgAvailable() && "PostgreSQL is not installed",
);
const SAMPLES = path.resolve(import.meta.dirname ?? ".", "../../../shared/samples/codex");
const BINARY = path.join(ROOT, "dist", "rollout");

let cluster: PgCluster | undefined;
let databases = 0;

before(async () => {
  if (skip === false) cluster = await startCluster();
});
after(async () => {
  await cluster?.destroy();
});

/** What a test of the store gets: a fresh home, a fresh database and a driver on it. */
interface Store {
  home: string;
  url: string;
  sql: postgres.Sql;
}

/** A test with its own home and database, removed after it (skipped without PostgreSQL). */
function storeTest(name: string, work: (store: Store) => Promise<void>): void {
  test(name, { skip }, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    const { url, sql } = await freshDatabase();
    try {
      await work({ home: dir, url, sql });
    } finally {
      await sql.end();
      cleanup();
    }
  });
}

async function freshDatabase(): Promise<{ url: string; sql: postgres.Sql }> {
  const url = await cluster!.createDatabase(`sync_${process.pid}_${++databases}`);
  return { url, sql: postgres(url, { max: 1, onnotice: () => {} }) };
}

/** What `rollout sync --json` reports. */
interface Report {
  read: number;
  grown: number;
  unchanged: number;
  unreadable: number;
  records: number;
  redacted: Record<string, number>;
  skipped_folders: { path: string; message: string }[];
  unreadable_files: { path: string; message: string }[];
}

/** `rollout sync --json`, which must succeed: its report and its stderr. */
async function sync(home: string, url: string, machine: string, ...more: string[]) {
  const argv = ["sync", "--to", url, "--home", home, "--machine", machine, "--json", ...more];
  const result = await cli(argv);
  assert.equal(result.code, 0, result.stderr);
  return { report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

/** The report's counts of files and records. */
function counts({ read, grown, unchanged, unreadable, records }: Report) {
  return { read, grown, unchanged, unreadable, records };
}

/** Runs `argv`, which must succeed; its stdout. */
async function ok(argv: string[]): Promise<string> {
  const result = await cli(argv);
  assert.equal(result.code, 0, `${argv.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------
// Homes

/**
 * A session file written by a test, with its id and the format `validate` names (null: no
 * rollout; "": a sample, of whatever format it has).
 */
interface Written {
  file: string;
  id: string;
  format: string | null;
}

const line = (timestamp: string, type: string, payload: unknown) =>
  JSON.stringify({ timestamp, type, payload }) + "\n";
const message = (role: string, text: string) => ({
  type: "message",
  role,
  content: [{ type: role === "user" ? "input_text" : "output_text", text }],
});

/** Token counts as Codex records them: input, cached, output, reasoning; the turn's and the sum. */
function tokens(last: number[], total: number[]) {
  const usage = ([input, cached, output, reasoning]: number[]) => ({
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: input! + output!,
  });
  const info = { total_token_usage: usage(total), last_token_usage: usage(last) };
  return { type: "token_count", info: { ...info, model_context_window: 258400 } };
}

/** A Codex session of two turns on two models, with token counts (one said twice). */
function usageSession(id: string): string {
  const t = (s: number) => `2026-11-26T09:00:${String(s).padStart(2, "0")}.000Z`;
  const call = { type: "function_call", name: "shell", arguments: '{"command":["kubectl"]}' };
  const output = { type: "function_call_output", output: "deployment.apps/zebra configured" };
  return line(t(0), "session_meta", { id, timestamp: t(0), cwd: "/srv/zoo" }) +
    line(t(1), "turn_context", { cwd: "/srv/zoo", model: "gpt-5-codex" }) +
    line(t(2), "response_item", message("user", "deploy the zebra service")) +
    line(t(3), "response_item", { ...call, call_id: "c1" }) +
    line(t(4), "response_item", { ...output, call_id: "c1" }) +
    line(t(5), "event_msg", tokens([1000, 200, 50, 20], [1000, 200, 50, 20])) +
    line(t(6), "event_msg", tokens([1000, 200, 50, 20], [1000, 200, 50, 20])) +
    line(t(7), "response_item", message("assistant", "Deployed the zebra service to staging.")) +
    line(t(8), "turn_context", { cwd: "/srv/zoo", model: "gpt-5.3-codex" }) +
    line(t(9), "response_item", message("user", "now the giraffe service")) +
    line(t(10), "event_msg", tokens([1500, 1000, 80, 0], [2500, 1200, 130, 20])) +
    // A count in a shape not understood: not counted, and said.
    line(t(10), "event_msg", {
      type: "token_count",
      info: { total_token_usage: { input_tokens: "many" } },
    }) +
    line(t(11), "response_item", message("assistant", "The giraffe service is deployed too."));
}

/** The id of the session with token counts: unique from its first characters. */
const USAGE_ID = "0199d00d-1111-7222-8333-444455556666";

type Format = "journal" | "codex_envelope" | "codex_jsonl_2025" | "document" | "codex_ts_document";

/**
 * A home with a session of every format: our journal, Codex's envelope, its 2025 JSONL, both
 * documents, a session with token counts, a `.jsonl.zst` archive, a journal with a line that
 * is not UTF-8, a file that is no rollout; and the real Codex samples when they are here.
 */
function everyFormat(home: string): Written[] {
  const out: Written[] = [];
  /** Session `n` (its id `idOf(n)`, or `own`, in place of `was`), filed at 08:n. */
  const put = (n: number, format: Format | null, text: string, was?: string, own?: string) => {
    const id = own ?? idOf(n);
    const stamp = `2026-11-26T08-${String(n).padStart(2, "0")}-00`;
    const content = was === undefined ? text : text.replaceAll(was, id);
    const file = writeSession(home, { id, format: format ?? "journal", text: content, stamp });
    out.push({ file, id, format });
    return file;
  };
  put(1, "journal", jsonl(JOURNAL_LINES), ID);
  put(2, "codex_envelope", jsonl(CODEX_ENVELOPE_LINES), "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  put(3, "codex_jsonl_2025", jsonl(CODEX_2025_LINES), "5973b6c0-94b8-487b-a530-2aeb6098ae0e");
  put(4, "document", DOCUMENT, ID);
  put(5, "codex_ts_document", CODEX_TS_DOCUMENT, "b1946ac9-2c4b-4c73-9d0e-3e2a8f1c0d11");
  put(6, "codex_envelope", usageSession(USAGE_ID), undefined, USAGE_ID);
  const archived = put(7, "journal", fixtureText("journal", idOf(7)));
  fs.writeFileSync(`${archived}.zst`, zstdCompressSync(fs.readFileSync(archived)));
  fs.rmSync(archived);
  out.at(-1)!.file = markFixture(`${archived}.zst`);
  const damaged = put(8, "journal", "");
  const lines = fixtureText("journal", idOf(8)).split("\n");
  fs.writeFileSync(
    damaged,
    Buffer.concat([
      Buffer.from(lines.slice(0, 3).join("\n") + "\n"),
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // {"<not UTF-8>"}, line 4
      Buffer.from(lines.slice(3).join("\n")),
    ]),
  );
  put(9, null, "this is no rollout\n");
  return [...out, ...copySamples(home)];
}

/** The real Codex samples named `<source>__rollout-...`, copied into their dated folders. */
function copySamples(home: string): Written[] {
  if (!fs.existsSync(SAMPLES)) return [];
  const out: Written[] = [];
  for (const name of fs.readdirSync(SAMPLES).sort()) {
    const base = name.split("__")[1];
    const date = /^rollout-(\d{4})-(\d\d)-(\d\d)/.exec(base ?? "");
    if (base === undefined || date === null) continue;
    const dir = path.join(home, "sessions", date[1]!, date[2]!, date[3]!);
    fs.mkdirSync(dir, { recursive: true });
    const file = markFixture(path.join(dir, base));
    fs.copyFileSync(path.join(SAMPLES, name), file);
    out.push({ file, id: "", format: "" });
  }
  return out;
}

/**
 * The lines of a line file (decompressed first) that are UTF-8 text, or a document's whole
 * text as one: what the store keeps as text, in order.
 */
function fileRecords(file: string): string[] {
  const bytes = file.endsWith(".zst")
    ? zstdDecompressSync(fs.readFileSync(file))
    : fs.readFileSync(file);
  const strict = new TextDecoder("utf-8", { fatal: true });
  if (file.endsWith(".json")) return [strict.decode(bytes)];
  const lines: string[] = [];
  let start = 0;
  for (let at = bytes.indexOf(10); start < bytes.length; at = bytes.indexOf(10, start)) {
    const end = at < 0 ? bytes.length : at;
    try {
      lines.push(strict.decode(bytes.subarray(start, end)));
    } catch {
      // Damaged: kept as a mark, not as text.
    }
    start = end + 1;
  }
  return lines;
}

/** The path a file is known by in the store: an archive under its `.jsonl` name. */
const storedPath = (file: string) => file.replace(/\.zst$/, "");

/** The stored lines of a session file, in line order (those kept as text). */
async function storedRecords(sql: postgres.Sql, machine: string, file: string): Promise<string[]> {
  const rows = await sql`SELECT r.raw FROM rollout.records r
    JOIN rollout.sessions s ON s.id = r.session AND s.month = r.month
    WHERE s.machine = ${machine} AND s.path = ${storedPath(file)} AND r.raw IS NOT NULL
    ORDER BY r.line`;
  return rows.map((row) => String(row.raw));
}

/** Every readable file's records are in the store as the file holds them. */
async function assertMirrored(sql: postgres.Sql, machine: string, written: Written[]) {
  for (const session of written) {
    if (session.format === null) continue;
    const want = fileRecords(session.file);
    assert.deepEqual(await storedRecords(sql, machine, session.file), want, session.file);
  }
}

/** Rows of each table of the store. */
async function tableCounts(sql: postgres.Sql) {
  const [row] = await sql`SELECT
    (SELECT count(*)::int FROM rollout.sessions) AS sessions,
    (SELECT count(*)::int FROM rollout.records) AS records,
    (SELECT count(*)::int FROM rollout.usage) AS usage,
    (SELECT count(*)::int FROM rollout.names) AS names`;
  return { ...row };
}

// ---------------------------------------------------------------------------------------------
// 1. Record by record

storeTest("rollout sync stores each format's records as the file holds them", async (store) => {
  const { home, url, sql } = store;
  const written = everyFormat(home);
  const first = await sync(home, url, "m1");
  const total = await tableCounts(sql);
  assert.deepEqual(counts(first.report), {
    read: written.length - 1,
    grown: 0,
    unchanged: 0,
    unreadable: 1,
    records: total.records,
  });
  // The file that is no rollout is named.
  const foreign = written.find((w) => w.format === null)!.file;
  assert.equal(
    first.stderr,
    `rollout: warning: "${foreign}": not synced: not a rollout (neither JSON lines nor a JSON document)\n`,
  );
  await assertMirrored(sql, "m1", written);

  const sessions = await sql`SELECT path, format, compressed, error, session_id
    FROM rollout.sessions WHERE machine = 'm1'`;
  assert.equal(sessions.length, written.length);
  const byPath = new Map(sessions.map((row) => [String(row.path), row]));
  for (const session of written) {
    const row = byPath.get(storedPath(session.file));
    assert.ok(row !== undefined, `no row for ${session.file}`);
    assert.equal(row.error === null, session.format !== null, `${session.file}: ${row.error}`);
    if (session.format === "") continue; // a sample: whatever readable format it has
    assert.equal(row.format, session.format, session.file);
    assert.equal(row.session_id, session.format === null ? null : session.id, session.file);
    assert.equal(row.compressed, session.file.endsWith(".zst"), session.file);
  }
  const unreadable = written.find((w) => w.format === null)!;
  assert.match(String(byPath.get(unreadable.file)!.error), /not a rollout/);

  // The line that is not UTF-8 has its row in its place, marked; a document's items have a
  // row each (for search), without text.
  const textless = async (n: number) =>
    (await sql`SELECT r.line, r.damage FROM rollout.records r
      JOIN rollout.sessions s ON s.id = r.session
      WHERE s.path = ${written.find((w) => w.id === idOf(n))!.file} AND r.raw IS NULL
      ORDER BY r.line`).map((row) => ({ ...row }));
  assert.deepEqual(await textless(8), [{ line: 4, damage: "invalid_utf8" }]);
  assert.deepEqual(await textless(4), [{ line: 1, damage: null }, { line: 2, damage: null }]);

  const again = await sync(home, url, "m1");
  assert.deepEqual(counts(again.report), {
    read: 0,
    grown: 0,
    unchanged: written.length,
    unreadable: 0,
    records: 0,
  });
  assert.deepEqual(await tableCounts(sql), total);
  await assertMirrored(sql, "m1", written);
});

// ---------------------------------------------------------------------------------------------
// 2. Incremental

/** Each stored line of `file` and the transaction that wrote it. */
async function lineWriters(sql: postgres.Sql, file: string): Promise<Map<number, string>> {
  const rows = await sql`SELECT r.line, r.xmin::text AS writer FROM rollout.records r
    JOIN rollout.sessions s ON s.id = r.session WHERE s.path = ${storedPath(file)}`;
  return new Map(rows.map((row) => [Number(row.line), String(row.writer)]));
}

storeTest("rollout sync pushes only added lines; a replaced file again whole", async (store) => {
  const { home, url, sql } = store;
  const session = (n: number, format: Format = "journal"): Written => ({
    file: writeSession(home, { id: idOf(n), format, stamp: `2026-11-26T10-0${n}-00` }),
    id: idOf(n),
    format,
  });
  const [grown, codex, replaced, rewritten, truncated] = [
    session(1),
    session(2, "codex_envelope"),
    session(3),
    session(4),
    session(5),
  ] as const;
  const all = [grown, codex, replaced, rewritten, truncated];
  const lines = (...files: Written[]) => files.reduce((n, w) => n + fileRecords(w.file).length, 0);
  const synced = async () => counts((await sync(home, url, "m")).report);
  const none = { read: 0, grown: 0, unchanged: 0, unreadable: 0 };
  assert.deepEqual(await synced(), { ...none, read: 5, records: lines(...all) });
  await assertMirrored(sql, "m", all);

  // Lines appended by `rollout append`: only they are written, the others stay as they were.
  const before = await lineWriters(sql, grown.file);
  const items = [message("user", "and the hidden files"), message("assistant", "None.")];
  await ok([
    "append",
    grown.id,
    "--home",
    home,
    ...items.flatMap((i) => ["--item", JSON.stringify(i)]),
  ]);
  const added = lines(grown) - before.size;
  assert.ok(added >= 2, `${added} lines appended`);
  assert.deepEqual(await synced(), { ...none, grown: 1, unchanged: 4, records: added });
  const after = await lineWriters(sql, grown.file);
  assert.equal(after.size, before.size + added);
  for (const [n, writer] of before) assert.equal(after.get(n), writer, `line ${n} written again`);
  // A line added by another writer (Codex appending to its file) too.
  fs.appendFileSync(codex.file, line("2026-11-26T10:02:09.000Z", "response_item", items[0]));
  assert.deepEqual(await synced(), { ...none, grown: 1, unchanged: 4, records: 1 });
  await assertMirrored(sql, "m", all);

  // A file replaced (another renamed over it), one rewritten in place (other, longer lines),
  // one cut short: each read again from its start, no row of before left.
  fs.writeFileSync(`${replaced.file}.new`, fixtureText("codex_jsonl_2025", idOf(3)));
  fs.renameSync(`${replaced.file}.new`, replaced.file);
  const longer = fixtureText("journal", idOf(4)).replace("list files", "list every file");
  fs.writeFileSync(rewritten.file, longer);
  const cut = fileRecords(truncated.file).slice(0, 2);
  fs.truncateSync(truncated.file, Buffer.byteLength(cut.join("\n") + "\n"));
  assert.deepEqual(await synced(), {
    ...none,
    read: 3,
    unchanged: 2,
    records: lines(replaced, rewritten, truncated),
  });
  for (const w of [replaced, rewritten, truncated]) {
    const stored = [...(await lineWriters(sql, w.file)).keys()].sort((a, b) => a - b);
    assert.deepEqual(stored, fileRecords(w.file).map((_, i) => i + 1), w.file);
  }
  await assertMirrored(sql, "m", all);
  const [row] = await sql`SELECT format FROM rollout.sessions WHERE path = ${replaced.file}`;
  assert.equal(row!.format, "codex_jsonl_2025");

  // Archived: the same session under the same path, now compressed, with the same lines.
  await ok(["archive", grown.id, "--home", home]);
  const archive = { ...grown, file: `${grown.file}.zst` };
  assert.ok(fs.existsSync(archive.file) && !fs.existsSync(grown.file));
  assert.deepEqual(await synced(), { ...none, read: 1, unchanged: 4, records: lines(archive) });
  await assertMirrored(sql, "m", [archive, codex, replaced, rewritten, truncated]);
  const [kept] = await sql`SELECT count(*)::int AS n, bool_and(compressed) AS compressed
    FROM rollout.sessions WHERE path = ${grown.file}`;
  assert.deepEqual({ ...kept }, { n: 1, compressed: true });
});

// ---------------------------------------------------------------------------------------------
// 3. Two machines at once

/** How to start `rollout` as a process: the built binary, else this runtime on main.ts. */
function rolloutCommand(): string[] {
  if (fs.existsSync(BINARY)) return [BINARY];
  const main = path.join(ROOT, "main.ts");
  return "Deno" in globalThis ? [process.execPath, "run", "-A", main] : [process.execPath, main];
}

/** Runs `rollout ...args` as a child process. */
function spawnRollout(args: string[]): Promise<CliResult> {
  const [command, ...first] = rolloutCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...first, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => stdout += d);
    child.stderr.setEncoding("utf8").on("data", (d: string) => stderr += d);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A session as `list --json` shows it. */
interface Listed {
  id: string;
  machine: string;
  path: string;
  title: string | null;
}

async function listFrom(url: string, ...more: string[]): Promise<Listed[]> {
  return JSON.parse(await ok(["list", "--from", url, "--json", ...more])) as Listed[];
}

storeTest(
  "--from reads the file a session was updated in last, and names the others",
  async (store) => {
    const { home, url } = store;
    const id = idOf(5);
    const flat = path.join(home, "sessions", `rollout-2026-11-26T11-15-28-${id}.jsonl`);
    fs.mkdirSync(path.dirname(flat), { recursive: true });
    const text = fixtureText("codex_envelope", id);
    const lines = text.split("\n");
    fs.writeFileSync(flat, lines.slice(0, 2).join("\n") + "\n");
    await sync(home, url, "m");
    // Moved into its dated folder, and grown: the store holds both paths.
    const dated = writeSession(home, { id, format: "codex_envelope", text });
    fs.rmSync(flat);
    await sync(home, url, "m");
    const result = await cli(["load", id, "--from", url]);
    assert.equal(result.code, 0, result.stderr);
    const local = await ok(["load", dated, "--home", home]);
    assert.equal(result.stdout, local);
    assert.match(
      result.stderr,
      new RegExp(
        `is in the store from 2 files; reading ${dated}, updated last \\(the others: ${flat};`,
      ),
    );
  },
);

storeTest(
  "--from removes its copy of the session when a signal ends the command",
  async (store) => {
    const { home, url } = store;
    const id = idOf(6);
    const t = "2026-11-26T11:15:28.120Z";
    const line = (type: string, payload: unknown) =>
      JSON.stringify({ timestamp: t, type, payload }) + "\n";
    let text = line("session_meta", { id, timestamp: t, cwd: "/w" });
    const words = "a transcript long enough to fill a pipe ".repeat(20);
    for (let i = 0; i < 400; i++) text += line("response_item", message("user", `${i} ${words}`));
    writeSession(home, { id, format: "codex_envelope", text });
    await sync(home, url, "m");
    const tmp = path.join(home, "tmp");
    fs.mkdirSync(tmp);
    // Its output goes to a FIFO whose reader (another process) takes the first bytes and then
    // sleeps: the pipe fills and the command waits in its write, its copy of the session still
    // there. (A pipe of child_process is read ahead by some runtimes: it would never wait.)
    const fifo = path.join(home, "out.fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const reader = spawn(
      "sh",
      ["-c", 'exec < "$0"; head -c 1 > /dev/null; echo started >&2; exec sleep 600', fifo],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const started = new Promise<void>((resolve) => reader.stderr!.once("data", () => resolve()));
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
    const [command, ...first] = rolloutCommand();
    const child = spawn(command!, [...first, "show", id, "--from", url], {
      stdio: ["ignore", writer, "pipe"],
      env: { ...process.env, TMPDIR: tmp, NO_COLOR: "1" },
    });
    fs.closeSync(writer);
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => stderr += d);
    const closed = new Promise<[number | null, string | null]>((resolve) =>
      child.on("close", (code, signal) => resolve([code, signal]))
    );
    await started;
    assert.equal(
      fs.readdirSync(tmp).filter((n) => n.startsWith("rollout-from-")).length,
      1,
      stderr,
    );
    child.kill("SIGTERM");
    // Ended by the signal, raised again once the copy was removed (some runtimes give a child
    // killed by a signal as exit status 128 + its number).
    const [code, signal] = await closed;
    reader.kill("SIGKILL");
    assert.ok(signal === "SIGTERM" || code === 143, `exit ${code}, signal ${signal}: ${stderr}`);
    assert.deepEqual(fs.readdirSync(tmp), []);
  },
);

storeTest(
  "--from names a damaged line's session by its machine and path, not its copy",
  async (store) => {
    const { home, url } = store;
    const id = idOf(9);
    const text = fixtureText("codex_envelope", id);
    const lines = text.split("\n");
    const file = writeSession(home, {
      id,
      format: "codex_envelope",
      text: [lines[0], "{not json", ...lines.slice(1)].join("\n"),
    });
    await sync(home, url, "m");
    for (const argv of [["show", id], ["load", id], ["export", id, "--to", "md"]]) {
      const local = await cli([...argv, "--home", home]);
      const from = await cli([...argv, "--from", url]);
      assert.equal(from.code, 0, from.stderr);
      assert.match(local.stderr, /: line 2 \(byte \d+\): not JSON/);
      assert.ok(from.stderr.includes(`"m:${file}": line 2 (byte `), from.stderr);
      assert.ok(!from.stderr.includes("rollout-from-"), from.stderr);
    }
    // An error that stops the command names the session the same way: here the stored first
    // line is no meta any more (changed in the store), so no command can load the session.
    await store
      .sql`UPDATE rollout.records SET raw = '{"type":"nothing"}' WHERE line = 1 AND session =
      (SELECT id FROM rollout.sessions WHERE session_id = ${id})`;
    for (const argv of [["show", id], ["load", id], ["export", id, "--to", "md"]]) {
      const from = await cli([...argv, "--from", url]);
      assert.equal(from.code, 1, from.stderr);
      assert.ok(from.stderr.startsWith(`rollout: Cannot load rollout "m:${file}": `), from.stderr);
      assert.ok(!from.stderr.includes("rollout-from-"), from.stderr);
    }
  },
);

storeTest("--last with --from takes the session of the store updated last", async (store) => {
  const { home, url } = store;
  const older = writeSession(home, { id: idOf(7), mtime: 1_700_000_000 });
  const newer = writeSession(home, {
    id: idOf(8),
    stamp: "2026-11-26T11-15-29",
    mtime: 1_700_000_100,
  });
  await sync(home, url, "m");
  const local = await ok(["load", "--last", "--home", home]);
  assert.equal(local, await ok(["load", newer, "--home", home]));
  assert.equal(await ok(["load", "--last", "--from", url]), local);
  assert.equal(await ok(["load", "--last", "--from", url, "--machine", "m"]), local);
  const both = await cli(["load", older, "--last", "--from", url]);
  assert.equal(both.code, 2);
  const none = await cli(["load", "--last", "--from", url, "--machine", "elsewhere"]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No session of machine "elsewhere" to take as --last/);
});

storeTest("rollout sync of two machines at once into a fresh database", async (store) => {
  const { home: a, url, sql } = store;
  const other = tempDir();
  try {
    const b = other.dir;
    const put = (home: string, n: number, format: Format): Written => ({
      file: writeSession(home, { id: idOf(n), format, stamp: `2026-11-26T12-0${n}-00` }),
      id: idOf(n),
      format,
    });
    const ofA = [put(a, 1, "journal"), put(a, 2, "codex_envelope")];
    const ofB = [put(b, 3, "journal"), put(b, 4, "document"), put(b, 5, "codex_envelope")];
    /** The sessions of `machines`, newest first (b's are later than a's), as listed. */
    const expected = (...machines: string[]) =>
      [...machines.includes("a") ? ofA : [], ...machines.includes("b") ? ofB : []].reverse()
        .map((w) => ({ id: w.id, machine: ofA.includes(w) ? "a" : "b", path: w.file }));
    const listed = async (to: string, ...more: string[]) =>
      (await listFrom(to, ...more)).map(({ id, machine, path }) => ({ id, machine, path }));
    const argv = (
      to: string,
      home: string,
      machine: string,
    ) => ["sync", "--to", to, "--home", home, "--machine", machine, "--json"];

    // In one process, two syncs started together.
    const results = await Promise.all([cli(argv(url, a, "a")), cli(argv(url, b, "b"))]);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(results.map((r) => JSON.parse(r.stdout).read), [2, 3]);
    assert.deepEqual(await listed(url), expected("a", "b"));
    assert.deepEqual(await listed(url, "--machine", "a"), expected("a"));
    assert.deepEqual(await listed(url, "--machine", "b"), expected("b"));
    await assertMirrored(sql, "a", ofA);
    await assertMirrored(sql, "b", ofB);

    // Two processes on a fresh database, three times: the schema is made once, both push.
    for (let round = 0; round < 3; round++) {
      const fresh = await freshDatabase();
      try {
        const ran = await Promise.all([
          spawnRollout(argv(fresh.url, a, "a")),
          spawnRollout(argv(fresh.url, b, "b")),
        ]);
        for (const result of ran) assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(ran.map((r) => JSON.parse(r.stdout).read), [2, 3]);
        const versions = await fresh.sql`SELECT version FROM rollout.schema_version`;
        // Every migration once, in order.
        const every = Array.from({ length: FLEET_SCHEMA_VERSION }, (_, i) => i + 1);
        assert.deepEqual(versions.map((v) => v.version), every);
        assert.deepEqual(await listed(fresh.url), expected("a", "b"));
        await assertMirrored(fresh.sql, "a", ofA);
        await assertMirrored(fresh.sql, "b", ofB);
      } finally {
        await fresh.sql.end();
      }
    }
  } finally {
    other.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// 4. The same answers from the store as from the home

/** `value` without its "machine" fields, at any depth. */
function withoutMachine(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMachine);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).filter(([key]) => key !== "machine");
  return Object.fromEntries(entries.map(([key, v]) => [key, withoutMachine(v)]));
}

/** JSON output without its "machine" fields, printed as the commands print JSON. */
const withoutMachines = (stdout: string) =>
  `${JSON.stringify(withoutMachine(JSON.parse(stdout)), null, 2)}\n`;

/** The fields of search hits that do not depend on the engine (not snippets, not times). */
function hitKeys(stdout: string): string {
  const hits = JSON.parse(stdout) as Array<Record<string, unknown>>;
  const keys = hits.map((h) => [h.session_id, h.item, h.line, h.role, h.kind, h.path]);
  return keys.map((key) => JSON.stringify(key)).sort().join("\n");
}

/** A session whose id is no UUID is given a new one in a journal, a new one each time. */
const minted = (stdout: string) =>
  stdout.replace(/"id":"[0-9a-f-]{36}","legacy_id"/, '"id":"<minted>","legacy_id"');

const SESSION_COMMANDS = [
  ["show"],
  ["load"],
  ["load", "--all"],
  ["export", "--to", "md"],
  ["export", "--to", "json"],
  ["export", "--to", "jsonl"],
  ["export", "--to", "html"],
];

storeTest("--from answers list, search, show, load, export, usage, du as --home", async (store) => {
  const { home, url } = store;
  const written = everyFormat(home);
  await ok(["name", USAGE_ID, "Zebra deployment", "--home", home]);
  await sync(home, url, "m");
  /** Runs `argv` on the home and on the store: both outputs, as `project` sees them, agree. */
  const both = async (argv: string[], project = (stdout: string) => stdout) => {
    const local = await ok([...argv, "--home", home]);
    const from = await ok([...argv, "--from", url]);
    assert.equal(project(from), project(local), argv.join(" "));
    return local;
  };

  const listed = JSON.parse(await both(["list", "--json"], withoutMachines)) as Listed[];
  assert.equal(listed.length, written.length - 1);
  assert.ok(listed.some((s) => s.path.endsWith(".jsonl.zst")), "an archive is listed");
  await both(["usage", "--json"]);
  await both(["usage", "--by", "session", "--json"]);
  const models = await both(["usage", "--by", "model", "--json"]);
  assert.match(models, /"gpt-5\.3-codex"/, "the session with token counts is counted");
  assert.deepEqual(JSON.parse(models).unreadable_token_counts, [
    { session_id: USAGE_ID, records: 1 },
  ]);
  await both(["du", "--json"], withoutMachines);

  // Each session by its path (an archive's .jsonl.zst too), then by id, id prefix and title.
  for (const session of listed) {
    for (const argv of SESSION_COMMANDS) await both([...argv, session.path], minted);
  }
  await both(["show", idOf(7)]);
  await both(["load", idOf(2)]);
  await both(["load", USAGE_ID.slice(0, 8)]);
  await both(["show", "Zebra deployment"]);

  const queries = ["files", '"fix the tests"', "zeb*", "zebra OR files", "zebra NOT staging"];
  for (const query of queries) {
    const hits = await both(["search", query, "--json", "--limit", "1000"], hitKeys);
    assert.notEqual(hitKeys(hits), "", `no hit for ${query}`);
  }
});

storeTest(
  "search --from finds a Chinese word inside a sentence, and marks it, as --home does",
  async (store) => {
    const { home, url } = store;
    const t = "2026-11-26T15:00:00.000Z";
    const line = (type: string, payload: unknown) =>
      JSON.stringify({ timestamp: t, type, payload }) + "\n";
    const bodies = ["我们需要修复数据库连接的问题; fix package.json", "数字和字数"];
    bodies.forEach((body, i) => {
      const id = idOf(i + 1);
      writeSession(home, {
        id,
        stamp: `2026-11-26T15-0${i}-00`,
        text: line("session_meta", { id, timestamp: t, cwd: "/repo" }) +
          line("response_item", {
            type: "message",
            role: "user",
            content: [{ type: "input_text", text: body }],
          }),
      });
    });
    await sync(home, url, "m");
    for (const [query, found] of [["数据库", [1]], ["字数", [2]], ["据连", []]] as const) {
      const local = await ok(["search", query, "--json", "--home", home]);
      const from = await ok(["search", query, "--json", "--from", url]);
      assert.equal(hitKeys(from), hitKeys(local), query);
      const ids = (JSON.parse(from) as Array<{ session_id: string }>).map((h) => h.session_id);
      assert.deepEqual(ids, found.map(idOf), query);
    }
    const shown = await ok(["search", "数据库", "--from", url]);
    assert.ok(shown.includes("我们需要修复**数据库**连接的问题"), shown);
  },
);

storeTest(
  "a store a newer rollout migrated is used when its version says this one still can",
  async (store) => {
    const { home, url, sql } = store;
    writeSession(home, { id: idOf(1) });
    await sync(home, url, "m");
    const next = FLEET_SCHEMA_VERSION + 1;
    // A version that only added what this rollout need not know of (as version 2 added indexes).
    await sql`INSERT INTO rollout.schema_version (version, usable_from)
    VALUES (${next}, ${FLEET_SCHEMA_VERSION})`;
    writeSession(home, { id: idOf(2), stamp: "2026-11-26T12-00-00" });
    const { report } = await sync(home, url, "m");
    assert.equal(report.read, 1);
    const listed = JSON.parse(await ok(["list", "--from", url, "--json"])) as Listed[];
    assert.deepEqual(listed.map((s) => s.id).sort(), [idOf(1), idOf(2)]);
    // One that changed what this rollout reads or writes: refused, the store left as it was.
    await sql`INSERT INTO rollout.schema_version (version, usable_from) VALUES (${
      next + 1
    }, ${next})`;
    writeSession(home, { id: idOf(3), stamp: "2026-11-26T13-00-00" });
    const newer = `rollout: the database was migrated by a newer rollout (schema version ${
      next + 1
    }; this rollout knows up to ${FLEET_SCHEMA_VERSION}): upgrade rollout on this machine\n`;
    for (const argv of [["sync", "--to", url, "--home", home], ["list", "--from", url]]) {
      const result = await cli(argv);
      assert.equal(result.code, 1, argv.join(" "));
      assert.equal(result.stderr, newer);
    }
    const [row] = await sql`SELECT count(*)::int AS n FROM rollout.sessions`;
    assert.equal(row!.n, 2);
  },
);

// ---------------------------------------------------------------------------------------------
// 5. Failures

/** Every file under `dir` with its size, time and bytes: what a failed command must keep. */
function snapshot(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((name) => {
    const file = path.join(dir, name);
    const stat = fs.statSync(file);
    return stat.isFile()
      ? `${name} ${stat.size} ${stat.mtimeMs} ${fs.readFileSync(file).toString("base64")}`
      : `${name}/`;
  });
}

/** `text` as a regular expression that matches it literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

storeTest("sync and --from fail in one line, hide the password, write nothing", async (store) => {
  const { home, url, sql } = store;
  writeSession(home, { id: idOf(1) });
  writeSession(home, { id: idOf(2), format: "document" });
  const before = snapshot(home);
  const database = new URL(url).pathname.slice(1);
  const server = `127.0.0.1:${cluster!.port}`;
  /** `argv` fails with exit `code` and `stderr`, nothing on stdout, nothing in the home. */
  const fails = async (argv: string[], code: number, stderr: string | RegExp) => {
    // The home is also where the reading commands look by default: --from must not.
    const result = await cli(argv, { env: { CODEX_HOME: home } });
    const what = argv.join(" ");
    assert.equal(result.code, code, `${what}: ${result.stderr}`);
    assert.equal(result.stdout, "", what);
    if (typeof stderr === "string") assert.equal(result.stderr, stderr, what);
    else assert.match(result.stderr, stderr, what);
    assert.ok(!result.stderr.includes(cluster!.password), `${what} shows the password`);
    assert.deepEqual(snapshot(home), before, `${what} wrote in the home`);
    return result.stderr;
  };
  const syncTo = (to: string) => ["sync", "--to", to, "--home", home, "--machine", "m"];

  // A wrong password: said with the place and the user, never the password given.
  const secret = "Wr0ng-Passw0rd-42";
  const wrong = url.replace(`:${cluster!.password}@`, `:${secret}@`);
  assert.notEqual(wrong, url);
  const refused =
    `rollout: the database at ${server}/${database} refused the password of user "postgres"\n`;
  await fails(syncTo(wrong), 1, refused);
  await fails(["list", "--from", wrong], 1, refused);
  await fails(["show", idOf(1), "--from", wrong], 1, refused);

  // Nothing listening there.
  const port = await freePort();
  const nowhere = `postgres://postgres:${secret}@127.0.0.1:${port}/${database}`;
  const unreachable = new RegExp(
    `^rollout: cannot reach the database at 127\\.0\\.0\\.1:${port}/${database}: connection refused [^\\n]*\\n$`,
  );
  assert.ok(!(await fails(syncTo(nowhere), 1, unreachable)).includes(secret));
  await fails(["usage", "--from", nowhere], 1, unreachable);
  // A password of one letter found in the words of the message leaves them whole.
  const short = `postgres://postgres:b@127.0.0.1:${port}/${database}`;
  await fails(["list", "--from", short], 1, unreachable);

  // Not a PostgreSQL URL, or none at all; no such database on the server.
  const mysql = `mysql://root:${secret}@127.0.0.1/db`;
  await fails(
    syncTo(mysql),
    1,
    'rollout: --to needs a postgres:// or postgresql:// URL, got "mysql:" in mysql://root:***@127.0.0.1/db\n',
  );
  await fails(["du", "--from", `${secret}@nowhere`], 1, /^rollout: --from needs a URL such as /);
  await fails(["sync", "--home", home], 1, /^rollout: no database: give --to postgres:\/\//);
  await fails(
    syncTo(url.replace(/\/[a-z0-9_]+$/, "/no_such_db")),
    1,
    `rollout: there is no database "no_such_db" at ${server}\n`,
  );

  // A database no rollout synced to: the reading commands say so, and make no table.
  await fails(
    ["list", "--from", url],
    1,
    "rollout: the database holds no rollout sessions yet (no rollout tables): run `rollout sync --to URL` on a machine first\n",
  );
  assert.deepEqual([...await sql`SELECT to_regclass('rollout.sessions') AS t`], [{ t: null }]);

  // A database a newer rollout migrated: refused by sync and the reading commands, untouched.
  await sql`CREATE SCHEMA rollout`;
  await sql`CREATE TABLE rollout.schema_version (version integer PRIMARY KEY,
    migrated_at timestamptz NOT NULL DEFAULT now())`;
  await sql`INSERT INTO rollout.schema_version (version) VALUES (99)`;
  const newer =
    `rollout: the database was migrated by a newer rollout (schema version 99; this rollout knows up to ${FLEET_SCHEMA_VERSION}): upgrade rollout on this machine\n`;
  await fails(syncTo(url), 1, newer);
  await fails(["list", "--from", url], 1, newer);
  await fails(["search", "files", "--from", url], 1, newer);
  const tables = await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'rollout'`;
  assert.deepEqual(tables.map((t) => t.tablename), ["schema_version"]);

  // Misuse: exit 2.
  const usage = (text: string) => new RegExp(`^${literally(text)}\\nUsage: rollout `);
  await fails(
    ["list", "--machine", "m", "--home", home],
    2,
    usage('rollout list: option "--machine" needs --from URL'),
  );
  await fails(
    ["list", "--from", url, "--home", home],
    2,
    usage("rollout list: give --home or --from, not both: --from reads the fleet store"),
  );
  await fails(
    ["sync", "--to", url, "--home", home, "--machine", ""],
    2,
    usage('rollout sync: option "--machine" needs a name, got ""'),
  );
});

// ---------------------------------------------------------------------------------------------
// 6. --redact

/**
 * Rows of the store's tables whose text holds `secret`, by table (a session's mark of the
 * file's last bytes, in hex, read as the bytes it stands for).
 */
async function holding(sql: postgres.Sql, secret: string) {
  const like = `%${secret}%`;
  const [row] = await sql`SELECT
    (SELECT count(*)::int FROM rollout.records r WHERE r::text LIKE ${like}) AS records,
    (SELECT count(*)::int FROM rollout.sessions s WHERE s::text LIKE ${like}
      OR position(convert_to(${secret}, 'UTF8') IN decode(coalesce(s.tail, ''), 'hex')) > 0)
      AS sessions,
    (SELECT count(*)::int FROM rollout.names n WHERE n::text LIKE ${like}) AS names`;
  return { ...row };
}

storeTest("rollout sync --redact leaves no secret in any row of the store", async (store) => {
  const { home, url, sql } = store;
  // A GitHub token made up here (never a real one), in the first message (the preview), a
  // tool output, the last bytes of the file and a title.
  const token = `gh${"p"}_${"aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"}`;
  const t = "2026-11-26T13:00:00.000Z";
  const id = idOf(1);
  const output = { type: "function_call_output", call_id: "c1", output: `using ${token}\n` };
  writeSession(home, {
    id,
    text: line(t, "session_meta", { id, timestamp: t, cwd: "/repo" }) +
      line(t, "response_item", message("user", `push with ${token} please`)) +
      line(t, "response_item", output) +
      line(t, "response_item", message("assistant", `Pushed with ${token}`)),
  });
  writeSession(home, { id: idOf(2), stamp: "2026-11-26T13-30-00" });
  await ok(["name", id, `release ${token}`, "--home", home]);
  const said = /^rollout: github (\d+) replaced before leaving this machine\n$/;
  const nowhere = { records: 0, sessions: 0, names: 0 };

  // Pushed with --redact: the token is nowhere in the store, its marker where it was.
  const redacted = await sync(home, url, "m", "--redact");
  assert.equal(redacted.report.read, 2);
  const replaced = Number(said.exec(redacted.stderr)?.[1]);
  assert.equal(replaced, 4, redacted.stderr); // three times in the records, once in a title
  assert.deepEqual(redacted.report.redacted, { github: replaced });
  assert.deepEqual(await holding(sql, token), nowhere);
  assert.deepEqual(await holding(sql, "[REDACTED:github]"), { records: 3, sessions: 1, names: 1 });
  assert.match(await ok(["load", id, "--from", url]), /push with \[REDACTED:github\] please/);

  // Pushed plain into another database, the token is there (the flag is what takes it out);
  // pushed again with --redact, every row that held it is written again without it.
  const plainStore = await freshDatabase();
  try {
    const plain = await sync(home, plainStore.url, "m");
    assert.equal(plain.stderr, "");
    assert.deepEqual(plain.report.redacted, {});
    assert.deepEqual(await holding(plainStore.sql, token), { records: 3, sessions: 1, names: 1 });
    // A search of the store shows its hits redacted all the same (the snippet of a record, a
    // title), and as stored with --no-redact.
    for (const word of ["push", "release"]) {
      const searched = ["search", word, "--from", plainStore.url, "--json"];
      const shown = await ok(searched);
      assert.ok(!shown.includes(token), shown);
      assert.match(shown, /\[REDACTED:github\]/);
      assert.ok((await ok([...searched, "--no-redact"])).includes(token));
    }
    const again = await sync(home, plainStore.url, "m", "--redact");
    assert.equal(again.report.read, 2);
    assert.match(again.stderr, said);
    assert.deepEqual(await holding(plainStore.sql, token), nowhere);
    const unchanged = await sync(home, plainStore.url, "m", "--redact");
    assert.deepEqual(counts(unchanged.report), {
      read: 0,
      grown: 0,
      unchanged: 2,
      unreadable: 0,
      records: 0,
    });
    assert.equal(unchanged.stderr, "");
  } finally {
    await plainStore.sql.end();
  }
});

// ---------------------------------------------------------------------------------------------
// 7. Titles

/** A Codex session of `entries` ([time, user text]) whose file is named for `stamp`. */
function timedSession(
  home: string,
  n: number,
  stamp: string,
  entries: Array<[string, string]>,
): string {
  const line = (time: string, type: string, payload: unknown) =>
    JSON.stringify({ timestamp: time, type, payload }) + "\n";
  const id = idOf(n);
  const meta = { id, timestamp: entries[0]![0], cwd: "/repo", originator: "codex_cli_rs" };
  const text = line(entries[0]![0], "session_meta", { ...meta, cli_version: "0.60.0" }) +
    entries.map(([time, words]) =>
      line(time, "response_item", {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: words }],
      })
    ).join("");
  return writeSession(home, { id, format: "codex_envelope", stamp, text });
}

storeTest(
  "search --from pages newest first across months, a long session's late hits first",
  async (store) => {
    const { home, url } = store;
    // Month partitions follow the session's start; a session started in January whose last
    // turns came in late March holds the newest hits of all, in the oldest partition.
    const spread: Array<[number, string, Array<[string, string]>]> = [
      [1, "2025-01-05T10-00-00", [
        ["2025-01-05T10:00:00.000Z", "quokka wombat one"],
        ["2025-01-06T10:00:00.000Z", "wombat two"],
        ["2025-03-20T10:00:00.000Z", "quokka wombat three"],
      ]],
      [2, "2025-02-10T10-00-00", [
        ["2025-02-10T10:00:00.000Z", "quokka wombat four"],
        ["2025-02-11T10:00:00.000Z", "wombat five"],
      ]],
      [3, "2025-03-01T10-00-00", [
        ["2025-03-01T10:00:00.000Z", "quokka wombat six"],
        ["2025-03-02T10:00:00.000Z", "quokka wombat seven"],
        ["2025-03-03T10:00:00.000Z", "wombat eight"],
      ]],
      // Four more months: the months are asked in batches of 1, 2 and 4, and a page can end
      // inside a batch.
      [4, "2025-04-01T10-00-00", [["2025-04-01T10:00:00.000Z", "wombat nine"]]],
      [5, "2025-05-01T10-00-00", [["2025-05-01T10:00:00.000Z", "quokka ten"]]],
      [6, "2025-06-01T10-00-00", [["2025-06-01T10:00:00.000Z", "wombat eleven"]]],
      [7, "2025-07-01T10-00-00", [["2025-07-01T10:00:00.000Z", "quokka wombat twelve"]]],
    ];
    for (const [n, stamp, entries] of spread) timedSession(home, n, stamp, entries);
    await sync(home, url, "m");
    /** Every [session, time] of a record holding `word` in [since, until), newest first. */
    const expected = (word: string, since = "", until = "9") =>
      spread.flatMap(([n, , entries]) =>
        entries.filter(([time, words]) =>
          words.split(" ").includes(word) && time >= since && time < until
        ).map(([time]) => [idOf(n), time])
      ).sort((a, b) => a[1]! < b[1]! ? 1 : -1);
    const found = async (args: string[]) =>
      (JSON.parse(await ok(["search", ...args, "--from", url, "--json"])) as Array<
        Record<string, unknown>
      >).map((h) => [h.session_id, h.time]);
    for (const word of ["quokka", "wombat"]) {
      const all = expected(word);
      for (let limit = 1; limit <= all.length + 1; limit++) {
        const hits = JSON.parse(
          await ok(["search", word, "--from", url, "--limit", String(limit), "--json"]),
        ) as Array<Record<string, unknown>>;
        assert.deepEqual(
          hits.map((h) => [h.session_id, h.time]),
          all.slice(0, limit),
          `${word} --limit ${limit}`,
        );
      }
      assert.deepEqual(
        await found([word, "--since", "2025-03-01"]),
        expected(word, "2025-03-01"),
      );
      assert.deepEqual(
        // A record at the very time of --until is not before it.
        await found([word, "--until", "2025-03-02T10:00:00.000Z", "--limit", "2"]),
        expected(word, "", "2025-03-02T10:00:00.000Z").slice(0, 2),
      );
      assert.deepEqual(
        await found([word, "--since", "2025-02-11", "--until", "2025-06-01"]),
        expected(word, "2025-02-11", "2025-06-01"),
      );
      // Every record is a user's, in /repo.
      assert.deepEqual(await found([word, "--role", "user", "--cwd", "/repo"]), all);
      assert.deepEqual(await found([word, "--role", "assistant"]), []);
      assert.deepEqual(await found([word, "--cwd", "/elsewhere"]), []);
      // One machine's months are found another way: the same answer for it, none for another.
      for (const [machine, want] of [["m", all], ["nobody", []]] as const) {
        const hits = JSON.parse(
          await ok(["search", word, "--from", url, "--machine", machine, "--json"]),
        ) as Array<Record<string, unknown>>;
        assert.deepEqual(hits.map((h) => [h.session_id, h.time]), want, `--machine ${machine}`);
      }
    }
  },
);

storeTest(
  "a reader's work starts with the schema check, whose answer decides what is thrown",
  async (store) => {
    // No tables yet: the check's refusal is what a reader says, not the error its own query
    // met (no such table).
    await assert.rejects(
      readFleet(store.url, async (fleet) => await fleet.sql`SELECT count(*) FROM rollout.sessions`),
      (error) => error instanceof FleetError && /holds no rollout sessions yet/.test(error.message),
    );
    const made = await openFleet(store.url, { create: true });
    await made.close();
    // The version table held locked by another connection: the check waits. The work has
    // started meanwhile, but neither `checked` nor the reader settles before the check has
    // answered, though the work itself is done at once.
    let started = false;
    let checked = false;
    let returned = false;
    let reading: Promise<unknown> | null = null;
    await store.sql.begin(async (tx) => {
      await tx`LOCK TABLE rollout.schema_version IN ACCESS EXCLUSIVE MODE`;
      reading = readFleet(store.url, (fleet) => {
        started = true;
        fleet.checked.then(() => checked = true, () => {});
        return Promise.resolve(7);
      });
      reading.then(() => returned = true, () => {});
      assert.equal(started, true);
      // Round trips of this connection until the check is seen waiting for the lock.
      for (;;) {
        const [row] = await tx`SELECT count(*)::int AS n FROM pg_locks
          WHERE NOT granted AND relation = 'rollout.schema_version'::regclass`;
        if (row!.n > 0) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.deepEqual({ checked, returned }, { checked: false, returned: false });
    });
    assert.equal(await reading, 7);
    assert.equal(checked, true);
    // A newer schema that this rollout cannot use: refused, and a work that awaits `checked`
    // before printing or writing goes no further, though its query was answered.
    await store.sql`INSERT INTO rollout.schema_version (version, usable_from) VALUES (99, 99)`;
    let work: Promise<void> | null = null;
    let printed = false;
    await assert.rejects(
      readFleet(store.url, (fleet) =>
        work = (async () => {
          await fleet.sql`SELECT count(*) FROM rollout.sessions`;
          await fleet.checked;
          printed = true;
        })()),
      (error) => error instanceof FleetError && /migrated by a newer rollout/.test(error.message),
    );
    await work!.catch(() => {});
    assert.equal(printed, false);
    await store.sql`DELETE FROM rollout.schema_version WHERE version = 99`;
    // A failure of the work itself, the check passed, is thrown as it is; one thrown before
    // its first await too.
    const own = new Error("the work's own failure");
    await assert.rejects(readFleet(store.url, () => Promise.reject(own)), (error) => error === own);
    await assert.rejects(
      readFleet(store.url, () => {
        throw own;
      }),
      (error) => error === own,
    );
  },
);

storeTest("rollout name titles reach list --from and search --from after sync", async (store) => {
  const { home, url } = store;
  writeSession(home, { id: idOf(1), stamp: "2026-11-26T14-00-00" });
  writeSession(home, { id: idOf(2), stamp: "2026-11-26T14-10-00" });
  const name = async (title: string) => {
    await ok(["name", idOf(1), title, "--home", home]);
    await sync(home, url, "m");
  };
  const titles = async () => (await listFrom(url)).map((s) => [s.id, s.title]);
  const titleHits = async (query: string) => {
    const hits = JSON.parse(await ok(["search", query, "--from", url, "--json"]));
    return (hits as Array<Record<string, unknown>>)
      .filter((h) => h.role === "title")
      .map((h) => [h.session_id, h.title, h.machine]);
  };

  await name("Quarterly zebra migration");
  assert.deepEqual(await titles(), [[idOf(2), null], [idOf(1), "Quarterly zebra migration"]]);
  const hit = [idOf(1), "Quarterly zebra migration", "m"];
  assert.deepEqual(await titleHits("zebra"), [hit]);
  assert.deepEqual(await titleHits("quarter*"), [hit]);
  assert.match(await ok(["show", "Quarterly zebra migration", "--from", url]), /list files/);

  await name("Giraffe audit");
  assert.deepEqual(await titles(), [[idOf(2), null], [idOf(1), "Giraffe audit"]]);
  assert.deepEqual(await titleHits("zebra"), []);
  assert.deepEqual(await titleHits("giraffe"), [[idOf(1), "Giraffe audit", "m"]]);
});

storeTest(
  "a large archive found damaged after batches were committed leaves none of its rows, and the sessions pushed with it all of theirs",
  async ({ home, url, sql }) => {
    const random = new SeededRandom(7);
    // A small session first (files go oldest first), so the archive starts mid-batch.
    const small = writeCodexSession(home, random, { id: idOf(902), bytes: 200_000 });
    fs.utimesSync(small, new Date("2026-11-20T10:00:00Z"), new Date("2026-11-20T10:00:00Z"));
    // 24 MB of turns: the batches of 8 MB commit part of it before the damage is met.
    const big = writeCodexSession(home, random, { id: idOf(901), bytes: 24 * 1024 * 1024 });
    const packed = zstdCompressSync(fs.readFileSync(big));
    // Bytes past the middle of the frame made garbage: the damage is met after 8 MB or more.
    packed.fill(0xa5, Math.floor(packed.length * 0.7), Math.floor(packed.length * 0.7) + 4096);
    fs.writeFileSync(`${big}.zst`, packed);
    fs.rmSync(big);
    const first = await sync(home, url, "m");
    assert.equal(first.report.unreadable, 1, first.stderr);
    assert.equal(first.report.read, 1);
    const [broken] = await sql`SELECT id, error, records FROM rollout.sessions
      WHERE machine = 'm' AND path = ${big}`;
    assert.match(String(broken!.error), /zstd/);
    assert.equal(Number(broken!.records), 0);
    const [left] = await sql`SELECT count(*) AS n FROM rollout.records WHERE session = ${
      Number(broken!.id)
    }`;
    assert.equal(Number(left!.n), 0, "no row of the damaged archive is left");
    assert.deepEqual(await storedRecords(sql, "m", small), fileRecords(small));
  },
);

storeTest(
  "sync names a link to nothing and a FIFO under a rollout's name, and keeps why",
  async ({ home, url, sql }) => {
    const file = writeSession(home, { id: idOf(1) });
    const dir = path.dirname(file);
    const dangling = path.join(dir, `rollout-2026-11-26T12-00-00-${idOf(2)}.jsonl`);
    fs.symlinkSync(path.join(home, "gone.jsonl"), dangling);
    const fifo = path.join(dir, `rollout-2026-11-26T12-00-01-${idOf(3)}.jsonl`);
    const made = spawnSync("mkfifo", [fifo]);
    const unreadable = made.status === 0 ? [dangling, fifo] : [dangling];
    const first = await cli(["sync", "--to", url, "--home", home, "--machine", "m", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as Report;
    assert.deepEqual([report.read, report.unreadable], [1, unreadable.length]);
    assert.deepEqual(report.unreadable_files.map((f) => f.path).sort(), [...unreadable].sort());
    for (const path of unreadable) {
      assert.ok(first.stderr.includes(`rollout: warning: "${path}": not synced: `), first.stderr);
      const [row] = await sql`SELECT error FROM rollout.sessions WHERE path = ${path}`;
      assert.notEqual(row?.error ?? null, null, path);
    }
    assert.match(first.stderr, /not synced: cannot be read: no such file or directory/);
    // The same failures again: nothing new to say.
    const second = await cli(["sync", "--to", url, "--home", home, "--machine", "m", "--json"]);
    assert.equal(second.stderr, "");
    assert.deepEqual((JSON.parse(second.stdout) as Report).unreadable_files, []);
  },
);

storeTest(
  "a folder sync cannot read is said and passed over; its session is pushed once it can be read",
  async ({ home, url, sql }) => {
    writeSession(home, { id: idOf(1) });
    const locked = lockedHome("tests/fleet/sync_test.ts", home, "zanquorix", { lock: "folder" });
    if (locked === null) return;
    const folder = path.dirname(locked.locked);
    const push = () =>
      locked.asNobody(["sync", "--to", url, "--home", home, "--machine", "m", "--json"]);
    const first = push();
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as Report;
    assert.deepEqual([report.read, report.unreadable], [1, 0]);
    assert.deepEqual(report.skipped_folders.map((f) => f.path), [folder]);
    assert.match(
      first.stderr,
      new RegExp(`"${folder}": not synced: cannot read the folder: permission denied`),
    );
    const none =
      await sql`SELECT count(*) AS n FROM rollout.sessions WHERE path = ${locked.locked}`;
    assert.equal(Number(none[0]!.n), 0);
    locked.unlock();
    const second = push();
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, "");
    const after = JSON.parse(second.stdout) as Report;
    assert.deepEqual([after.read, after.unchanged, after.skipped_folders.length], [1, 1, 0]);
    assert.deepEqual(await storedRecords(sql, "m", locked.locked), fileRecords(locked.locked));
  },
);

storeTest(
  "a file sync could not read (no permission) is read on the next sync once a chmod allows it",
  async ({ home, url, sql }) => {
    writeSession(home, { id: idOf(1) });
    const locked = lockedHome("tests/fleet/sync_test.ts", home, "zanquorix");
    if (locked === null) return;
    const push = () => {
      const run = locked.asNobody([
        "sync",
        "--to",
        url,
        "--home",
        home,
        "--machine",
        "m",
        "--json",
      ]);
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as Report;
    };
    const first = push();
    assert.deepEqual([first.read, first.unreadable], [1, 1]);
    const [row] =
      await sql`SELECT error, records FROM rollout.sessions WHERE path = ${locked.locked}`;
    assert.match(String(row!.error), /cannot be read: permission denied: .* \(EACCES/);
    // Tried again and failed the same way: nothing written, nothing new to say.
    const second = push();
    assert.deepEqual([second.read, second.unreadable, second.unchanged], [0, 0, 2]);
    locked.unlock();
    const third = push();
    assert.deepEqual([third.read, third.unreadable, third.unchanged], [1, 0, 1]);
    const [now] =
      await sql`SELECT error, records FROM rollout.sessions WHERE path = ${locked.locked}`;
    assert.deepEqual([now!.error, Number(now!.records)], [null, 2]);
    assert.deepEqual(await storedRecords(sql, "m", locked.locked), fileRecords(locked.locked));
    const found = await ok(["search", "zanquorix", "--from", url, "--json"]);
    assert.deepEqual((JSON.parse(found) as { path: string }[]).map((h) => h.path), [locked.locked]);
  },
);

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { byteSize } from "../../lib/cli/commands/older_than.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { idOf, writeSession } from "./fixtures.ts";

const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
const DAY = 86_400_000;
const USAGE =
  "Usage: rollout prune --older-than DURATION [--dry-run] [--yes] [--json] [--home DIR]\n";

/** Every file under `dir` with its bytes and time. */
function snapshot(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const stat = fs.statSync(file);
      return `${file} ${stat.size} ${stat.mtimeMs} ${fs.readFileSync(file).toString("base64")}`;
    })
    .sort();
}

function age(file: string, days: number): string {
  const when = new Date(Date.now() - days * DAY);
  fs.utimesSync(file, when, when);
  return file;
}

/**
 * A home of four sessions: an old journal with a stale archive beside it and a killed run's
 * temporary file, an old converted pair (.json and .jsonl), an old archive alone, a recent one.
 */
function home(dir: string) {
  const pair = writeSession(dir, { id: idOf(1), stamp: "2026-08-01T10-00-00" });
  fs.writeFileSync(`${pair}.zst`, zlib.zstdCompressSync(fs.readFileSync(pair).subarray(0, 50)));
  fs.writeFileSync(`${pair}.zst.tmp-k1ll3d`, "half");
  const converted = writeSession(dir, { id: idOf(2), stamp: "2026-08-02T10-00-00" });
  const document = writeSession(dir, {
    id: idOf(2),
    stamp: "2026-08-02T10-00-00",
    format: "document",
  });
  const alone = writeSession(dir, { id: idOf(3), stamp: "2026-08-03T10-00-00" });
  fs.writeFileSync(`${alone}.zst`, zlib.zstdCompressSync(fs.readFileSync(alone)));
  fs.rmSync(alone);
  const recent = writeSession(dir, { id: idOf(4) });
  for (const file of [pair, `${pair}.zst`, `${pair}.zst.tmp-k1ll3d`, converted, document]) {
    age(file, 100);
  }
  age(`${alone}.zst`, 95);
  return { pair, converted, document, alone: `${alone}.zst`, recent };
}

const bytes = (...files: string[]) => files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
const day = (file: string) => new Date(fs.statSync(file).mtimeMs).toISOString().slice(0, 10);

test("rollout prune without --yes lists the old sessions with their files and bytes, and changes nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const s = home(dir);
    const before = snapshot(dir);
    const result = await cli(["prune", "--older-than", "90d", "--home", dir]);
    assert.equal(result.code, 0, result.stderr);
    const pairBytes = bytes(s.pair, `${s.pair}.zst`, `${s.pair}.zst.tmp-k1ll3d`);
    const convertedBytes = bytes(s.converted, s.document);
    const total = pairBytes + convertedBytes + bytes(s.alone);
    const row = (file: string, n: number) => `  ${day(file)}  ${byteSize(n).padStart(9)}  `;
    const pad = " ".repeat(row(s.pair, 0).length);
    assert.equal(
      result.stdout,
      [
        `Would delete 3 sessions, ${byteSize(total)} (run again with --yes to delete them):`,
        `${row(s.pair, pairBytes)}${s.pair}.zst`,
        `${pad}${s.pair}`,
        `${pad}${s.pair}.zst.tmp-k1ll3d`,
        `${row(s.converted, convertedBytes)}${s.document}`,
        `${pad}${s.converted}`,
        `${row(s.alone, bytes(s.alone))}${s.alone}`,
        "",
      ].join("\n"),
    );
    assert.deepEqual(snapshot(dir), before);
    const dry = await cli(["prune", "--older-than", "90d", "--dry-run", "--home", dir, "--json"]);
    assert.deepEqual(JSON.parse(dry.stdout).sessions.map((e: { status: string }) => e.status), [
      "would_delete",
      "would_delete",
      "would_delete",
    ]);
    assert.deepEqual(snapshot(dir), before);
  } finally {
    cleanup();
  }
});

test("rollout prune --yes deletes every file of each old session, keeps the recent one", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const s = home(dir);
    const recent = fs.readFileSync(s.recent);
    const total = bytes(
      s.pair,
      `${s.pair}.zst`,
      `${s.pair}.zst.tmp-k1ll3d`,
      s.converted,
      s.document,
      s.alone,
    );
    const result = await cli(["prune", "--older-than", "90d", "--yes", "--home", dir, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.dry_run, false);
    assert.equal(report.older_than, "90d");
    assert.deepEqual(
      report.sessions.map((e: { files: string[]; status: string }) => [e.status, e.files]),
      [
        ["deleted", [`${s.pair}.zst`, s.pair, `${s.pair}.zst.tmp-k1ll3d`]],
        ["deleted", [s.document, s.converted]],
        ["deleted", [s.alone]],
      ],
    );
    assert.equal(
      report.sessions.reduce((sum: number, e: { bytes: number }) => sum + e.bytes, 0),
      total,
    );
    assert.deepEqual(fs.readdirSync(path.dirname(s.recent)), [path.basename(s.recent)]);
    assert.deepEqual(fs.readFileSync(s.recent), recent);
    const again = await cli(["prune", "--older-than", "90d", "--yes", "--home", dir]);
    assert.equal(again.stdout, "No sessions untouched for 90d.\n");
  } finally {
    cleanup();
  }
});

test("rollout prune --yes skips a session held by a writer and says who holds it", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const held = writeSession(dir, { id: idOf(5) });
    const other = age(writeSession(dir, { id: idOf(6), stamp: "2026-08-06T10-00-00" }), 10);
    const { recorder } = await RolloutRecorder.resume(held);
    try {
      age(held, 10);
      const listed = await cli(["prune", "--older-than", "1w", "--home", dir]);
      assert.match(
        listed.stdout,
        new RegExp(
          `${held}: held by a writer \\(process ${process.pid}\\): it would be skipped\\n`,
        ),
      );
      const result = await cli(["prune", "--older-than", "1w", "--yes", "--home", dir]);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.split("\n");
      assert.match(lines[0]!, new RegExp(`^deleted  \\S+ +\\S+ \\S+  ${other}$`));
      assert.match(
        lines[1]!,
        new RegExp(
          `^skipped  \\S+ +\\S+ \\S+  ${held}: held by a writer \\(process ${process.pid}\\)$`,
        ),
      );
      assert.match(lines[2]!, /^Deleted 1 session, \S+ \S+ freed; 1 skipped$/);
      assert.equal(fs.existsSync(held), true);
      assert.equal(fs.existsSync(other), false);
    } finally {
      await recorder.close();
    }
  } finally {
    cleanup();
  }
});

test("rollout prune refuses bad input and deletes nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const before = snapshot(dir);
    const cases: [string[], string][] = [
      [["--yes"], "rollout prune: missing --older-than DURATION (such as 90d)\n"],
      [
        ["--older-than", "90"],
        'rollout prune: option "--older-than" needs a duration such as 90m, 12h, 30d or 2w, got "90" (a number needs a unit: m, h, d or w)\n',
      ],
      [
        ["--older-than", "3y", "--yes"],
        'rollout prune: option "--older-than" needs a duration such as 90m, 12h, 30d or 2w, got "3y" (a whole number and one of the units m, h, d, w)\n',
      ],
      [
        ["--older-than", "90d", "--dry-run", "--yes"],
        'rollout prune: give "--dry-run" or "--yes", not both\n',
      ],
      [
        ["--older-than", "90d", "--yes", "SESSION"],
        'rollout prune: unexpected argument "SESSION"\n',
      ],
      [["--older-than", "90d", "--force"], 'rollout prune: unknown option "--force"\n'],
    ];
    for (const [args, stderr] of cases) {
      const result = await cli(["prune", "--home", dir, ...args]);
      assert.equal(result.code, 2, args.join(" "));
      assert.equal(result.stdout, "");
      assert.equal(result.stderr, stderr + USAGE);
    }
    assert.deepEqual(snapshot(dir), before);
  } finally {
    cleanup();
  }
});

test("rollout prune --yes takes the deleted sessions out of the session index at once", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const s = home(dir);
    // The index knows every session, then prune deletes the old ones.
    const before = await cli(["search", "files", "--home", dir, "--json", "--limit", "100"]);
    assert.equal(before.code, 0, before.stderr);
    const pruned = await cli(["prune", "--older-than", "90d", "--yes", "--home", dir]);
    assert.equal(pruned.code, 0, pruned.stderr);
    // Read the index as it is, without bringing it up to date: the rows are gone already.
    const { useIndex } = await import("../../lib/index/mod.ts");
    const paths = await useIndex(dir, { refresh: false }, (index) =>
      Promise.resolve(
        (index.sql("SELECT path FROM files").all() as Array<{ path: string }>).map((r) => r.path),
      ));
    assert.deepEqual(paths, [s.recent]);
  } finally {
    cleanup();
  }
});

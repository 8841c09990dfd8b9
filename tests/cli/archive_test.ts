import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { lines, runScript } from "../proto/fake_io.ts";
import { setup, tempDir, userMessage } from "../helpers.ts";
import { byteSize } from "../../lib/cli/commands/older_than.ts";
import { cli, normalise } from "./cli_io.ts";
import { fixtureText, idOf, writeSession } from "./fixtures.ts";

const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

/** Every file under `dir` with its bytes and time: what a run that changes nothing keeps. */
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

/** A home with an old journal, an old Codex file, an old document, a recent journal, an archive. */
function home(dir: string): Record<string, string> {
  const mtime = ago(40).getTime() / 1000;
  const files = {
    old: writeSession(dir, { id: idOf(1), mtime, stamp: "2026-10-01T08-00-00" }),
    codex: writeSession(dir, { id: idOf(2), format: "codex_envelope", mtime }),
    document: writeSession(dir, { id: idOf(3), format: "document", mtime }),
    recent: writeSession(dir, { id: idOf(4), mtime: ago(2).getTime() / 1000 }),
    archived: writeSession(dir, { id: idOf(5), mtime }),
  };
  const packed = `${files.archived}.zst`;
  fs.writeFileSync(packed, zlib.zstdCompressSync(fs.readFileSync(files.archived)));
  fs.rmSync(files.archived);
  fs.utimesSync(packed, mtime, mtime);
  // What a restore killed mid-way leaves: a partial plain copy, which the next archive removes.
  fs.writeFileSync(`${files.archived}.tmp-k1ll3d`, "half a restore");
  return { ...files, archived: packed, leftover: `${files.archived}.tmp-k1ll3d` };
}

test("rollout archive compresses the line sessions untouched for 30 days, skips a document, counts the rest", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const files = home(dir);
    const originals = new Map([files.old!, files.codex!].map((f) => [f, fs.readFileSync(f)]));
    const times = new Map([...originals.keys()].map((f) => [f, fs.statSync(f).mtimeMs]));
    const result = await cli(["archive", "--home", dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const size = (f: string) => fs.statSync(f).size;
    const sizes = (f: string) =>
      `${byteSize(originals.get(f)!.length)} -> ${byteSize(size(`${f}.zst`))}`;
    const before = [...originals.values()].reduce((sum, bytes) => sum + bytes.length, 0);
    const after = size(`${files.old}.zst`) + size(`${files.codex}.zst`);
    assert.equal(
      result.stdout,
      [
        `archived       ${files.old}  ${sizes(files.old!)}`,
        `archived       ${files.codex}  ${sizes(files.codex!)}`,
        `skipped        ${files.document}: a document (.json): Codex reads only line rollouts (.jsonl) compressed`,
        `Archived 2 sessions: ${byteSize(before)} -> ${byteSize(after)} (${
          byteSize(before - after)
        } freed); 1 skipped; 1 already archived; 1 changed within 30d left alone`,
        "",
      ].join("\n"),
    );
    for (const [file, bytes] of originals) {
      assert.equal(fs.existsSync(file), false);
      assert.deepEqual(zlib.zstdDecompressSync(fs.readFileSync(`${file}.zst`)), bytes);
      // The time is kept to the millisecond.
      assert.ok(Math.abs(fs.statSync(`${file}.zst`).mtimeMs - times.get(file)!) < 1);
    }
    assert.equal(fs.existsSync(files.recent!), true);
    assert.equal(fs.existsSync(files.document!), true);
    assert.equal(fs.existsSync(files.leftover!), false);
    const again = await cli(["archive", "--home", dir, "--json"]);
    assert.deepEqual(JSON.parse(again.stdout), {
      dry_run: false,
      older_than: "30d",
      level: 3,
      window_log: 25,
      sessions: [{
        path: files.document,
        status: "skipped",
        reason: "document",
        message: "a document (.json): Codex reads only line rollouts (.jsonl) compressed",
      }],
      already_archived: 3,
      recent: 1,
      skipped_folders: [],
    });
  } finally {
    cleanup();
  }
});

test("rollout archive --dry-run lists what it would do and changes nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const files = home(dir);
    const before = snapshot(dir);
    const result = await cli(["archive", "--home", dir, "--dry-run", "--older-than", "1w"]);
    assert.equal(result.code, 0, result.stderr);
    const size = (f: string) => fs.statSync(f).size;
    assert.equal(
      result.stdout,
      [
        `would archive  ${files.old}  ${byteSize(size(files.old!))}`,
        `would archive  ${files.codex}  ${byteSize(size(files.codex!))}`,
        `skipped        ${files.document}: a document (.json): Codex reads only line rollouts (.jsonl) compressed`,
        `Would archive 2 sessions (${
          byteSize(size(files.codex!) + size(files.old!))
        }); 1 skipped; 1 already archived; 1 changed within 1w left alone`,
        "",
      ].join("\n"),
    );
    assert.deepEqual(snapshot(dir), before);
  } finally {
    cleanup();
  }
});

test("rollout archive skips a session held by a writer, naming it, in a dry run too", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(1), mtime: ago(40).getTime() / 1000 });
    const { recorder } = await RolloutRecorder.resume(file);
    try {
      const dry = await cli(["archive", "--home", dir, "--dry-run", "--older-than", "0m"]);
      assert.equal(
        dry.stdout,
        `skipped        ${file}: held by a writer (process ${process.pid})\nNothing to archive; 1 skipped\n`,
      );
      const real = await cli(["archive", "--home", dir, "--older-than", "0m"]);
      assert.equal(real.code, 0);
      assert.equal(
        real.stdout,
        `skipped        ${file}: held by a writer (process ${process.pid})\nNothing archived; 1 skipped\n`,
      );
      assert.equal(fs.existsSync(`${file}.zst`), false);
    } finally {
      await recorder.close();
    }
  } finally {
    cleanup();
  }
});

test("rollout archive SESSION archives that session whatever its age; --older-than still filters", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(7) });
    const young = await cli(["archive", idOf(7).slice(0, 30), "--home", dir, "--older-than", "1d"]);
    assert.equal(
      young.stdout,
      `skipped        ${file}: changed within 1d\nNothing archived; 1 skipped\n`,
    );
    const result = await cli([
      "archive",
      idOf(7).slice(0, 30),
      "--home",
      dir,
      "--level",
      "19",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.level, 19);
    assert.deepEqual(report.sessions.map((s: { status: string }) => s.status), ["archived"]);
    const again = await cli(["archive", `${file}.zst`, "--home", dir]);
    assert.equal(
      again.stdout,
      `skipped        ${file}.zst: already archived\nNothing archived; 1 skipped\n`,
    );
  } finally {
    cleanup();
  }
});

test("rollout archive refuses bad input before touching anything", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const before = snapshot(dir);
    const usage =
      "Usage: rollout archive [SESSION...] [--older-than DURATION] [--dry-run] [--level N] [--window 20-27] [--json] [--home DIR]\n";
    const cases: [string[], number, string][] = [
      [
        ["--older-than", "30"],
        2,
        'rollout archive: option "--older-than" needs a duration such as 90m, 12h, 30d or 2w, got "30" (a number needs a unit: m, h, d or w)\n' +
        usage,
      ],
      [
        ["--older-than", "1.5d"],
        2,
        'rollout archive: option "--older-than" needs a duration such as 90m, 12h, 30d or 2w, got "1.5d" (a whole number and one of the units m, h, d, w)\n' +
        usage,
      ],
      [
        ["--older-than", "soon"],
        2,
        'rollout archive: option "--older-than" needs a duration such as 90m, 12h, 30d or 2w, got "soon"\n' +
        usage,
      ],
      [["--level", "0"], 2, 'rollout archive: option "--level" must be 1 to 19, got "0"\n' + usage],
      [
        ["--level", "20"],
        2,
        'rollout archive: option "--level" can be at most 19, got "20"\n' + usage,
      ],
      [
        ["--level", "fast"],
        2,
        'rollout archive: option "--level" needs a whole number, got "fast"\n' + usage,
      ],
      [
        ["--window", "19"],
        2,
        'rollout archive: option "--window" must be 20 to 27 (log2 of the bytes), got "19"\n' +
        usage,
      ],
      [
        ["--window", "28"],
        2,
        'rollout archive: option "--window" can be at most 27, got "28"\n' + usage,
      ],
      [["--bogus"], 2, 'rollout archive: unknown option "--bogus"\n' + usage],
      [
        [idOf(1), "ffffffff-nope"],
        1,
        'rollout: Cannot find session "ffffffff-nope": not a file, a session id, an id prefix or a session title',
      ],
    ];
    for (const [args, code, stderr] of cases) {
      const result = await cli(["archive", "--home", dir, ...args]);
      assert.equal(result.code, code, args.join(" "));
      assert.equal(result.stdout, "");
      if (code === 2) assert.equal(result.stderr, stderr);
      else assert.ok(result.stderr.startsWith(stderr), result.stderr);
    }
    assert.deepEqual(snapshot(dir), before);
  } finally {
    cleanup();
  }
});

test("rollout append and state restore an archived session first, say so, then write", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(8), text: fixtureText("journal", idOf(8)) });
    await cli(["archive", file, "--home", dir]);
    const appended = await cli([
      "append",
      idOf(8),
      "--home",
      dir,
      "--item",
      JSON.stringify(userMessage("after the archive")),
    ]);
    assert.equal(appended.code, 0, appended.stderr);
    assert.equal(
      appended.stderr,
      `rollout: note: session restored from its archive "${file}.zst" to "${file}" before writing\n`,
    );
    assert.equal(appended.stdout, `Appended 1 item to session ${idOf(8)} (5 in all)\n`);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [path.basename(file)]);
    assert.deepEqual(loadRollout(file).saved.items.at(-1), userMessage("after the archive"));
    await cli(["archive", file, "--home", dir]);
    const state = await cli(["state", idOf(8), "--home", dir, "--clear"]);
    assert.equal(state.code, 0, state.stderr);
    assert.match(state.stderr, /^rollout: note: session restored from its archive /);
    assert.equal(loadRollout(file).saved.state.previous_response_id, undefined);
  } finally {
    cleanup();
  }
});

test("rollout proto load_session of an archive restores it, answers with the plain file and records there", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(9), text: fixtureText("journal", idOf(9)) });
    await cli(["archive", file, "--home", dir]);
    const { status, events, io } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", resume_path: `${file}.zst` } },
        { id: "2", op: { type: "record_items", items: [userMessage("more")] } },
        { id: "3", op: { type: "load_session", path: `${file}.zst` } },
      ]),
      { home: dir },
    );
    assert.equal(status, 0);
    assert.equal(events[0]!.msg.type, "session_loaded");
    assert.equal(events[0]!.msg.rollout_path, file);
    assert.deepEqual(events[1]!.msg, {
      type: "items_recorded",
      recorded: 1,
      dropped: [],
      item_count: 5,
    });
    assert.equal(events[2]!.msg.rollout_path, file);
    assert.equal(events[2]!.msg.item_count, 5);
    assert.equal(
      io.err.join(""),
      `rollout proto: Session restored from its archive "${file}.zst" to "${file}" to be written\n`,
    );
    assert.deepEqual(fs.readdirSync(path.dirname(file)), [path.basename(file)]);
    assert.equal(normalise(String(loadRollout(file).saved.items.length), dir), "5");
  } finally {
    cleanup();
  }
});

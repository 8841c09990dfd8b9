import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { zstdCompressSync } from "node:zlib";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { fixtureText, FORMATS, idOf } from "./fixtures.ts";
import { writeSession as writeCodexSession } from "../fleet/codex_turns.ts";
import { SeededRandom } from "../reliability/seeded_random.ts";

/** A folder of five good files (one per format), damaged files and files validate skips. */
function folder(
  dir: string,
): { good: string[]; torn: string; garbage: string; notRollout: string } {
  fs.mkdirSync(`${dir}/ok/nested`, { recursive: true });
  fs.mkdirSync(`${dir}/bad`);
  const good = FORMATS.map((format, n) => {
    const ext = format.includes("document") ? "json" : "jsonl";
    const file = `${dir}/ok/nested/${n + 1}-${format}.${ext}`;
    fs.writeFileSync(file, fixtureText(format, idOf(n + 1)));
    return file;
  });
  const journal = fixtureText("journal", idOf(7));
  const torn = `${dir}/bad/a-torn.jsonl`;
  fs.writeFileSync(torn, journal + '{"timestamp":');
  const lines = journal.split("\n");
  const garbage = `${dir}/bad/b-garbage.jsonl`;
  fs.writeFileSync(garbage, [lines[0], lines[1], "not json", "[1]", ...lines.slice(2)].join("\n"));
  const notRollout = `${dir}/bad/c-notes.json`;
  fs.writeFileSync(notRollout, '{"hello":"world"}');
  fs.writeFileSync(`${dir}/ok/readme.txt`, "not checked");
  fs.writeFileSync(`${dir}/ok/x.jsonl.lock`, "123\n");
  fs.writeFileSync(`${dir}/ok/x.json.tmp-abc123`, "{");
  return { good, torn, garbage, notRollout };
}

test("rollout validate reports each file of a folder tree and exits 1 if one is invalid", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const f = folder(dir);
    const offsetOf = (file: string, line: number) =>
      fs.readFileSync(file, "utf8").split("\n").slice(0, line - 1).join("\n").length + 1;
    const result = await cli(["validate", "ok", "bad"], { cwd: dir });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "");
    assert.equal(
      result.stdout,
      `ok       ${f.good[0]} (journal, 4 items)
ok       ${f.good[1]} (codex_envelope, 4 items)
ok       ${f.good[2]} (document, 4 items)
ok       ${f.good[3]} (codex_ts_document, 4 items)
ok       ${f.good[4]} (codex_jsonl_2025, 4 items)
warning  ${dir}/ok/readme.txt
         warning: not a rollout file name (*.jsonl, *.json, *.jsonl.zst): not read
warning  ${f.torn} (journal, 4 items)
         warning: line 7 (byte ${
        fs.statSync(f.torn).size - 13
      }): torn tail of 13 byte(s) (an unfinished write)
INVALID  ${f.garbage} (journal, 4 items)
         error: line 3 (byte ${offsetOf(f.garbage, 3)}): not JSON
         error: line 4 (byte ${offsetOf(f.garbage, 4)}): not a JSON object
INVALID  ${f.notRollout}
         error: not a rollout (line 1 is not a session meta)
9 files: 7 valid, 2 invalid
`,
    );
    // Files named on the command line are read whatever their names; a folder's are the same.
    const named = await cli(["validate", ...f.good]);
    assert.deepEqual(named, {
      code: 0,
      stdout: result.stdout.split("\n").slice(0, 5).join("\n") + "\n5 files: 5 valid, 0 invalid\n",
      stderr: "",
    });
  } finally {
    cleanup();
  }
});

test("rollout validate --json prints the SPEC shape; --strict makes a torn tail an error", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const f = folder(dir);
    const tornAt = fs.statSync(f.torn).size - 13;
    const result = await cli([
      "validate",
      "--json",
      f.torn,
      f.good[0]!,
      f.notRollout,
      `${dir}/missing.jsonl`,
    ]);
    assert.equal(result.code, 1);
    assert.deepEqual(JSON.parse(result.stdout), [
      {
        path: f.torn,
        ok: true,
        format: "journal",
        items: 4,
        errors: [],
        warnings: [`line 7 (byte ${tornAt}): torn tail of 13 byte(s) (an unfinished write)`],
      },
      { path: f.good[0], ok: true, format: "journal", items: 4, errors: [], warnings: [] },
      {
        path: f.notRollout,
        ok: false,
        format: null,
        items: 0,
        errors: [{
          line: null,
          offset: null,
          message: "not a rollout (line 1 is not a session meta)",
        }],
        warnings: [],
      },
      {
        path: `${dir}/missing.jsonl`,
        ok: false,
        format: null,
        items: 0,
        errors: [{ line: null, offset: null, message: "no such file or directory" }],
        warnings: [],
      },
    ]);
    const strict = await cli(["validate", "--json", "--strict", f.torn]);
    assert.equal(strict.code, 1);
    assert.deepEqual(JSON.parse(strict.stdout), [{
      path: f.torn,
      ok: false,
      format: "journal",
      items: 4,
      errors: [{
        line: 7,
        offset: tornAt,
        message: "torn tail of 13 byte(s) (an unfinished write)",
      }],
      warnings: [],
    }]);
    assert.equal((await cli(["validate", f.torn])).code, 0);
  } finally {
    cleanup();
  }
});

test("rollout validate shows progress on a terminal stderr when checking many files", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    for (let i = 0; i < 25; i++) {
      fs.writeFileSync(
        `${dir}/${String(i).padStart(2, "0")}.jsonl`,
        fixtureText("journal", idOf(i)),
      );
    }
    const tty = await cli(["validate", dir], { stderrTTY: true });
    assert.equal(tty.code, 0);
    assert.equal(
      tty.stderr,
      "\rvalidating 0/25\rvalidating 10/25\rvalidating 20/25\rvalidated 25/25\n",
    );
    assert.ok(tty.stdout.endsWith("25 files: 25 valid, 0 invalid\n"));
    const piped = await cli(["validate", dir], { stderrTTY: false });
    assert.deepEqual(piped, { code: 0, stdout: tty.stdout, stderr: "" });
  } finally {
    cleanup();
  }
});

test("rollout validate follows linked folders once, and reports what it cannot read per entry", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const real = path.join(dir, "real");
    fs.mkdirSync(real);
    const file = path.join(real, "a.jsonl");
    fs.writeFileSync(file, fixtureText("journal", idOf(1)));
    const top = path.join(dir, "top");
    fs.mkdirSync(top);
    fs.symlinkSync(real, path.join(top, "linked"));
    fs.symlinkSync(top, path.join(top, "loop"));
    fs.symlinkSync(path.join(dir, "gone"), path.join(top, "dangling"));
    const result = await cli(["validate", "--json", top]);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as {
      path: string;
      ok: boolean;
      errors: { message: string }[];
      warnings: string[];
    }[];
    assert.deepEqual(report.map((r) => [r.path, r.ok]), [
      [path.join(top, "dangling"), false],
      [path.join(top, "linked", "a.jsonl"), true],
      [path.join(top, "loop"), true],
    ]);
    assert.match(report[0]!.errors[0]!.message, /^no such file or directory \(ENOENT/);
    assert.deepEqual(report[2]!.warnings, [
      "a link back to a folder already checked: not entered again",
    ]);
  } finally {
    cleanup();
  }
});

test("a .jsonl.zst damaged past its first MiB is an invalid file for validate, list and search, never a crash", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Turns of random words compress to several MiB: the damage is met while streaming (Deno's
    // zlib throws it out of the stream, where only an uncaught-exception listener sees it).
    const file = writeCodexSession(dir, new SeededRandom(7), { id: idOf(77), bytes: 24 << 20 });
    const packed = zstdCompressSync(fs.readFileSync(file));
    assert.ok(packed.length > 2 << 20, `only ${packed.length} bytes packed`);
    const at = Math.floor(packed.length * 0.7);
    packed.fill(0xa5, at, at + 4096);
    fs.writeFileSync(`${file}.zst`, packed);
    fs.rmSync(file);
    const checked = await cli(["validate", `${file}.zst`]);
    assert.equal(checked.code, 1, checked.stderr);
    assert.match(
      checked.stdout,
      /^INVALID .*\n +error: it is not readable zstd \(.*corruption.*\)\n/,
    );
    const listed = await cli(["list", "--home", dir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, /not listed: it is not readable zstd/);
    const searched = await cli(["search", "turn", "--home", dir]);
    assert.equal(searched.code, 0, searched.stderr);
    assert.match(searched.stderr, /not searched: it is not readable zstd/);
  } finally {
    cleanup();
  }
});

test("a .jsonl.zst cut short is invalid for validate, show, list and search, small or large", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // zlib hands out what a cut frame holds without a word: read so, the file would pass for
    // a whole session with a torn last line, and every record after the cut would be lost.
    const small = writeCodexSession(dir, new SeededRandom(9), { id: idOf(79), bytes: 200 << 10 });
    const large = writeCodexSession(dir, new SeededRandom(10), { id: idOf(80), bytes: 24 << 20 });
    for (const file of [small, large]) {
      const packed = zstdCompressSync(fs.readFileSync(file));
      fs.writeFileSync(`${file}.zst`, packed.subarray(0, Math.floor(packed.length * 0.6)));
      fs.rmSync(file);
      const checked = await cli(["validate", `${file}.zst`]);
      assert.equal(checked.code, 1, checked.stdout);
      assert.match(
        checked.stdout,
        /^INVALID .*\n +error: it is not readable zstd \(cut short or damaged at byte \d+: .*\)\n/,
      );
      const shown = await cli(["show", `${file}.zst`]);
      assert.equal(shown.code, 1);
      assert.match(shown.stderr, /it is not readable zstd \(cut short or damaged/);
    }
    const listed = await cli(["list", "--home", dir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(
      listed.stderr.match(/not listed: it is not readable zstd \(cut short/g)?.length,
      2,
    );
    const searched = await cli(["search", "turn", "--home", dir]);
    assert.equal(searched.code, 0, searched.stderr);
    assert.equal(searched.stdout.trim(), "No matches.");
  } finally {
    cleanup();
  }
});

test("a temporary folder that fails is said as such: no .jsonl.zst is called invalid for it", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  const before = process.env.TMPDIR;
  try {
    const file = writeCodexSession(dir, new SeededRandom(8), { id: idOf(78), bytes: 64 << 10 });
    fs.writeFileSync(`${file}.zst`, zstdCompressSync(fs.readFileSync(file)));
    fs.rmSync(file);
    const packed = fs.readFileSync(`${file}.zst`);
    // TMPDIR a file, then a folder that does not exist: the copy cannot be made. (First: a
    // process keeps the copy it made of a file for the commands after.)
    const notFolder = path.join(dir, "not-a-folder");
    fs.writeFileSync(notFolder, "");
    for (const tmp of [notFolder, path.join(dir, "missing", "deeper")]) {
      process.env.TMPDIR = tmp;
      const checked = await cli(["validate", `${file}.zst`]);
      assert.equal(checked.code, 1, tmp);
      assert.doesNotMatch(checked.stdout, /INVALID/, tmp);
      assert.match(
        checked.stderr,
        /^rollout: Cannot decompress rollout ".*\.jsonl\.zst": its temporary copy at ".*rollout-zst-.*" failed: .*; set TMPDIR to a folder with room\n$/,
      );
      assert.ok(checked.stderr.includes(tmp), checked.stderr);
      const shown = await cli(["show", `${file}.zst`]);
      assert.equal(shown.code, 1, tmp);
      assert.match(shown.stderr, /its temporary copy at .* failed/);
    }
    assert.deepEqual(fs.readFileSync(`${file}.zst`), packed);
    process.env.TMPDIR = dir;
    assert.equal((await cli(["validate", `${file}.zst`])).code, 0);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    cleanup();
  }
});

test("rollout validate -o never replaces a session: one being checked, or any other", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const checked = path.join(dir, "checked.jsonl");
    const other = path.join(dir, "other.json");
    fs.writeFileSync(checked, fixtureText("journal", idOf(1)));
    fs.writeFileSync(other, fixtureText("document", idOf(2)));
    const before = [checked, other].map((f) => fs.readFileSync(f, "utf8"));
    const refused = (file: string, why: string) => ({
      code: 1,
      stdout: "",
      stderr: `rollout: Cannot write the report to "${file}": ${why}; name another file\n`,
    });
    assert.deepEqual(
      await cli(["validate", checked, "-o", checked]),
      refused(checked, "it is one of the files being validated"),
    );
    // The same file by another path, and inside a folder being checked.
    fs.symlinkSync(checked, path.join(dir, "link.jsonl"));
    assert.deepEqual(
      await cli(["validate", dir, "-o", path.join(dir, "link.jsonl")]),
      refused(path.join(dir, "link.jsonl"), "it is one of the files being validated"),
    );
    assert.deepEqual(
      await cli(["validate", checked, "-o", other]),
      refused(other, "it holds a rollout session"),
    );
    assert.deepEqual([checked, other].map((f) => fs.readFileSync(f, "utf8")), before);
    // Any other file is replaced, as before.
    const report = path.join(dir, "report.txt");
    fs.writeFileSync(report, "an old report\n");
    const written = await cli(["validate", checked, "-o", report]);
    assert.equal(written.code, 0, written.stderr);
    assert.match(fs.readFileSync(report, "utf8"), /^ok {7}.*checked\.jsonl/);
  } finally {
    cleanup();
  }
});

test("rollout validate takes a FIFO named as a rollout in a folder for no rollout, unopened", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const fifo = path.join(dir, "rollout-x.jsonl");
    const made = process.getBuiltinModule("node:child_process").spawnSync("mkfifo", [fifo]);
    assert.equal(made.status, 0, String(made.stderr));
    const result = await cli(["validate", "--json", dir]);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as { path: string; ok: boolean; errors: unknown[] }[];
    assert.deepEqual(report.map((r) => [r.path, r.ok, r.errors]), [
      [fifo, false, [{
        line: null,
        offset: null,
        message: "it is not a regular file (a FIFO, a device or a socket) (ENOTREG)",
      }]],
    ]);
  } finally {
    cleanup();
  }
});

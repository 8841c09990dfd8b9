import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { fixtureText, FORMATS, idOf, T0, writeSession } from "./fixtures.ts";

const BASE = 1_800_000_000;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

const FLAT_MTIME = Date.UTC(2026, 10, 26, 11, 22, 30) / 1000;

/**
 * A home with one session per format started a minute apart (the oldest updated last), an
 * empty one started last, a flat file and an unreadable one.
 */
function home(dir: string): string[] {
  const files = FORMATS.map((format, n) =>
    writeSession(dir, {
      id: idOf(n + 1),
      format,
      stamp: `2026-11-26T11-2${n}-00`,
      mtime: n === 0 ? BASE + 6000 : BASE + 60 * n,
    })
  );
  const meta = fixtureText("journal", idOf(6)).split("\n")[0]!.replace(
    '"cwd":"/repo"',
    '"cwd":"/other"',
  );
  files.push(
    writeSession(dir, {
      id: idOf(6),
      text: `${meta}\n`,
      stamp: "2026-11-26T11-30-00",
      mtime: BASE + 600,
    }),
  );
  const flat = `${dir}/sessions/imported.jsonl`;
  fs.writeFileSync(flat, fixtureText("codex_jsonl_2025", idOf(7)));
  fs.utimesSync(flat, FLAT_MTIME, FLAT_MTIME);
  files.push(flat);
  fs.writeFileSync(`${dir}/sessions/2026/11/26/broken.jsonl`, "nonsense\n");
  fs.utimesSync(`${dir}/sessions/2026/11/26/broken.jsonl`, BASE - 120, BASE - 120);
  fs.writeFileSync(`${files[0]}.lock`, "1\n");
  return files;
}

test("rollout list prints sessions newest first (by start) with items, cwd and first message", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const files = home(dir);
    const result = await cli(["list", "--home", dir]);
    assert.equal(result.code, 0);
    assert.equal(
      result.stderr,
      `rollout: warning: "${dir}/sessions/2026/11/26/broken.jsonl": not listed: not a rollout (neither JSON lines nor a JSON document)\n`,
    );
    const created = T0.replace("T", " ").replace(".120Z", "Z");
    const when = (seconds: number) => iso(seconds).replace("T", " ").replace(".000Z", "Z");
    const size = (n: number) => {
      const bytes = fs.statSync(files[n]!).size;
      return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
    };
    const lines = result.stdout.split("\n");
    assert.equal(lines.pop(), "");
    // Columns are two or more spaces apart; cells hold single spaces only.
    assert.deepEqual(lines.map((line) => line.split(/ {2,}/)), [
      ["ID", "CREATED", "UPDATED", "ITEMS", "SIZE", "FORMAT", "CWD", "TITLE / MESSAGE"],
      [idOf(6), created, when(BASE + 600), "empty", size(5), "journal", "/other"],
      [idOf(5), created, when(BASE + 240), "4", size(4), "codex_jsonl_2025", "-", "list files"],
      [idOf(4), created, when(BASE + 180), "4", size(3), "codex_ts_document", "-", "list files"],
      [idOf(7), created, when(FLAT_MTIME), "4", size(6), "codex_jsonl_2025", "-", "list files"],
      [idOf(3), created, when(BASE + 120), "4", size(2), "document", "/repo", "list files"],
      [idOf(2), created, when(BASE + 60), "4", size(1), "codex_envelope", "/repo", "list files"],
      [idOf(1), created, when(BASE + 6000), "4", size(0), "journal", "/repo", "list files"],
    ]);
    // The columns line up: each starts where its header does.
    const starts = (line: string) =>
      [...line.matchAll(/(?:^| {2,})(\S)/g)].map((m) => m.index! + m[0].length - 1);
    for (const line of lines.slice(2)) assert.deepEqual(starts(line), starts(lines[0]!));
    assert.equal(files.length, 7);
  } finally {
    cleanup();
  }
});

test("rollout list --json --limit --cwd filter and keep the order", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const files = home(dir);
    const limited = await cli(["list", "--home", dir, "--json", "--limit", "2"]);
    assert.equal(limited.code, 0);
    assert.deepEqual(JSON.parse(limited.stdout), [
      {
        id: idOf(6),
        title: null,
        path: files[5],
        created: T0,
        updated: iso(BASE + 600),
        cwd: "/other",
        items: 0,
        preview: null,
        format: "journal",
        size: fs.statSync(files[5]!).size,
      },
      {
        id: idOf(5),
        title: null,
        path: files[4],
        created: T0,
        updated: iso(BASE + 240),
        cwd: null,
        items: 4,
        preview: "list files",
        format: "codex_jsonl_2025",
        size: fs.statSync(files[4]!).size,
      },
    ]);
    const repo = await cli(["list", "--json", "--cwd", "repo", "--limit", "2"], {
      cwd: "/",
      env: { CODEX_HOME: dir },
    });
    assert.deepEqual(JSON.parse(repo.stdout).map((s: { id: string }) => s.id), [idOf(3), idOf(2)]);
    // A home with no sessions has none; a home that is not there (a mistyped --home) is an
    // error, and nothing is created for it.
    fs.mkdirSync(`${dir}/empty`);
    const none = await cli(["list", "--home", `${dir}/empty`]);
    assert.deepEqual(none, { code: 0, stdout: "No sessions.\n", stderr: "" });
    assert.deepEqual(await cli(["list", "--home", `${dir}/nothing`]), {
      code: 1,
      stdout: "",
      stderr:
        `rollout: No home at "${dir}/nothing": the folder does not exist (give --home DIR, or set CODEX_HOME)\n`,
    });
    assert.equal(fs.existsSync(`${dir}/nothing`), false);
  } finally {
    cleanup();
  }
});

test("rollout list shortens the preview and counts the items of a session of any size", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const meta = fixtureText("journal", idOf(1)).split("\n")[0]!;
    const long = "word ".repeat(40);
    const line = (ordinal: number, text: string) =>
      JSON.stringify({
        timestamp: T0,
        ordinal,
        type: "response_item",
        payload: { type: "message", role: "user", content: [{ type: "input_text", text }] },
      });
    const body = [meta, line(1, `<environment_context>cwd</environment_context>`), line(2, long)];
    for (let i = 3; i < 3000; i++) body.push(line(i, "x".repeat(100)));
    const file = writeSession(dir, { id: idOf(1), text: `${body.join("\n")}\n` });
    const result = await cli(["list", "--home", dir, "--json"]);
    const [listed] = JSON.parse(result.stdout);
    // The user's first message, not the context Codex injects; then 2,997 more items.
    assert.equal(listed.items, 2999);
    assert.equal(listed.preview, `${"word ".repeat(15)}word…`);
    assert.equal(listed.preview.length, 80);
    const table = (await cli(["list", "--home", dir])).stdout.split("\n")[1]!;
    const kib = `${(fs.statSync(file).size / 1024).toFixed(1)} KiB`;
    assert.ok(table.includes(`  2999   ${kib}  journal  /repo  word word`), table);
  } finally {
    cleanup();
  }
});

test("rollout list shows the shortest unique id prefix and fits a terminal; full values on a pipe", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Two UUIDv7 ids of the same minute share "01a217c0-3e4"; a third is alone from 8 characters.
    const ids = [
      "01a217c0-3e43-77e3-bed5-788b05f9fbc8",
      "01a217c0-3e47-7000-8000-000000000001",
      "01b00000-0000-7000-8000-000000000002",
    ];
    const cwd = `/very/long/path/to/a/project/${"deep/".repeat(12)}repo`;
    const preview = "please look at every file of this project and tell me ".repeat(4);
    for (const [n, id] of ids.entries()) {
      const meta = { id, timestamp: T0, cwd };
      const text = [
        JSON.stringify({ timestamp: T0, type: "session_meta", payload: meta }),
        JSON.stringify({
          timestamp: T0,
          type: "response_item",
          payload: {
            type: "message",
            role: "user",
            content: [{ type: "input_text", text: preview }],
          },
        }),
        "",
      ].join("\n");
      writeSession(dir, { id, text, stamp: `2026-11-26T11-15-2${n}` });
    }
    const wide = await cli(["list", "--home", dir], { stdoutTTY: true, columns: 120 });
    const lines = wide.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(1).map((l) => l.split("  ")[0]), [
      "01b00000",
      "01a217c0-3e47",
      "01a217c0-3e43",
    ]);
    for (const line of lines) assert.ok(line.length <= 120, `${line.length}: ${line}`);
    // The folder keeps its end, the message its start.
    const cells = lines[1]!.split(/ {2,}/);
    assert.ok(cells[6]!.startsWith("…") && cwd.endsWith(cells[6]!.slice(1)), String(cells[6]));
    assert.ok(
      cells[7]!.endsWith("…") && preview.startsWith(cells[7]!.slice(0, -1)),
      String(cells[7]),
    );
    // On a pipe nothing is cut; --json has the full ids.
    const piped = await cli(["list", "--home", dir]);
    assert.ok(piped.stdout.includes(cwd) && piped.stdout.includes(preview.trim().slice(0, 79)));
    const json = JSON.parse((await cli(["list", "--home", dir, "--json"])).stdout);
    assert.deepEqual(json.map((s: { id: string }) => s.id), [ids[2], ids[1], ids[0]]);
  } finally {
    cleanup();
  }
});

test("rollout list follows links in the home, and reports a link to nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Sessions kept elsewhere and linked in: one file, and one whole year folder.
    const home = path.join(dir, "home");
    const elsewhere = path.join(dir, "elsewhere");
    const file = writeSession(elsewhere, { id: idOf(1) });
    writeSession(elsewhere, { id: idOf(2), stamp: "2026-11-26T11-15-29" });
    const day = path.join(home, "sessions", "2025", "01", "01");
    fs.mkdirSync(day, { recursive: true });
    fs.symlinkSync(file, path.join(day, path.basename(file)));
    fs.symlinkSync(path.join(elsewhere, "sessions", "2026"), path.join(home, "sessions", "2026"));
    const dangling = path.join(day, `rollout-2025-01-01T00-00-00-${idOf(3)}.jsonl`);
    fs.symlinkSync(path.join(dir, "gone.jsonl"), dangling);
    const result = await cli(["list", "--json", "--home", home]);
    assert.equal(result.code, 0, result.stderr);
    // Each session once, by whichever of its names (the file itself, through the folder
    // link, is the same file as the file link).
    const listed = (JSON.parse(result.stdout) as { path: string }[]).map((s) =>
      fs.realpathSync(s.path)
    ).sort();
    assert.deepEqual(
      listed,
      [
        fs.realpathSync(file),
        fs.realpathSync(file.replace(idOf(1), idOf(2)).replace("T11-15-28-", "T11-15-29-")),
      ].sort(),
    );
    assert.equal(
      result.stderr,
      `rollout: warning: "${dangling}": not listed: cannot be read: no such file or directory (ENOENT in open)\n`,
    );
  } finally {
    cleanup();
  }
});

test("rollout list, search and du report a FIFO named like a rollout, and do not wait on it", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(1) });
    const fifo = path.join(path.dirname(file), `rollout-2026-11-26T12-00-00-${idOf(2)}.jsonl`);
    const made = spawnSync("mkfifo", [fifo]);
    if (made.status !== 0) return; // No mkfifo here.
    const said =
      `rollout: warning: "${fifo}": %s: it is not a regular file (a FIFO, a device or a socket) (ENOTREG)\n`;
    const list = await cli(["list", "--json", "--home", dir]);
    assert.deepEqual((JSON.parse(list.stdout) as { path: string }[]).map((s) => s.path), [file]);
    assert.equal(list.stderr, said.replace("%s", "not listed"));
    const search = await cli(["search", "files", "--json", "--home", dir]);
    assert.equal(search.stderr, said.replace("%s", "not searched"));
    const du = await cli(["du", "--json", "--home", dir]);
    const report = JSON.parse(du.stdout) as { unreadable: { path: string }[] };
    assert.deepEqual(report.unreadable.map((u) => u.path), [fifo]);
  } finally {
    cleanup();
  }
});

test("rollout list, du and show take a link into the home to a session it holds for one session", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(1) });
    fs.symlinkSync(file, path.join(dir, "sessions", path.basename(file)));
    const listed = await cli(["list", "--json", "--home", dir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(JSON.parse(listed.stdout).length, 1);
    const du = await cli(["du", "--json", "--home", dir]);
    assert.equal(du.code, 0, du.stderr);
    assert.equal(JSON.parse(du.stdout).total.files, 1);
    const shown = await cli(["show", idOf(1), "--home", dir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(shown.stdout.includes(file), shown.stdout);
  } finally {
    cleanup();
  }
});

test("rollout list and validate name a file whose name holds control codes without them", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const name = "rollout-\u001b]0;pwned\u0007.jsonl";
    fs.mkdirSync(path.join(dir, "sessions"), { recursive: true });
    fs.writeFileSync(path.join(dir, "sessions", name), "x\n");
    const listed = await cli(["list", "--home", dir]);
    assert.equal(listed.code, 0, listed.stderr);
    const checked = await cli(["validate", path.join(dir, "sessions")]);
    for (const text of [listed.stderr, checked.stdout]) {
      assert.ok(text.includes("rollout-␛]0;pwned␇.jsonl"), text);
      const controls = [...text].filter((c) => c !== "\n" && (c < " " || c === "\u007f"));
      assert.deepEqual(controls, []);
    }
  } finally {
    cleanup();
  }
});

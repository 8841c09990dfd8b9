import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { idOf, writeSession } from "./fixtures.ts";

const line = (timestamp: string, type: string, payload: unknown) =>
  JSON.stringify({ timestamp, type, payload }) + "\n";
const message = (role: string, text: string) => ({
  type: "message",
  role,
  content: [{ type: role === "user" ? "input_text" : "output_text", text }],
});

/** Two sessions in two folders on two days; the second one ran a command that failed. */
function home(dir: string): void {
  writeSession(dir, {
    id: idOf(1),
    stamp: "2026-11-20T09-00-00",
    text: line("2026-11-20T09:00:00.000Z", "session_meta", {
      id: idOf(1),
      timestamp: "2026-11-20T09:00:00.000Z",
      cwd: "/work/api",
    }) +
      line("2026-11-20T09:00:01.000Z", "response_item", message("user", "Why is the disk full?")) +
      line(
        "2026-11-20T09:00:02.000Z",
        "response_item",
        message("assistant", "The disk is full of old build caches."),
      ),
  });
  writeSession(dir, {
    id: idOf(2),
    stamp: "2026-11-25T10-00-00",
    text: line("2026-11-25T10:00:00.000Z", "session_meta", {
      id: idOf(2),
      timestamp: "2026-11-25T10:00:00.000Z",
      cwd: "/work/web",
    }) +
      line("2026-11-25T10:00:01.000Z", "response_item", message("user", "deploy the site")) +
      line("2026-11-25T10:00:02.000Z", "response_item", {
        type: "function_call",
        name: "shell",
        arguments: '{"command":["npm","run","deploy"]}',
        call_id: "c1",
      }) +
      line("2026-11-25T10:00:03.000Z", "response_item", {
        type: "function_call_output",
        call_id: "c1",
        output: "npm ERR! ENOSPC: no space left on device, write",
      }) +
      line(
        "2026-11-25T10:00:04.000Z",
        "response_item",
        message("assistant", "The deploy failed: the disk is full."),
      ),
  });
}

interface Hit {
  session_id: string;
  item: number | null;
  role: string;
  kind: string;
  cwd: string | null;
  time: string | null;
  snippet: string;
  highlights: Array<[number, number]>;
}

async function hits(dir: string, ...args: string[]): Promise<Hit[]> {
  const result = await cli(["search", ...args, "--home", dir, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Hit[];
}

test("rollout search finds words in messages, calls and outputs, newest first", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const full = await hits(dir, "full");
    assert.deepEqual(full.map((h) => [h.session_id, h.item, h.role]), [
      [idOf(2), 4, "assistant"],
      [idOf(1), 2, "assistant"],
      [idOf(1), 1, "user"],
    ]);
    // The highlight covers the matched word in the snippet.
    for (const hit of full) {
      assert.deepEqual(
        hit.highlights.map(([a, b]) => hit.snippet.slice(a, b).toLowerCase()),
        ["full"],
      );
    }
    const output = await hits(dir, "enospc");
    assert.deepEqual(output.map((h) => [h.item, h.role, h.kind, h.cwd]), [
      [3, "tool", "output", "/work/web"],
    ]);
    assert.deepEqual((await hits(dir, "deploy")).map((h) => h.item), [4, 2, 1]);
  } finally {
    cleanup();
  }
});

test("rollout search finds a Chinese or Japanese word inside a sentence", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const t = "2026-11-20T09:00:00.000Z";
    writeSession(dir, {
      id: idOf(3),
      text: line(t, "session_meta", { id: idOf(3), timestamp: t, cwd: "/w" }) +
        line(t, "response_item", message("user", "我们需要修复数据库连接的问题")) +
        line(t, "response_item", message("user", "日本語のテストを書いてください")),
    });
    // Each hit's snippet, with its highlighted words between `**`.
    const snippets = async (query: string) =>
      (await hits(dir, query)).map((h) => {
        let out = "";
        let at = 0;
        for (const [start, end] of h.highlights) {
          out += `${h.snippet.slice(at, start)}**${h.snippet.slice(start, end)}**`;
          at = end;
        }
        return out + h.snippet.slice(at);
      });
    assert.deepEqual(await snippets("数据库"), ["我们需要修复**数据库**连接的问题"]);
    assert.deepEqual(await snippets("修复"), ["我们需要**修复**数据库连接的问题"]);
    assert.deepEqual(await snippets("テスト"), ["日本語の**テスト**を書いてください"]);
    // The characters in another order are no hit.
    assert.deepEqual(await snippets("库数据"), []);
  } finally {
    cleanup();
  }
});

test("rollout search --limit takes the newest hits, whatever order the files were read in", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const session = (n: number, t: string) =>
      writeSession(dir, {
        id: idOf(n),
        stamp: t.slice(0, 19).replaceAll(":", "-"),
        text: line(t, "session_meta", { id: idOf(n), timestamp: t, cwd: "/w" }) +
          line(t, "response_item", message("user", `alpha ${n}`)),
      });
    session(1, "2025-12-20T10:00:00.000Z");
    assert.equal((await hits(dir, "alpha")).length, 1);
    // Read after the newer one: an older session, moved into the home.
    session(2, "2025-03-01T10:00:00.000Z");
    const first = await hits(dir, "alpha", "--limit", "1");
    assert.deepEqual(first.map((h) => h.session_id), [idOf(1)]);
  } finally {
    cleanup();
  }
});

test("rollout search understands phrases, prefixes, OR and NOT", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const items = async (query: string) =>
      (await hits(dir, query)).map((h) => `${h.session_id.slice(-1)}:${h.item}`);
    assert.deepEqual(await items('"disk is full"'), ["2:4", "1:2"]);
    assert.deepEqual(await items('"full disk"'), []);
    assert.deepEqual(await items("cach*"), ["1:2"]);
    assert.deepEqual(await items("caches OR enospc"), ["2:3", "1:2"]);
    assert.deepEqual(await items("full NOT deploy"), ["1:2", "1:1"]);
  } finally {
    cleanup();
  }
});

test("rollout search takes a term with punctuation as the phrase it spells", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(7);
    const t = "2026-11-20T09:00:00.000Z";
    writeSession(dir, {
      id,
      text: line(t, "session_meta", { id, timestamp: t, cwd: "/w" }) +
        line(t, "response_item", message("user", "fix package.json, send an e-mail, run ls -v")),
    });
    for (const query of ["package.json", "e-mail", "ls -v", "package.js*", "e-mail AND ls"]) {
      const found = await hits(dir, query);
      assert.deepEqual(found.map((h) => h.session_id), [id], query);
    }
    // Spelled apart, the words must follow each other: `json.package` is no hit.
    assert.deepEqual(await hits(dir, "json.package"), []);
  } finally {
    cleanup();
  }
});

test("rollout search compares record times as instants, whatever their form, and shows UTC", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(8);
    const t = "2026-12-01T09:00:00Z";
    writeSession(dir, {
      id,
      text: line(t, "session_meta", { id, timestamp: t, cwd: "/w" }) +
        // No milliseconds, and 10:00 UTC written with an offset.
        line("2026-12-01T10:00:00Z", "response_item", message("user", "alpha")) +
        line("2026-12-01T12:00:00+02:00", "response_item", message("user", "bravo")),
    });
    const times = async (...args: string[]) =>
      (await hits(dir, ...args)).map((h) => [h.snippet, h.time]);
    assert.deepEqual(await times("alpha", "--since", "2026-12-01T10:00:00.500Z"), []);
    assert.deepEqual(await times("alpha", "--since", "2026-12-01T10:00:00Z"), [
      ["alpha", "2026-12-01T10:00:00.000Z"],
    ]);
    assert.deepEqual(await times("bravo", "--since", "2026-12-01T10:30:00Z"), []);
    assert.deepEqual(await times("bravo", "--until", "2026-12-01T11:00:00Z"), [
      ["bravo", "2026-12-01T10:00:00.000Z"],
    ]);
  } finally {
    cleanup();
  }
});

test("rollout search filters by folder, time and role, and limits", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const at = (list: Hit[]) => list.map((h) => `${h.session_id.slice(-1)}:${h.item}`);
    assert.deepEqual(at(await hits(dir, "full", "--cwd", "/work/api")), ["1:2", "1:1"]);
    assert.deepEqual(at(await hits(dir, "full", "--since", "2026-11-21")), ["2:4"]);
    assert.deepEqual(at(await hits(dir, "full", "--until", "2026-11-21")), ["1:2", "1:1"]);
    assert.deepEqual(
      at(await hits(dir, "full", "--since", "2026-11-20T09:00:02Z", "--until", "2026-11-21")),
      ["1:2"],
    );
    assert.deepEqual(at(await hits(dir, "full", "--role", "user")), ["1:1"]);
    assert.deepEqual(at(await hits(dir, "deploy", "--role", "tool")), ["2:2"]);
    assert.deepEqual(at(await hits(dir, "full", "--limit", "1")), ["2:4"]);
    // A relative time: everything here is more than a day old.
    assert.deepEqual(await hits(dir, "full", "--since", "1d"), []);
  } finally {
    cleanup();
  }
});

test("rollout search prints each hit with where to open it; no match says so", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const result = await cli(["search", "enospc", "--home", dir]);
    assert.equal(result.code, 0);
    assert.equal(
      result.stdout,
      `${idOf(2)}  2026-11-25 10:00:03Z  item 3  tool  /work/web\n` +
        "  npm ERR! **ENOSPC**: no space left on device, write\n",
    );
    const none = await cli(["search", "nothinglikethis", "--home", dir]);
    assert.deepEqual([none.code, none.stdout], [0, "No matches.\n"]);
  } finally {
    cleanup();
  }
});

test("rollout search refuses bad input with exit 2 and says what was wrong", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const cases: Array<[string[], RegExp]> = [
      [["search", '"unclosed'], /the query "\\"unclosed" is not valid search syntax/],
      [["search", "a AND"], /is not valid search syntax/],
      [["search", "   "], /the QUERY is empty/],
      [["search", "x", "--role", "robot"], /--role" must be user, assistant or tool, got "robot"/],
      [["search", "x", "--since", "last tuesday"], /--since" needs a date.*got "last tuesday"/],
      [["search", "x", "--limit", "0"], /--limit" must be at least 1/],
      [["search"], /missing|QUERY|argument/i],
    ];
    for (const [argv, message] of cases) {
      const result = await cli([...argv, "--home", dir]);
      assert.equal(result.code, 2, argv.join(" "));
      assert.match(result.stderr, message);
      assert.equal(result.stdout, "");
    }
  } finally {
    cleanup();
  }
});

test("rollout search names the files it could not read, and still searches the rest", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    home(dir);
    const bad = path.join(dir, "sessions", "2026", "11", "26", "rollout-broken.jsonl");
    fs.mkdirSync(path.dirname(bad), { recursive: true });
    fs.writeFileSync(bad, "{not json\n");
    const result = await cli(["search", "enospc", "--home", dir, "--json"]);
    assert.equal(result.code, 0);
    assert.equal(JSON.parse(result.stdout).length, 1);
    assert.match(result.stderr, new RegExp(`"${bad}": not searched: `));
  } finally {
    cleanup();
  }
});

test("rollout search and list show secrets replaced unless --no-redact", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Assembled at run time: no token sits in the source.
    const key = `ghp_${"aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"}`;
    writeSession(dir, {
      id: idOf(9),
      text: line("2026-11-20T09:00:00.000Z", "session_meta", {
        id: idOf(9),
        timestamp: "2026-11-20T09:00:00.000Z",
        cwd: "/w",
      }) +
        line(
          "2026-11-20T09:00:01.000Z",
          "response_item",
          message("user", `push with token ${key} please`),
        ),
    });
    const found = await hits(dir, "push");
    assert.equal(found.length, 1);
    assert.ok(!found[0]!.snippet.includes(key), found[0]!.snippet);
    assert.match(found[0]!.snippet, /\[REDACTED:github\]/);
    // The highlight still covers the matched word.
    assert.deepEqual(
      found[0]!.highlights.map(([a, b]) => found[0]!.snippet.slice(a, b)),
      ["push"],
    );
    const raw = await hits(dir, "push", "--no-redact");
    assert.ok(raw[0]!.snippet.includes(key));
    const listed = await cli(["list", "--home", dir, "--json"]);
    assert.ok(!listed.stdout.includes(key), listed.stdout);
    assert.match(JSON.parse(listed.stdout)[0].preview, /\[REDACTED:github\]/);
    const rawList = await cli(["list", "--home", dir, "--json", "--no-redact"]);
    assert.ok(rawList.stdout.includes(key));
  } finally {
    cleanup();
  }
});

test("rollout search and list replace a secret their cut went through", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Assembled at run time: no token sits in the source.
    const key = `sk-proj-${"A1b2C3d4".repeat(6)}`;
    const body = key.slice(8);
    const pad = "word ".repeat(40);
    const t = "2026-11-20T09:00:00.000Z";
    writeSession(dir, {
      id: idOf(9),
      text: line(t, "session_meta", { id: idOf(9), timestamp: t, cwd: "/w" }) +
        // The preview (the first message, cut) ends inside the key; the snippet starts in it.
        line(t, "response_item", message("user", `${pad.slice(0, 60)} ${key} tail`)) +
        line(t, "response_item", message("user", `${pad} ${key} ${"x ".repeat(14)}needle`)),
    });
    const found = await hits(dir, "needle");
    assert.equal(found.length, 1);
    assert.match(found[0]!.snippet, /^…\[REDACTED:partial\] x x/);
    const listed = await cli(["list", "--home", dir, "--json"]);
    const preview = JSON.parse(listed.stdout)[0].preview as string;
    assert.match(preview, /\[REDACTED:partial\]…$/);
    for (const shown of [found[0]!.snippet, preview]) {
      assert.ok(!shown.includes(body.slice(0, 12)), shown);
    }
  } finally {
    cleanup();
  }
});

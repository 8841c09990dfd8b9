import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { zstdCompressSync } from "node:zlib";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { idOf, writeSession } from "./fixtures.ts";

const line = (timestamp: string, type: string, payload: unknown) =>
  JSON.stringify({ timestamp, type, payload }) + "\n";
const T = "2026-10-05T08:00:00.000Z";
const IMAGE = `data:image/png;base64,${"QUJD".repeat(500)}`;

/** The lines of a session with each kind of bytes du tells apart. */
function kindsSession(id: string, cwd: string) {
  const lines = {
    meta: line(T, "session_meta", { id, timestamp: T, cwd }),
    user: line(T, "response_item", {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "look" }, { type: "input_image", image_url: IMAGE }],
    }),
    output: line(T, "response_item", {
      type: "function_call_output",
      call_id: "c",
      output: "x".repeat(300),
    }),
    compacted: line(T, "compacted", {
      message: "",
      replacement_history: [{
        type: "message",
        role: "user",
        content: [{ type: "input_image", image_url: IMAGE }],
      }],
    }),
  };
  return lines;
}

test("rollout du tells images, tool output, compaction copies and the rest apart", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const a = kindsSession(idOf(1), "/work/a");
    const fileA = writeSession(dir, {
      id: idOf(1),
      text: a.meta + a.user + a.output + a.compacted,
    });
    const small = kindsSession(idOf(2), "/work/b");
    const fileB = writeSession(dir, { id: idOf(2), text: small.meta + small.user });
    const result = await cli(["du", "--home", dir, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    const bytes = (text: string) => Buffer.byteLength(text);
    // The image string with its quotes; the rest of its line is "the rest".
    const image = IMAGE.length + 2;
    const first = report.sessions.find((s: { id: string }) => s.id === idOf(1));
    assert.deepEqual(first.kinds, {
      images: image,
      tool_output: bytes(a.output),
      compaction: bytes(a.compacted),
      other: bytes(a.meta) + bytes(a.user) - image,
    });
    assert.equal(first.bytes, fs.statSync(fileA).size);
    assert.deepEqual(report.sessions.map((s: { id: string }) => s.id), [idOf(1), idOf(2)]);
    assert.deepEqual(report.total.files, 2);
    assert.equal(report.total.bytes, fs.statSync(fileA).size + fs.statSync(fileB).size);
    assert.deepEqual(
      report.cwds.map((g: { key: string; files: number }) => [g.key, g.files]),
      [["/work/a", 1], ["/work/b", 1]],
    );
    assert.deepEqual(report.months.map((g: { key: string }) => g.key), ["2026-10"]);
    const text = await cli(["du", "--home", dir]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^2 session files, [\d.]+ kB on disk\n/);
    assert.match(text.stdout, /\n {2}compaction copies +[\d.]+ kB +\d+%\n/);
    assert.match(text.stdout, /Biggest sessions:\nID +SIZE/);
  } finally {
    cleanup();
  }
});

test("rollout du counts a compressed session's kinds in its text and its size on disk", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const a = kindsSession(idOf(1), "/work/a");
    const text = a.meta + a.output;
    const plain = writeSession(dir, { id: idOf(1), text });
    fs.writeFileSync(`${plain}.zst`, zstdCompressSync(Buffer.from(text)));
    fs.unlinkSync(plain);
    const report = JSON.parse((await cli(["du", "--home", dir, "--json"])).stdout);
    assert.equal(report.total.compressed_files, 1);
    assert.equal(report.sessions[0].compressed, true);
    assert.equal(report.sessions[0].bytes, fs.statSync(`${plain}.zst`).size);
    assert.equal(report.sessions[0].kinds.tool_output, Buffer.byteLength(a.output));
  } finally {
    cleanup();
  }
});

/** A token_count event with the running totals and this response's usage. */
function tokens(total: [number, number, number, number], last: [number, number, number, number]) {
  const usage = ([input, cached, output, reasoning]: number[]) => ({
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: input! + output!,
  });
  return {
    type: "token_count",
    info: { total_token_usage: usage(total), last_token_usage: usage(last) },
  };
}

test("rollout usage counts each response once, cached within input, by day and model", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(1);
    const day1 = "2026-11-01T10:00:00.000Z";
    const day2 = "2026-11-02T10:00:00.000Z";
    writeSession(dir, {
      id,
      text: line(day1, "session_meta", { id, timestamp: day1, cwd: "/w" }) +
        line(day1, "turn_context", { model: "gpt-a", cwd: "/w" }) +
        line(day1, "event_msg", tokens([1000, 800, 100, 40], [1000, 800, 100, 40])) +
        // The same totals again (a rate-limit update): nothing new.
        line(day1, "event_msg", tokens([1000, 800, 100, 40], [1000, 800, 100, 40])) +
        line(day2, "turn_context", { model: "gpt-b", cwd: "/w" }) +
        line(day2, "event_msg", tokens([3000, 2500, 160, 40], [2000, 1700, 60, 0])),
    });
    writeSession(dir, { id: idOf(2) });
    const result = await cli(["usage", "--home", dir, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    // Input 1000 + 2000, of which cached 800 + 1700; output 100 + 60, of which reasoning 40.
    assert.deepEqual(
      [
        report.total.input,
        report.total.cached_input,
        report.total.output,
        report.total.reasoning_output,
        report.total.total,
      ],
      [3000, 2500, 160, 40, 3160],
    );
    assert.deepEqual(
      report.groups.map((g: { key: string; input: number }) => [g.key, g.input]),
      [["2026-11-01", 1000], ["2026-11-02", 2000]],
    );
    assert.deepEqual(report.sessions_without_usage, [idOf(2)]);
    const byModel = JSON.parse(
      (await cli(["usage", "--home", dir, "--json", "--by", "model"])).stdout,
    );
    assert.deepEqual(
      byModel.groups.map((g: { key: string; output: number }) => [g.key, g.output]).sort(),
      [["gpt-a", 100], ["gpt-b", 60]],
    );
    const since = JSON.parse(
      (await cli(["usage", "--home", dir, "--json", "--since", "2026-11-02"])).stdout,
    );
    assert.equal(since.total.input, 2000);
    const bad = await cli(["usage", "--home", dir, "--by", "week"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"--by" must be day, session, model or cwd, got "week"/);
    const table = await cli(["usage", "--home", dir]);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /3,000/);
  } finally {
    cleanup();
  }
});

test("rollout usage counts a fork's own turns, not those it copied from its parent", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(1);
    const t = "2026-11-01T10:00:00.000Z";
    const parent = writeSession(dir, {
      id,
      text: line(t, "session_meta", { id, timestamp: t, cwd: "/w" }) +
        line(t, "event_msg", tokens([100, 0, 10, 0], [100, 0, 10, 0])),
    });
    const forked = await cli(["fork", parent, "--home", dir, "--json"]);
    assert.equal(forked.code, 0, forked.stderr);
    const fork = JSON.parse(forked.stdout) as { session_id: string; path: string };
    // The fork's own response, after it was made: its totals go on from the parent's.
    // (A paginated journal: the line takes the next ordinal.)
    const ordinal = fs.readFileSync(fork.path, "utf8").split("\n").length - 1;
    fs.appendFileSync(
      fork.path,
      JSON.stringify({
        timestamp: new Date(Date.now() + 1000).toISOString(),
        ordinal,
        type: "event_msg",
        payload: tokens([600, 0, 60, 0], [500, 0, 50, 0]),
      }) + "\n",
    );
    const result = await cli(["usage", "--home", dir, "--by", "session", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    const rows = report.groups.map((g: { key: string; turns: number; input: number }) => [
      g.key,
      g.turns,
      g.input,
    ]);
    assert.deepEqual(rows.sort(), [[id, 1, 100], [fork.session_id, 1, 500]].sort());
    assert.deepEqual(report.sessions_without_usage, []);
  } finally {
    cleanup();
  }
});

test("rollout usage says how many token counts it could not read, and in which sessions", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(1);
    const t = "2026-11-01T10:00:00.000Z";
    const file = writeSession(dir, {
      id,
      text: line(t, "session_meta", { id, timestamp: t, cwd: "/w" }) +
        line(t, "event_msg", tokens([1000, 800, 100, 40], [1000, 800, 100, 40])) +
        line(t, "event_msg", {
          type: "token_count",
          info: { total_token_usage: { input_tokens: "lots", output_tokens: 7 } },
        }),
    });
    writeSession(dir, { id: idOf(2) });
    const first = await cli(["usage", "--home", dir, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout);
    assert.equal(report.total.input, 1000);
    assert.deepEqual(report.unreadable_token_counts, [{ session_id: id, records: 1 }]);
    // A count past what adds up exactly, appended: read on from where the index stopped.
    fs.appendFileSync(
      file,
      line(t, "event_msg", tokens([1e300, 0, 100, 0], [1e300, 0, 0, 0])),
    );
    const table = await cli(["usage", "--home", dir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /\n2 token counts in 1 session not counted: in a shape not understood, or too large \(--json names the sessions\)\n$/,
    );
    const again = JSON.parse((await cli(["usage", "--home", dir, "--json"])).stdout);
    assert.deepEqual(again.unreadable_token_counts, [{ session_id: id, records: 2 }]);
    assert.equal(again.total.input, 1000);
  } finally {
    cleanup();
  }
});

test("rollout du lists the biggest first, files of one size by the UTF-8 bytes of their paths", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const folder = `${dir}/sessions`;
    fs.mkdirSync(folder, { recursive: true });
    const write = (name: string, n: number, pad: number) => {
      const s = kindsSession(idOf(n), "/work/a");
      fs.writeFileSync(
        `${folder}/${name}`,
        s.meta + line(T, "response_item", {
          type: "function_call_output",
          call_id: "c",
          output: "x".repeat(pad),
        }),
      );
      return `${folder}/${name}`;
    };
    // U+E000 is EE 80 80 in UTF-8 and U+10000 F0 90 80 80, but in UTF-16 U+10000 (D800 DC00)
    // comes first: the order must be the bytes' (SQLite's, and PostgreSQL's in the C locale).
    const big = write("rollout-big.jsonl", 1, 900);
    const privateUse = write("rollout-\uE000.jsonl", 2, 500);
    const astral = write("rollout-\u{10000}.jsonl", 3, 500);
    const plain = write("rollout-z.jsonl", 4, 500);
    const small = write("rollout-a.jsonl", 5, 10);
    const sizes = [privateUse, astral, plain].map((f) => fs.statSync(f).size);
    assert.equal(new Set(sizes).size, 1, `equal sizes: ${sizes}`);
    const result = await cli(["du", "--home", dir, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const order = JSON.parse(result.stdout).sessions.map((s: { path: string }) => s.path);
    assert.deepEqual(order, [big, plain, privateUse, astral, small]);
  } finally {
    cleanup();
  }
});

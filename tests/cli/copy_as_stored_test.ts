/**
 * Line copies (`convert --to jsonl`, `export --to jsonl`) copy a record they do not change as
 * it is stored, byte for byte, and read a journal once after a look at its first lines.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { SecretMaker } from "../redaction/secret_samples.ts";
import { inTempDir, readLines, userMessage } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { idOf, T0, writeSession } from "./fixtures.ts";

const ID = idOf(61);
const T = "2026-11-26T11:15:29.000Z";
const META = {
  id: ID,
  timestamp: T0,
  cwd: "/repo",
  originator: "codex_cli_rs",
  cli_version: "0.150.0",
  source: "cli",
  history_mode: "paginated",
};
const GITHUB = `gh${"p"}_${new SecretMaker(7).chars("abcdefABCDEF0123456789", 36)}`;

/** A line as `JSON.stringify` writes it: what a record that is changed becomes. */
function encoded(ordinal: number | undefined, type: string, payload: unknown): string {
  return JSON.stringify({
    timestamp: T,
    ...(ordinal === undefined ? {} : { ordinal }),
    type,
    payload,
  });
}

/**
 * Lines JSON cannot say again the same way: spaces, `\u` escapes, a number past a double's
 * precision, a field besides the envelope's. Line 4 lacks the ordinal a paginated file needs,
 * so a copy gives it one; line 5 then holds the ordinal the copy gives it. Line 6 has no
 * timestamp: a copy gives it the session's. Line 7, of a type Codex does not know, has an
 * ordinal, which only Codex's records take; line 8 has none. Line 9 spells its ordinal `6.0`,
 * which a strict reader takes for no integer; line 10 ends in a space.
 */
const STORED = [
  encoded(0, "session_meta", META),
  `{"timestamp": "${T}", "ordinal": 1, "type": "response_item", "payload": {"type": "message",` +
  ` "role": "user", "content": [{"type": "input_text", "text": "caf\\u00e9 ${GITHUB}"}]}}`,
  `{"timestamp":"${T}","ordinal":2,"type":"event_msg","payload":{"type":"user_message",` +
  `"message":"caf\\u00e9"},"metadata":{"tokens":12345678901234567890}}`,
  encoded(undefined, "response_item", {
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: "done" }],
  }),
  `{"timestamp":"${T}","ordinal":4,"type":"event_msg","payload":{"type":"token_count",` +
  `"info":{"total_token_usage":{"input_tokens":1.50e3}}}}`,
  `{"ordinal":5,"type":"event_msg","payload":{"type":"agent_message","message":"done"}}`,
  `{"timestamp":"${T}","ordinal":6,"type":"x_note","payload":{"n": 1}}`,
  `{"timestamp":"${T}","type":"x_note","payload":{"n": 2}}`,
  `{"timestamp":"${T}","ordinal":6.0,"type":"event_msg","payload":{"type":"agent_message",` +
  `"message":"bye"}}`,
  `{"timestamp":"${T}","ordinal":7,"type":"event_msg","payload":{"type":"agent_message",` +
  `"message":"end"}} `,
];

test("rollout convert --to jsonl copies the records it does not change as stored, byte for byte", async () => {
  await inTempDir(async (dir) => {
    const file = writeSession(dir, { id: ID, text: STORED.map((l) => `${l}\n`).join("") });
    const copy = path.join(dir, "copy.jsonl");
    const result = await cli(["convert", file, "--to", "jsonl", "-o", copy]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `Converted ${file} (journal) to ${copy} (journal, 2 items)\n`);
    // The missing ordinal is damage the copy mends; it is reported once.
    assert.match(result.stderr, /line 4 \(byte \d+\): the response_item record has no ordinal/);
    assert.equal(result.stderr.split("\n").filter((l) => l.includes("line 4")).length, 1);
    const lines = readLines(copy);
    assert.equal(lines.length, 10);
    assert.deepEqual(JSON.parse(lines[0]!).payload.id, ID);
    assert.equal(lines[1], STORED[1]);
    assert.equal(lines[2], STORED[2]);
    assert.equal(
      lines[3],
      encoded(3, "response_item", JSON.parse(STORED[3]!).payload),
    );
    assert.equal(lines[4], STORED[4]);
    assert.equal(
      lines[5],
      JSON.stringify({ timestamp: T0, ...JSON.parse(STORED[5]!) }),
    );
    assert.equal(lines[6], encoded(undefined, "x_note", { n: 1 }));
    assert.equal(lines[7], STORED[7]);
    assert.equal(lines[8], encoded(6, "event_msg", JSON.parse(STORED[8]!).payload));
    assert.equal(lines[9], encoded(7, "event_msg", JSON.parse(STORED[9]!).payload));
    // The copy needs no more mending: `validate` finds it whole.
    const check = await cli(["validate", copy]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });
});

test("rollout convert of a file without ordinals gives each line its ordinal and keeps the rest as stored", async () => {
  await inTempDir(async (dir) => {
    const { history_mode: _mode, ...legacy } = META;
    const head = `{"timestamp":"${T}",`;
    const stored = [
      encoded(undefined, "session_meta", legacy),
      `${head}"type":"response_item","payload":{"type": "message", "role": "user", "content":` +
      ` [{"type": "input_text", "text": "caf\\u00e9 12345678901234567890"}]}}`,
      `${head}"type":"turn_context","payload":{"cwd": "/repo"},"ordinal":null}`,
      `${head}"type":"response_item","payload":{"type":"message","role":"assistant",` +
      `"content":[{"type":"output_text","text":"done"}]}}`,
      `${head}"type":"turn_context","payload":{"cwd": "/repo", "ordinal": 7}}`,
      `${head}"\\u006frdinal":null,"type":"turn_context","payload":{"cwd": "/x"}}`,
    ];
    const file = writeSession(dir, { id: ID, text: stored.map((l) => `${l}\n`).join("") });
    const copy = path.join(dir, "copy.jsonl");
    const result = await cli(["convert", file, "--to", "jsonl", "-o", copy]);
    assert.equal(result.code, 0, result.stderr);
    const lines = readLines(copy);
    // No message events in the file: the copy adds each message's after it.
    const mirror = (line: string) => {
      const { ordinal, type, payload } = JSON.parse(line);
      return [ordinal, type, payload.type, payload.message];
    };
    assert.equal(lines.length, 8);
    assert.equal(lines[1], `${head}"ordinal":1,${stored[1]!.slice(head.length)}`);
    // It has an ordinal field (a null one): written anew, not given a second.
    assert.equal(lines[3], encoded(3, "turn_context", { cwd: "/repo" }));
    assert.equal(lines[4], `${head}"ordinal":4,${stored[3]!.slice(head.length)}`);
    assert.deepEqual([mirror(lines[2]!), mirror(lines[5]!)], [
      [2, "event_msg", "user_message", "café 12345678901234567890"],
      [5, "event_msg", "agent_message", "done"],
    ]);
    // A payload's ordinal is the payload's own; a null one spelled with an escape is one.
    assert.equal(lines[6], `${head}"ordinal":6,${stored[4]!.slice(head.length)}`);
    assert.equal(lines[7], encoded(7, "turn_context", { cwd: "/x" }));
  });
});

test("rollout export --to jsonl redacts each line where it holds a secret, else copies it as stored", async () => {
  await inTempDir(async (dir) => {
    // A key twice: the parsed value holds the second, the line both (the secret too).
    const twice = `{"timestamp":"${T}","ordinal":3,"type":"event_msg","payload":{"type":` +
      `"agent_message","message":"${GITHUB}"},"payload":{"type":"agent_message","message":"ok"}}`;
    const stored = [...STORED.slice(0, 3), twice];
    const file = writeSession(dir, { id: ID, text: stored.map((l) => `${l}\n`).join("") });
    const result = await cli(["export", file, "--to", "jsonl"]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split("\n");
    assert.equal(lines.pop(), "");
    // Only the string that held the secret is written again; spacing, escapes elsewhere and
    // numbers (one above 2^53) stay as stored.
    assert.equal(
      lines[1],
      STORED[1]!.replace(`"caf\\u00e9 ${GITHUB}"`, JSON.stringify("café [REDACTED:github]")),
    );
    assert.equal(lines[2], STORED[2]);
    assert.equal(lines[3], twice.replace(GITHUB, "[REDACTED:github]"));
    assert.ok(!result.stdout.includes(GITHUB));
    assert.equal(
      result.stderr,
      "rollout: note: redacted 2 secrets (github 2); --no-redact keeps them\n",
    );
    // Without redaction, each line is copied as stored.
    const raw = await cli(["export", file, "--to", "jsonl", "--no-redact"]);
    assert.deepEqual(raw.stdout.split("\n").slice(1, 4), stored.slice(1));
  });
});

/**
 * The lines of a paginated journal from ordinal `start`: its meta, a user message and its event
 * (line 3), then `outputs` tool outputs of 100 kB.
 */
function journalOf(meta: Record<string, unknown>, start: number, outputs: number): string[] {
  const lines = [
    encoded(start, "session_meta", meta),
    encoded(start + 1, "response_item", userMessage("first")),
    encoded(start + 2, "event_msg", { type: "user_message", message: "first" }),
  ];
  for (let i = 0; i < outputs; i++) {
    lines.push(encoded(start + 3 + i, "response_item", {
      type: "function_call_output",
      call_id: `call_${i}`,
      output: "y".repeat(100_000),
    }));
  }
  return lines;
}

/** Bytes this process has read so far (Linux: `/proc/self/io`). */
function bytesRead(): number {
  const io = fs.readFileSync("/proc/self/io", "utf8");
  return Number(/^rchar: (\d+)$/m.exec(io)![1]);
}

test("rollout convert reads a journal once after its first lines, and reports damage from anywhere in it", async () => {
  await inTempDir(async (dir) => {
    const lines = journalOf(META, 0, 80);
    const convert = async (text: string, copy: string) => {
      const file = writeSession(dir, { id: ID, text });
      const before = bytesRead();
      const result = await cli(["convert", file, "--to", "jsonl", "-o", copy]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        `Converted ${file} (journal) to ${copy} (journal, 81 items)\n`,
      );
      return { read: bytesRead() - before, size: fs.statSync(file).size, stderr: result.stderr };
    };
    const whole = await convert(lines.map((l) => `${l}\n`).join(""), path.join(dir, "a.jsonl"));
    // Once, besides a MiB or two at its start: each read first reads up to a MiB to find the
    // format, and the first look reads a MiB. Reading it twice would be 16 MB and more.
    assert.ok(whole.read >= whole.size, `read ${whole.read} bytes of ${whole.size}`);
    assert.ok(
      whole.read < whole.size + 4 * 1024 * 1024,
      `read ${whole.read} bytes of ${whole.size}`,
    );
    assert.equal(whole.stderr, "");
    assert.deepEqual(readLines(path.join(dir, "a.jsonl")).slice(1), lines.slice(1));
    // A fork of the whole session reads it once too, and counts what it copied.
    const before = bytesRead();
    const fork = await cli(["fork", ID, "--home", dir]);
    const forkRead = bytesRead() - before;
    assert.equal(fork.code, 0, fork.stderr);
    assert.match(fork.stdout, new RegExp(`^Forked session ${ID} at item 81 of 81\n`));
    assert.ok(forkRead < whole.size + 4 * 1024 * 1024, `read ${forkRead} bytes of ${whole.size}`);
    const forked = readLines(fork.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(forked.slice(1), lines.slice(1));
    // Damage past the first read's MiB: only the copy's read sees it, and says it once.
    const damaged = [...lines.slice(0, 70), "not json", ...lines.slice(70)];
    const cut = await convert(damaged.map((l) => `${l}\n`).join(""), path.join(dir, "b.jsonl"));
    assert.equal(cut.stderr.match(/line 71 \(byte \d+\): not JSON/g)?.length, 1, cut.stderr);
    assert.deepEqual(readLines(path.join(dir, "b.jsonl")).slice(1), lines.slice(1));
  });
});

test("rollout convert of a fork counts the items it inherits and says why they are missing", async () => {
  await inTempDir(async (dir) => {
    const parentId = idOf(62);
    const parent = [
      encoded(0, "session_meta", { ...META, id: parentId }),
      encoded(1, "response_item", userMessage("p1")),
      encoded(2, "response_item", userMessage("p2")),
    ].map((l) => `${l}\n`).join("");
    const parentFile = writeSession(dir, { id: parentId, text: parent });
    const base = { thread_id: parentId, end_ordinal_exclusive: 3, end_byte_offset: parent.length };
    // A message event in its first MiB, and more than a MiB after it.
    const lines = journalOf({ ...META, history_base: base }, 3, 15);
    const file = writeSession(dir, {
      id: ID,
      text: lines.map((l) => `${l}\n`).join(""),
      stamp: "2026-11-26T11-20-00",
    });
    const convert = (name: string) =>
      cli(["convert", file, "--to", "jsonl", "-o", path.join(dir, name)]);
    const whole = await convert("a.jsonl");
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, /\(journal, 18 items\)\n$/);
    assert.equal(whole.stderr, "");
    fs.rmSync(parentFile);
    const orphan = await convert("b.jsonl");
    assert.equal(orphan.code, 0, orphan.stderr);
    assert.match(orphan.stdout, /\(journal, 16 items\)\n$/);
    assert.match(
      orphan.stderr,
      new RegExp(`history inherited from rollout ${parentId} is missing`),
    );
    assert.doesNotMatch(orphan.stderr, /not read/);
  });
});

test("rollout repair keeps the lines it does not change as stored, byte for byte", async () => {
  await inTempDir(async (dir) => {
    const torn = `${STORED.map((l) => `${l}\n`).join("")}{"timestamp":"2026`;
    const file = writeSession(dir, { id: ID, text: torn });
    const result = await cli(["repair", file]);
    assert.equal(result.code, 0, result.stderr);
    const lines = readLines(file);
    assert.equal(lines.length, STORED.length);
    for (const n of [1, 2, 4, 7]) assert.equal(lines[n], STORED[n], `line ${n + 1}`);
    assert.equal(lines[9], encoded(7, "event_msg", JSON.parse(STORED[9]!).payload));
    assert.equal(lines[3], encoded(3, "response_item", JSON.parse(STORED[3]!).payload));
  });
});

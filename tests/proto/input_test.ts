import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { nestingDepth } from "../../lib/base/mod.ts";
import { manyBrackets, parseLine } from "../../lib/proto/submission_reader.ts";
import { prng } from "../fixtures_random.ts";
import { setup, tempDir, userMessage } from "../helpers.ts";
import { hostileLine, runScript } from "./fake_io.ts";

const encoder = new TextEncoder();
const err = (id: string, code: string, message: string) => ({
  id,
  msg: { type: "error", code, message },
});

test("parseLine() checks the envelope, the op and its fields", () => {
  assert.deepEqual(parseLine('{"id":"1","op":{"type":"flush"}}', 1), {
    ok: true,
    id: "1",
    op: { type: "flush" },
  });
  assert.deepEqual(parseLine("{", 3), {
    ok: false,
    id: "",
    code: "invalid_json",
    message: "Line 3 is not JSON",
  });
  assert.deepEqual(parseLine('{"id":7,"op":{"type":"flush"}}', 1), {
    ok: false,
    id: "",
    code: "invalid_submission",
    message: "Line 1: id: expected string, got number",
  });
  assert.deepEqual(parseLine('{"id":"x","op":{"type":"flush","now":true}}', 1), {
    ok: false,
    id: "x",
    code: "invalid_submission",
    message: 'op: unknown field "now"',
  });
  assert.deepEqual(parseLine('{"id":"x"}', 1), {
    ok: false,
    id: "x",
    code: "invalid_submission",
    message: "op: required object is missing",
  });
});

test("nestingDepth() counts arrays and objects outside strings", () => {
  assert.equal(nestingDepth('{"a":[1,{"b":"[[[{{"}]}', 100), 3);
  assert.equal(nestingDepth('"\\"[["', 100), 0);
  assert.equal(nestingDepth("[".repeat(50), 10), 11);
});

test("manyBrackets() counts opening brackets of both kinds, in strings too, up to its limit", () => {
  const cases: [string, number, boolean][] = [
    ["", 0, false],
    ["no brackets at all", 3, false],
    ["[", 0, true],
    ["[", 1, false],
    ["[[", 2, false],
    ["[[[", 2, true],
    ["{{{", 2, true],
    ["[{", 1, true],
    ['{"a":"[["}', 3, false],
    ['{"a":"[[["}', 3, true],
    ["]]]}}}", 0, false],
    [`x${"[".repeat(5)}`, 4, true],
  ];
  for (const [text, limit, many] of cases) {
    assert.equal(manyBrackets(text, limit), many, `${JSON.stringify(text)} over ${limit}`);
  }
});

test("runProto() answers each bad line with one error and carries on", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
    const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
    const input = [
      '{"id":"1","op":{"type":"configure_session"}}\r\n',
      "\n",
      "not json\n",
      "[1,2]\n",
      '{"op":{"type":"flush"}}\n',
      '{"id":"2","op":{"type":"interrupt"}}\n',
      '{"id":"3","op":{"type":"warp_drive"}}\n',
      '{"id":"4","op":{"type":"record_items","items":[{"type":"function_call","name":"f","arguments":"{}","call_id":"a"},{"type":"message","role":"user","content":[]},{"type":"function_call","name":"f","arguments":"{}","call_id":5}]}}\n',
      `${deep}\n`,
      `{"id":"5","op":{"type":"record_items","items":[{"type":"message","role":"user","content":[],"x":${
        nested(1200)
      }}]}}\n`,
      `{"id":"6","op":{"type":"record_items","items":[{"type":"message","role":"user","content":[],"x":${
        nested(900)
      }}]}}\n`,
      encoder.encode('{"id":"7","op":{"type":"add_to_history","text":"\xff"}}\n').map((b) =>
        b === 0xc3 ? 0xff : b
      ),
      '{"id":"8","op":{"type":"get_session"}}',
    ];
    const { events } = await runScript(input, { home: dir });
    assert.deepEqual(events.slice(1, 10), [
      err("", "invalid_json", "Line 2 is not JSON"),
      err("", "invalid_json", "Line 3 is not JSON"),
      err("", "invalid_submission", "Line 4: (root): expected an object, got array"),
      err("", "invalid_submission", "Line 5: id: required string is missing"),
      err("2", "unsupported_op", 'op.type: "interrupt" is a Codex op that rollout does not handle'),
      err("3", "unsupported_op", 'op.type: unknown op "warp_drive"'),
      err("4", "invalid_submission", "op.items[2].call_id: expected string, got number"),
      err("", "invalid_json", "Line 9 is nested deeper than 1000 levels"),
      err("", "invalid_json", "Line 10 is nested deeper than 1000 levels"),
    ]);
    assert.equal(events[10]!.msg.type, "items_recorded");
    assert.deepEqual(events[11], err("", "invalid_json", "Line 12 is not valid UTF-8"));
    assert.equal(events[12]!.id, "8");
    assert.equal((events[12]!.msg.items as unknown[]).length, 1);
    assert.equal(events.length, 13);
  } finally {
    cleanup();
  }
});

test("runProto() refuses lines above --max-line-bytes, also split across chunks", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const long = `{"id":"L","op":{"type":"add_to_history","text":"${"x".repeat(300)}"}}\n`;
    const ok = '{"id":"ok","op":{"type":"get_history_entry_request","offset":0,"log_id":1}}\n';
    const whole = long + ok + long + ok + long.slice(0, -1);
    const chunks: string[] = [];
    for (let i = 0; i < whole.length; i += 7) chunks.push(whole.slice(i, i + 7));
    for (const input of [[whole], chunks]) {
      const { events } = await runScript(input, { home: dir, maxLineBytes: 200 });
      const tooLong = (n: number) =>
        err("", "line_too_long", `Line ${n} is longer than the limit of 200 bytes`);
      const answer = {
        id: "ok",
        msg: { type: "get_history_entry_response", offset: 0, log_id: 1, entry: null },
      };
      assert.deepEqual(events, [tooLong(1), answer, tooLong(3), answer, tooLong(5)]);
    }
    assert.equal(fs.existsSync(path.join(dir, "history.jsonl")), false);
  } finally {
    cleanup();
  }
});

test("runProto() gives the same events whatever the chunking of stdin", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const text =
      '\uFEFF{"id":"1","op":{"type":"configure_session","disable_response_storage":true}}\r\n' +
      `{"id":"2","op":{"type":"record_items","items":[${JSON.stringify(userMessage("é€😀"))}]}}\n` +
      '{"id":"3","op":{"type":"get_session"}}';
    const bytes = encoder.encode(text);
    const whole = await runScript([bytes], { home: dir });
    const single = await runScript([...bytes].map((b) => new Uint8Array([b])), { home: dir });
    const strip = (events: typeof whole.events) =>
      events.map((e) => e.msg.type === "session_configured" ? { ...e, msg: {} } : e).map((e) =>
        e.msg.type === "session" ? { ...e, msg: { ...e.msg, session: {} } } : e
      );
    assert.deepEqual(strip(single.events), strip(whole.events));
    // What the three lines must give, written here rather than taken from a run: the BOM and
    // the CRLF are not part of the first op, the multi-byte text arrives whole.
    const expected = (events: typeof whole.events, how: string) => {
      assert.deepEqual(events.map((e) => [e.id, e.msg.type]), [
        ["1", "session_configured"],
        ["2", "items_recorded"],
        ["3", "session"],
      ], how);
      assert.equal(events[1]!.msg.item_count, 1, how);
      assert.deepEqual(events[2]!.msg.items, [userMessage("é€😀")], how);
    };
    expected(whole.events, "one chunk");
    expected(single.events, "one byte a chunk");
    const random = prng(128);
    for (let round = 0; round < 5; round++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(random() * 9);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      expected((await runScript(chunks, { home: dir })).events, `random chunking ${round}`);
    }
  } finally {
    cleanup();
  }
});

test("runProto() survives thousands of hostile lines: one error each, session unchanged", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const cap = 4096;
    const random = prng(20261126);
    const hostile = Array.from({ length: 3000 }, (_, i) => hostileLine(random, i, cap));
    const first = encoder.encode(
      '{"id":"c","op":{"type":"configure_session"}}\n' +
        `{"id":"r","op":{"type":"record_items","items":[${
          JSON.stringify(userMessage("keep"))
        }]}}\n` +
        '{"id":"g1","op":{"type":"get_session"}}\n',
    );
    const chunks: Uint8Array[] = [first];
    for (const { line } of hostile) {
      const withNewline = new Uint8Array(line.length + 1);
      withNewline.set(line);
      withNewline[line.length] = 10;
      chunks.push(withNewline);
    }
    chunks.push(encoder.encode('{"id":"g2","op":{"type":"get_session"}}\n'));
    const { events } = await runScript(chunks, { home: dir, maxLineBytes: cap });
    assert.equal(events.length, hostile.length + 4);
    const middle = events.slice(3, -1);
    assert.deepEqual(middle.map((e) => e.id), hostile.map((h) => h.id));
    for (const event of middle) assert.equal(event.msg.type, "error", JSON.stringify(event));
    assert.deepEqual(events.at(-1)!.msg, events[2]!.msg);
    const file = events[0]!.msg.rollout_path as string;
    // Meta, the one item and its event_msg mirror, then the final newline's empty rest.
    assert.equal(fs.readFileSync(file, "utf8").split("\n").length, 4);
    assert.equal(fs.existsSync(path.join(dir, "history.jsonl")), false);
  } finally {
    cleanup();
  }
});

test("parseLine() refuses nesting past the limit only, whatever mix of brackets", async () => {
  const { MAX_NESTING } = await import("../../lib/base/json_depth.ts");
  const nested = (depth: number, open: (i: number) => string) => {
    let text = "1";
    for (let i = depth - 1; i >= 0; i--) text = open(i) === "[" ? `[${text}]` : `{"k":${text}}`;
    return text;
  };
  const line = (value: string) => `{"id":"n","op":{"type":"flush","x":${value}}}`;
  const deep = (depth: number, open: (i: number) => string) =>
    parseLine(line(nested(depth, open)), 4);
  const refusal = {
    ok: false,
    id: "",
    code: "invalid_json",
    message: `Line 4 is nested deeper than ${MAX_NESTING} levels`,
  };
  // The envelope and op add two levels.
  const arrays = () => "[";
  const mixed = (i: number) => (i % 2 === 0 ? "[" : "{");
  assert.deepEqual(deep(MAX_NESTING - 1, arrays), refusal);
  assert.deepEqual(deep(MAX_NESTING - 1, mixed), refusal, "brackets of both kinds count");
  // Exactly at the limit, with one more bracket beside it (so the depth is looked at).
  const atLimit = `{"id":"n","op":{"type":"flush","y":[],"x":${nested(MAX_NESTING - 2, arrays)}}}`;
  assert.equal((parseLine(atLimit, 4) as { code: string }).code, "invalid_submission");
  for (const open of [arrays, mixed]) {
    const accepted = deep(MAX_NESTING - 2, open);
    assert.equal(accepted.ok, false, "the op has an unknown field");
    assert.equal((accepted as { code: string }).code, "invalid_submission");
  }
  // Many brackets, shallow: closed ones are counted out.
  const wide = `[${Array.from({ length: MAX_NESTING + 10 }, () => "[]").join(",")}]`;
  assert.equal(nestingDepth(wide, MAX_NESTING), 2);
  assert.equal((parseLine(line(wide), 4) as { code: string }).code, "invalid_submission");
  const objects = `[${Array.from({ length: MAX_NESTING + 10 }, () => "{}").join(",")}]`;
  assert.equal(nestingDepth(objects, MAX_NESTING), 2);
});

test("SubmissionReader.end() reads a last line without its line end as any other", async () => {
  const { SubmissionReader } = await import("../../lib/proto/submission_reader.ts");
  const read = (...chunks: Uint8Array[]) => {
    const got: unknown[] = [];
    const reader = new SubmissionReader({ maxLineBytes: 200, deliver: (s) => got.push(s) });
    for (const chunk of chunks) reader.push(chunk);
    reader.end();
    return got;
  };
  const flush = '{"id":"f","op":{"type":"flush"}}';
  const ok = { ok: true, id: "f", op: { type: "flush" } };
  assert.deepEqual(read(encoder.encode(`${flush}\n`)), [ok], "nothing more at the end");
  assert.deepEqual(read(encoder.encode(flush)), [ok]);
  assert.deepEqual(read(encoder.encode(`${flush}\r`)), [ok]);
  assert.deepEqual(read(encoder.encode(`\r${flush}`)), [ok], "a CR first is white space");
  // A byte that is no UTF-8, inside a string: refused, not read as U+FFFD.
  const bad = new Uint8Array([
    ...encoder.encode('{"id":"'),
    0xff,
    ...encoder.encode('","op":{"type":"flush"}}'),
  ]);
  const refused = {
    ok: false,
    id: "",
    code: "invalid_json",
    message: "Line 1 is not valid UTF-8",
  };
  assert.deepEqual(read(bad), [refused]);
  assert.deepEqual(read(bad, new Uint8Array([10])), [refused], "the same with its line end");
  // A byte order mark opening the stream is passed over, with or without a line end; on a
  // later line it is no JSON.
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode(flush)]);
  assert.deepEqual(read(bom, new Uint8Array([10])), [ok]);
  assert.deepEqual(read(bom), [ok]);
  const notJson = { ok: false, id: "", code: "invalid_json", message: "Line 2 is not JSON" };
  const first = encoder.encode(`${flush}\n`);
  assert.deepEqual(read(first, bom), [ok, notJson]);
  assert.deepEqual(read(first, bom, new Uint8Array([10])), [ok, notJson]);
  // Too long, with or without its line end.
  const long = encoder.encode(`{"id":"${"x".repeat(300)}"}`);
  const tooLong = {
    ok: false,
    id: "",
    code: "line_too_long",
    message: "Line 1 is longer than the limit of 200 bytes",
  };
  assert.deepEqual(read(long), [tooLong]);
  assert.deepEqual(read(long, new Uint8Array([10])), [tooLong]);
});

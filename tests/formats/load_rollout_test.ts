import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import type { FileSystem } from "../../lib/runtime/file_system.ts";
import { describeDamage, type LoadedRollout, loadRollout } from "../../lib/formats/load_rollout.ts";
import {
  bytes,
  CODEX_2025_LINES,
  CODEX_ENVELOPE_LINES,
  JOURNAL_ITEMS,
  JOURNAL_LINES,
  JOURNAL_META,
  jsonl,
  size,
  writeFixture,
} from "../fixtures_rollouts.ts";
import { prng, randomBytes, runSeed, withSeed } from "../fixtures_random.ts";
import { tempDir } from "../helpers.ts";

const FILE = "/mem/rollout.jsonl";

/** A read-only file system holding one file, so thousands of cuts need no disk. */
function memoryFs(data: Uint8Array): FileSystem {
  const refuse = (): never => {
    throw new Error("the loader must not write");
  };
  return {
    open: (_path, mode) => (mode === "read" ? 3 : refuse()),
    read: (_fd, into, position) => {
      const n = Math.max(0, Math.min(into.length, data.length - position));
      into.set(data.subarray(position, position + n));
      return n;
    },
    size: () => data.length,
    mtime: () => 0,
    close: () => {},
    write: refuse,
    setMtime: refuse,
    fdatasync: refuse,
    fdatasyncAsync: refuse,
    fsync: refuse,
    truncate: refuse,
    rename: refuse,
    unlink: refuse,
    mkdir: refuse,
    readdir: refuse,
  };
}

function load(content: string | Uint8Array, maxLineBytes?: number): LoadedRollout {
  const data = typeof content === "string" ? bytes(content) : content;
  return loadRollout(FILE, {
    fs: memoryFs(data),
    all: true,
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
  });
}

function concatBytes(...parts: (string | Uint8Array)[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === "string" ? bytes(p) : p));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Byte offset where line `k` (0-based) of `lines` starts. */
function offsetOf(lines: readonly string[], k: number): number {
  return size(jsonl(lines.slice(0, k)));
}

const JOURNAL = jsonl(JOURNAL_LINES);
const [I0, I1, I2] = JOURNAL_ITEMS;
const STATE = { previous_response_id: "resp_42" };
const CUT_META =
  `Cannot load rollout "${FILE}": the file ends inside its first line (no usable session meta)`;

/** What a reader must return for the first `k` complete lines, from the fixture alone. */
function expectedPrefix(lines: readonly string[], k: number) {
  const items: unknown[] = [];
  const types: Record<string, number> = {};
  let state: unknown = {};
  const legacy = !("type" in JSON.parse(lines[0]!));
  for (const line of lines.slice(1, k)) {
    const value = JSON.parse(line);
    if (legacy) {
      if (value.record_type === "state") {
        state = value.previous_response_id === null || value.previous_response_id === undefined
          ? {}
          : { previous_response_id: value.previous_response_id };
      } else if (typeof value.record_type === "string") {
        types[value.record_type] = (types[value.record_type] ?? 0) + 1;
      } else items.push(value);
    } else if (value.type === "response_item") items.push(value.payload);
    else if (value.type === "state") state = value.payload;
    else types[value.type] = (types[value.type] ?? 0) + 1;
  }
  return { items, state, types };
}

for (
  const [name, lines] of [
    ["journal", JOURNAL_LINES],
    ["Codex envelope", CODEX_ENVELOPE_LINES],
    ["Codex 2025 JSONL", CODEX_2025_LINES],
  ] as const
) {
  test(`loadRollout() returns the complete prefix of a ${name} cut at every byte offset`, () => {
    const data = bytes(jsonl(lines));
    const starts = lines.map((_, k) => offsetOf(lines, k));
    starts.push(data.length);
    assert.throws(() => load(data.subarray(0, 0)), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${FILE}": the file is empty`,
    });
    for (let cut = 1; cut <= data.length; cut++) {
      if (cut < starts[1]!) {
        assert.throws(() => load(data.subarray(0, cut)), {
          code: "invalid_rollout",
          message: CUT_META,
        }, `cut at ${cut}`);
        continue;
      }
      let k = 1;
      while (starts[k + 1] !== undefined && starts[k + 1]! <= cut) k++;
      const loaded = load(data.subarray(0, cut));
      // Cut just before a `\n`: the line is a whole record, kept, with its missing end reported.
      const whole = starts[k + 1] !== undefined && cut === starts[k + 1]! - 1;
      const want = expectedPrefix(lines, whole ? k + 1 : k);
      const torn = cut === starts[k] || whole
        ? null
        : { line: k + 1, offset: starts[k]!, bytes: cut - starts[k]! };
      assert.deepEqual(
        loaded.report.line_end_missing,
        whole ? { line: k + 1, offset: starts[k]! } : undefined,
        `cut at ${cut}`,
      );
      // Every item of the prefix; the effective history (compaction) is tested on its own.
      assert.deepEqual(loaded.allItems, want.items, `cut at ${cut}`);
      assert.deepEqual(loaded.saved.state, want.state, `cut at ${cut}`);
      assert.deepEqual(loaded.report.torn_tail, torn, `cut at ${cut}`);
      assert.deepEqual(loaded.report.skipped_lines, [], `cut at ${cut}`);
      assert.deepEqual(loaded.report.skipped_types, want.types, `cut at ${cut}`);
      assert.equal(loaded.end, whole ? cut : starts[k], `cut at ${cut}`);
    }
  });
}

test("loadRollout() ignores garbage tails and reports them as torn", () => {
  const rand = prng(7);
  const half = new Uint8Array([0xe2, 0x82]);
  const cases: [string, Uint8Array][] = [
    ["zeros", new Uint8Array(4096)],
    ["random bytes", randomBytes(rand, 1000)],
    ["half a UTF-8 sequence", half],
    ["a JSON array without \\n", bytes("[1,2,3]")],
    ["an object cut before its last brace", bytes(JOURNAL_LINES[1].slice(0, -1))],
    ["a lone \\r", bytes("\r")],
  ];
  for (const [what, tail] of cases) {
    const loaded = load(concatBytes(JOURNAL, tail));
    assert.deepEqual(loaded.saved, {
      session: JOURNAL_META,
      items: JOURNAL_ITEMS,
      state: STATE,
    }, what);
    assert.deepEqual(loaded.report.torn_tail, {
      line: 6,
      offset: size(JOURNAL),
      bytes: tail.length,
    }, what);
    assert.deepEqual(loaded.report.skipped_lines, [], what);
    assert.equal(loaded.end, size(JOURNAL), what);
    assert.equal(loaded.nextOrdinal, 4, what);
  }
});

test("loadRollout() keeps a whole last record without its \\n and says where it is", () => {
  // The line an editor leaves when it strips the final newline: a record, not a torn write.
  const last = JOURNAL_LINES[1].replace('"ordinal":1', '"ordinal":4');
  const loaded = load(concatBytes(JOURNAL, last));
  assert.deepEqual(loaded.saved.items, [...JOURNAL_ITEMS, JOURNAL_ITEMS[0]]);
  assert.equal(loaded.report.torn_tail, null);
  assert.deepEqual(loaded.report.line_end_missing, { line: 6, offset: size(JOURNAL) });
  assert.equal(loaded.end, size(JOURNAL) + size(last));
  assert.equal(loaded.nextOrdinal, 5);
  assert.deepEqual(describeDamage(loaded.report), [
    "line 6 (byte " + size(JOURNAL) +
    "): the last record has no line end; it is kept, and the next write adds the line end first",
  ]);
  // With its line end the same record is simply the last line: nothing reported.
  const ended = load(concatBytes(JOURNAL, last, "\n"));
  assert.equal(ended.report.line_end_missing, undefined);
  assert.deepEqual(ended.saved.items, loaded.saved.items);
});

test("loadRollout() skips complete garbage lines before a torn tail, each with line and offset", () => {
  const base = size(JOURNAL);
  const loaded = load(
    concatBytes(JOURNAL, "\0\0\0\n", new Uint8Array([0xff, 0xfe, 10]), '{"partial\n', "abc"),
  );
  assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(loaded.report.skipped_lines, [
    { line: 6, offset: base, message: "not JSON" },
    { line: 7, offset: base + 4, message: "not valid UTF-8" },
    { line: 8, offset: base + 7, message: "not JSON" },
  ]);
  assert.deepEqual(loaded.report.torn_tail, { line: 9, offset: base + 17, bytes: 3 });
  assert.equal(loaded.end, base + 17);
  // Codex continues from the last record it decodes (codex-rs/rollout/src/ordinal.rs:56-97 at
  // 343074d): lines it rejects leave their ordinals to the next write.
  assert.equal(loaded.nextOrdinal, 4);
});

test("loadRollout() never loses the intact prefix under random garbage tails (200 seeds)", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rand = prng(seed);
    const garbage = randomBytes(rand, 1 + Math.floor(rand() * 3000), true);
    const loaded = load(concatBytes(JOURNAL, garbage));
    const lastNewline = garbage.lastIndexOf(10);
    const tailBytes = garbage.length - lastNewline - 1;
    assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS, `seed ${seed}`);
    assert.deepEqual(loaded.saved.state, STATE, `seed ${seed}`);
    assert.equal(loaded.end, size(JOURNAL) + lastNewline + 1, `seed ${seed}`);
    assert.equal(loaded.report.torn_tail?.bytes ?? 0, tailBytes, `seed ${seed}`);
    assert.ok(loaded.report.skipped_lines.every((s) => s.line! > 5), `seed ${seed}`);
  }
});

/** The journal with line `k` (0-based) replaced by `replacement` lines. */
function journalWith(k: number, ...replacement: string[]): string {
  return jsonl([...JOURNAL_LINES.slice(0, k), ...replacement, ...JOURNAL_LINES.slice(k + 1)]);
}

function flipByte(text: string, at: number, mask: number): Uint8Array {
  const data = bytes(text);
  data[at] = data[at]! ^ mask;
  return data;
}

test("loadRollout() skips a bit-flipped line: structural byte and non-UTF-8 byte", () => {
  const line3 = offsetOf(JOURNAL_LINES, 2);
  const structural = load(flipByte(JOURNAL, line3, 0x01));
  assert.deepEqual(structural.saved.items, [I0, I2]);
  assert.deepEqual(structural.saved.state, STATE);
  assert.deepEqual(structural.report.skipped_lines, [
    { line: 3, offset: line3, message: "not JSON" },
  ]);
  const line2 = offsetOf(JOURNAL_LINES, 1);
  const at = line2 + JOURNAL_LINES[1].indexOf("list files");
  const utf8 = load(flipByte(JOURNAL, at, 0x80));
  assert.deepEqual(utf8.saved.items, [I1, I2]);
  assert.deepEqual(utf8.report.skipped_lines, [
    { line: 2, offset: line2, message: "not valid UTF-8" },
  ]);
  assert.equal(utf8.nextOrdinal, 4);
});

test("loadRollout() rejects every kind of invalid UTF-8 inside a line", () => {
  const line2 = offsetOf(JOURNAL_LINES, 1);
  const [before, after] = JOURNAL_LINES[1].split("café") as [string, string];
  const variants: [string, number[]][] = [
    ["lone lead byte", [0xc3]],
    ["overlong slash", [0xc0, 0xaf]],
    ["UTF-16 surrogate", [0xed, 0xa0, 0x80]],
    ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ["stray continuation", [0x80]],
    ["truncated 4-byte", [0xf0, 0x9f, 0x8e]],
  ];
  for (const [what, bad] of variants) {
    const data = concatBytes(
      jsonl(JOURNAL_LINES.slice(0, 1)),
      before,
      new Uint8Array(bad),
      `${after}\n`,
      jsonl(JOURNAL_LINES.slice(2)),
    );
    const loaded = load(data);
    assert.deepEqual(loaded.saved.items, [I1, I2], what);
    assert.deepEqual(loaded.report.skipped_lines, [
      { line: 2, offset: line2, message: "not valid UTF-8" },
    ], what);
  }
});

test("loadRollout() reports a leading byte order mark and skips one in mid-file", () => {
  const leading = load("\uFEFF" + JOURNAL);
  assert.deepEqual(leading.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(leading.report.warnings, ["the file starts with a byte order mark"]);
  assert.deepEqual(leading.report.skipped_lines, []);
  assert.equal(leading.end, size(JOURNAL) + 3);
  const middle = load(journalWith(2, "\uFEFF" + JOURNAL_LINES[2]));
  assert.deepEqual(middle.saved.items, [I0, I2]);
  assert.deepEqual(middle.report.skipped_lines, [
    { line: 3, offset: offsetOf(JOURNAL_LINES, 2), message: "not JSON" },
  ]);
  assert.deepEqual(middle.report.warnings, []);
});

test("loadRollout() tolerates CRLF lines and counts them", () => {
  const all = load(JOURNAL_LINES.map((l) => `${l}\r\n`).join(""));
  assert.deepEqual(all.saved, { session: JOURNAL_META, items: JOURNAL_ITEMS, state: STATE });
  assert.deepEqual(all.report.warnings, ["5 line(s) end in CRLF"]);
  assert.deepEqual(all.report.skipped_lines, []);
  assert.equal(all.end, size(JOURNAL) + 5);
  const some = load(journalWith(1, `${JOURNAL_LINES[1]}\r`));
  assert.deepEqual(some.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(some.report.warnings, ["1 line(s) end in CRLF"]);
});

test("loadRollout() skips NUL bytes: a NUL line and a raw NUL inside a string", () => {
  const nulLine = load(journalWith(2, "\0\0\0\0", JOURNAL_LINES[2]));
  assert.deepEqual(nulLine.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(nulLine.report.skipped_lines, [
    { line: 3, offset: offsetOf(JOURNAL_LINES, 2), message: "not JSON" },
  ]);
  const rawNul = load(journalWith(1, JOURNAL_LINES[1].replace("café", "ca\0fé")));
  assert.deepEqual(rawNul.saved.items, [I1, I2]);
  assert.deepEqual(rawNul.report.skipped_lines, [
    { line: 2, offset: offsetOf(JOURNAL_LINES, 1), message: "not JSON" },
  ]);
  const escaped = load(journalWith(1, JOURNAL_LINES[1].replace("café", "ca\\u0000fé")));
  assert.deepEqual(escaped.saved.items[0], {
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "list files, ca\0fé 🎉" }],
  });
});

// Codex's paginated ordinal rules (codex-rs/thread-store/src/local/
// thread_history_materialization.rs:150-206 at 343074d): a repeat or a gap no rejected line
// covers is refused there; Codex's resume still keeps the record, and so does rollout.
test("loadRollout() keeps a duplicated journal line and reports its ordinal", () => {
  const loaded = load(journalWith(2, JOURNAL_LINES[2], JOURNAL_LINES[2]));
  assert.deepEqual(loaded.saved.items, [I0, I1, I1, I2]);
  assert.deepEqual(loaded.report.skipped_lines, []);
  assert.deepEqual(loaded.report.ordinal_errors, [
    {
      line: 4,
      offset: offsetOf(JOURNAL_LINES, 3),
      message: "ordinal 2 is not above the previous ordinal 2: Codex expects 3 or more",
    },
  ]);
  assert.equal(loaded.nextOrdinal, 4);
});

test("loadRollout() reports a gap and a missing ordinal, and keeps every record", () => {
  const loaded = load(journalWith(2));
  assert.deepEqual(loaded.saved.items, [I0, I2]);
  assert.deepEqual(loaded.report.skipped_lines, []);
  assert.deepEqual(loaded.report.ordinal_errors, [
    {
      line: 3,
      offset: offsetOf(JOURNAL_LINES, 2),
      message: "ordinal jumps from 1 to 3: 1 record(s) missing before this line",
    },
  ]);
  const noOrdinal = load(journalWith(2, JOURNAL_LINES[2].replace('"ordinal":2,', "")));
  assert.deepEqual(noOrdinal.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(noOrdinal.report.ordinal_errors, [
    {
      line: 3,
      offset: offsetOf(JOURNAL_LINES, 2),
      message:
        "the response_item record has no ordinal, which Codex requires in a paginated rollout",
    },
  ]);
});

test("loadRollout() accepts what Codex accepts: a retried write reusing a rejected line's ordinal, and a gap covered by rejected lines", () => {
  const retry = load(journalWith(2, '{"ordinal":2,"type":"response_item"', JOURNAL_LINES[2]));
  assert.deepEqual(retry.saved.items, JOURNAL_ITEMS);
  assert.equal(retry.report.ordinal_errors, undefined);
  assert.deepEqual(retry.report.skipped_lines.map((s) => s.line), [3]);
  // A whole envelope whose item Codex cannot decode (a function call's name must be text) is
  // a rejected line too: the retry after it takes its ordinal and is no damage.
  const badItem = JOURNAL_LINES[2].replace('"name":"shell"', '"name":5');
  assert.notEqual(badItem, JOURNAL_LINES[2]);
  const retried = load(journalWith(2, badItem, JOURNAL_LINES[2]));
  assert.deepEqual(retried.saved.items, JOURNAL_ITEMS);
  assert.equal(retried.report.ordinal_errors, undefined);
  assert.deepEqual(retried.report.skipped_lines.map((s) => s.line), [3]);
  const covered = load(journalWith(2, "garbage"));
  assert.deepEqual(covered.saved.items, [I0, I2]);
  assert.equal(covered.report.ordinal_errors, undefined);
  // A state line is no Codex record: Codex's next record may take the ordinal after the last
  // one Codex decodes, and nothing is wrong.
  const state = '{"timestamp":"2026-11-26T11:15:31.000Z","type":"state","payload":{}}';
  const afterState = load(journalWith(2, state, JOURNAL_LINES[2]));
  assert.deepEqual(afterState.saved.items, JOURNAL_ITEMS);
  assert.equal(afterState.report.ordinal_errors, undefined);
  // Without history_mode (Codex: legacy), ordinals are not Codex's and are not checked.
  const legacy = load(
    jsonl([
      JOURNAL_LINES[0].replace(',"history_mode":"paginated"', ""),
      JOURNAL_LINES[1],
      JOURNAL_LINES[1],
      JOURNAL_LINES[3].replace('"ordinal":3,', ""),
    ]),
  );
  assert.deepEqual(legacy.saved.items, [I0, I0, I2]);
  assert.equal(legacy.report.ordinal_errors, undefined);
  assert.equal(legacy.historyMode, "legacy");
});

test("loadRollout() does not count an empty line as a record (no false repeat or gap)", () => {
  const loaded = load(journalWith(2, "", JOURNAL_LINES[2]));
  assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(loaded.report.skipped_lines, [
    { line: 3, offset: offsetOf(JOURNAL_LINES, 2), message: "empty line" },
  ]);
});

const DEPTH = 100_000;

test("loadRollout() survives 100,000 nested arrays in a line: skipped with a reason or not JSON", () => {
  const deep = "[".repeat(DEPTH) + "]".repeat(DEPTH);
  const asPayload = JOURNAL_LINES[2].replace(/"payload":.*\}$/, `"payload":${deep}}`);
  const skipped = load(journalWith(2, asPayload));
  assert.deepEqual(skipped.saved.items, [I0, I2]);
  assert.deepEqual(skipped.report.skipped_lines, [
    {
      line: 3,
      offset: offsetOf(JOURNAL_LINES, 2),
      message: "payload: nested deeper than 1000 levels",
    },
  ]);
  const asField = JOURNAL_LINES[2].replace(
    '"call_id":"call_1"',
    `"call_id":"call_1","deep":${deep}`,
  );
  const refused = load(journalWith(2, asField));
  assert.deepEqual(refused.saved.items, [I0, I2]);
  assert.deepEqual(refused.report.skipped_lines, [
    {
      line: 3,
      offset: offsetOf(JOURNAL_LINES, 2),
      message: "payload: nested deeper than 1000 levels",
    },
  ]);
  const unbalanced = load(journalWith(2, "[".repeat(DEPTH), JOURNAL_LINES[2]));
  assert.deepEqual(unbalanced.report.skipped_lines, [
    { line: 3, offset: offsetOf(JOURNAL_LINES, 2), message: "not JSON" },
  ]);
  const objects = load(
    journalWith(2, '{"a":'.repeat(DEPTH) + "1" + "}".repeat(DEPTH), JOURNAL_LINES[2]),
  );
  assert.deepEqual(objects.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(objects.report.skipped_lines, [
    { line: 3, offset: offsetOf(JOURNAL_LINES, 2), message: "a: nested deeper than 1000 levels" },
  ]);
  // Not only items: every record must be written again by a copy, and walked by redaction.
  const records = [
    `{"timestamp":"2026-11-26T11:15:33.000Z","type":"state","payload":{"x":${deep}}}`,
    `{"timestamp":"2026-11-26T11:15:33.000Z","ordinal":4,"type":"event_msg","payload":{"type":"x"},"extra":${deep}}`,
  ];
  const others = load(jsonl([...JOURNAL_LINES.slice(0, 4), ...records]));
  assert.deepEqual(others.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(others.report.skipped_lines.map((s) => [s.line, s.message]), [
    [5, "payload: nested deeper than 1000 levels"],
    [6, "extra: nested deeper than 1000 levels"],
  ]);
  // An item nesting exactly 1000 levels (1001 with the line around it) is kept; 1001 is not.
  const nested = (levels: number) =>
    JOURNAL_LINES[2].replace(
      '"call_id":"call_1"',
      `"call_id":"call_1","deep":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}`,
    );
  assert.equal(load(journalWith(2, nested(1000))).saved.items.length, 3);
  assert.deepEqual(load(journalWith(2, nested(1001))).report.skipped_lines.map((s) => s.message), [
    "payload: nested deeper than 1000 levels",
  ]);
  assert.throws(
    () => load(jsonl([JOURNAL_LINES[0].replace('"source":"cli"', `"source":${deep}`)])),
    {
      message: /payload: nested deeper than 1000 levels/,
    },
  );
});

/** A response item line of exactly `length` bytes (text padded with `x`). */
function itemLineOf(length: number, ordinal: number): string {
  const make = (pad: number) =>
    `{"timestamp":"2026-11-26T11:15:33.000Z","ordinal":${ordinal},"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"${
      "x".repeat(pad)
    }"}]}}`;
  const line = make(length - size(make(0)));
  assert.equal(size(line), length);
  return line;
}

test("loadRollout() skips a line of maxLineBytes + 1 and keeps one of exactly maxLineBytes", () => {
  const max = 400;
  const fits = itemLineOf(max, 5);
  const tooLong = itemLineOf(max + 1, 6);
  const after = itemLineOf(200, 7);
  const text = jsonl([...JOURNAL_LINES, fits, tooLong, after]);
  const loaded = load(text, max);
  assert.deepEqual(loaded.saved.items.map((i) => i.content), [
    ...JOURNAL_ITEMS.map((i) => i.content),
    JSON.parse(fits).payload.content,
    JSON.parse(after).payload.content,
  ]);
  assert.deepEqual(loaded.report.skipped_lines, [
    { line: 7, offset: size(jsonl([...JOURNAL_LINES, fits])), message: "line is too long" },
  ]);
  const tornLong = load(JOURNAL + tooLong, max);
  assert.deepEqual(tornLong.report.torn_tail, { line: 6, offset: size(JOURNAL), bytes: max + 1 });
  assert.deepEqual(tornLong.report.skipped_lines, []);
});

test("loadRollout() skips lines that are not objects or fail their schema, with exact reasons", () => {
  const lines = [
    ...JOURNAL_LINES,
    "[1,2,3]",
    '"text"',
    '{"ordinal":7,"payload":{}}',
    '{"ordinal":8,"type":"response_item"}',
    '{"ordinal":-1,"type":"response_item","payload":{}}',
    '{"ordinal":9,"type":"response_item","payload":{"type":"function_call","name":"x","arguments":"{}","call_id":5}}',
    '{"ordinal":10,"type":"state","payload":{"previous_response_id":5}}',
    '{"ordinal":11,"type":"session_meta","payload":{"id":"other","timestamp":"t"}}',
    '{"ordinal":12,"type":"turn_context","payload":{}}',
    '{"ordinal":13,"type":"response_item","payload":{"type":"reasoning","summary":[]}}',
  ];
  const loaded = load(jsonl(lines));
  const at = (k: number) => offsetOf(lines, k);
  assert.deepEqual(loaded.saved.items, [...JOURNAL_ITEMS, { type: "reasoning", summary: [] }]);
  assert.deepEqual(loaded.saved.state, STATE);
  assert.deepEqual(loaded.report.skipped_lines, [
    { line: 6, offset: at(5), message: "not a JSON object" },
    { line: 7, offset: at(6), message: "not a JSON object" },
    { line: 8, offset: at(7), message: "type: required string is missing" },
    { line: 9, offset: at(8), message: "payload: required field is missing" },
    { line: 10, offset: at(9), message: "ordinal: expected a number >= 0, got -1" },
    { line: 11, offset: at(10), message: "payload.call_id: expected string, got number" },
    {
      line: 12,
      offset: at(11),
      message: "payload.previous_response_id: expected string, got number",
    },
  ]);
  // A repeated session_meta is what a Codex fork copies from its parent: read, not damage.
  assert.equal(loaded.report.ordinal_errors, undefined);
  assert.deepEqual(loaded.report.skipped_types, { turn_context: 1 });
  assert.equal(loaded.nextOrdinal, 14);
});

test("loadRollout() reports a paginated file whose ordinals do not start at 0", () => {
  const loaded = load(journalWith(0, JOURNAL_LINES[0].replace('"ordinal":0', '"ordinal":3')));
  assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(loaded.report.ordinal_errors, [
    { line: 1, offset: 0, message: "the first ordinal is 3, where Codex expects 0" },
    ...[1, 2, 3].map((k) => ({
      line: k + 1,
      offset: offsetOf(JOURNAL_LINES, k),
      message: `ordinal ${k} is not above the previous ordinal 3: Codex expects 4 or more`,
    })),
  ]);
});

test("loadRollout() refuses files without a usable meta, naming the file and the reason", () => {
  const meta = JOURNAL_LINES[0];
  const cases: [string | Uint8Array, string, number?][] = [
    ["hello\n", "not a rollout (line 1 is not a JSON object)"],
    ["\n\n", "not a rollout (line 1 is not a JSON object)"],
    [
      new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 0, 10]),
      "not a rollout (line 1 is not a JSON object)",
    ],
    ["[1,2]\n", "not a rollout (line 1 is not a JSON object)"],
    ['{"foo":1}\n', "not a rollout (line 1 is not a session meta)"],
    [jsonl(JOURNAL_LINES.slice(1)), "not a rollout (line 1 is not a session meta)"],
    [
      jsonl([meta.replace(`"id":"${JOURNAL_META.id}",`, ""), ...JOURNAL_LINES.slice(1)]),
      "line 1 is not a usable session meta: payload.id: required string is missing",
    ],
    [
      jsonl([meta.replace(`"id":"${JOURNAL_META.id}"`, '"id":""')]),
      "line 1 is not a usable session meta: payload.id: must not be empty",
    ],
    [
      jsonl(['{"ordinal":0,"type":"session_meta","payload":"x"}']),
      "not a rollout (line 1 is not a session meta)",
    ],
    [
      jsonl(['{"id":"a","timestamp":5}']),
      "not a rollout (line 1 is not a session meta)",
    ],
    [
      jsonl(['{"id":"a","timestamp":"t","instructions":7}']),
      "line 1 is not a usable session meta: instructions: expected string, got number",
    ],
    // The envelope around a meta: each of its own fields checked before the payload.
    [
      jsonl(['{"timestamp":7,"type":"session_meta","payload":{"id":"a","timestamp":"t"}}']),
      "line 1 is not a usable session meta: timestamp: expected string, got number",
    ],
    [
      jsonl(['{"ordinal":-1,"type":"session_meta","payload":{"id":"a","timestamp":"t"}}']),
      "line 1 is not a usable session meta: ordinal: expected a number >= 0, got -1",
    ],
    [
      jsonl([meta.replace("Be terse.", "Be t\\u00ersé."), ...JOURNAL_LINES.slice(1)]),
      "not a rollout (neither JSON lines nor a complete JSON document)",
    ],
    [
      flipByte(JOURNAL, meta.indexOf("Be terse"), 0x80),
      "line 1 is not a usable session meta: not valid UTF-8",
    ],
    [JOURNAL, "line 1 is longer than the limit of 100 bytes", 100],
  ];
  for (const [content, reason, max] of cases) {
    assert.throws(() => load(content, max), {
      name: "RolloutError",
      code: "invalid_rollout",
      message: `Cannot load rollout "${FILE}": ${reason}`,
    }, reason);
  }
});

test("loadRollout() on real files: not_found for a missing file, and the file is never changed", () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = path.join(dir, "none.jsonl");
    assert.throws(() => loadRollout(missing), {
      code: "not_found",
      message: `Cannot load rollout "${missing}": no such file or directory`,
    });
    const file = writeFixture(dir, "torn.jsonl", JOURNAL + '{"timestamp":"2026');
    const before = fs.statSync(file);
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.report.torn_tail, { line: 6, offset: size(JOURNAL), bytes: 18 });
    assert.equal(fs.readFileSync(file, "utf8"), JOURNAL + '{"timestamp":"2026');
    assert.equal(fs.statSync(file).mtimeMs, before.mtimeMs);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["torn.jsonl"]);
  } finally {
    cleanup();
  }
});

test("describeDamage() gives one line per piece of damage; other record types are none", () => {
  // Ordinal 9 after 3: the state line and "oops" may have held two, three are missing.
  const lines = [...JOURNAL_LINES, "oops", '{"ordinal":9,"type":"event_msg","payload":{}}'];
  const loaded = load(jsonl(lines).replace(/\n/g, "\r\n") + "{");
  assert.deepEqual(describeDamage(loaded.report), [
    `line 8 (byte ${size(jsonl(lines)) + 7}): torn tail of 1 byte(s) ignored`,
    `line 6 (byte ${size(JOURNAL) + 5}): not JSON`,
    `line 7 (byte ${
      size(JOURNAL) + 11
    }): ordinal jumps from 3 to 9: 3 record(s) missing before this line (the record is kept)`,
    "7 line(s) end in CRLF",
  ]);
  assert.deepEqual(
    describeDamage({
      format: "document",
      torn_tail: null,
      skipped_lines: [{
        line: null,
        offset: null,
        message: "items[0].type: required string is missing",
      }],
      skipped_types: {},
      warnings: [],
    }),
    ["items[0].type: required string is missing: skipped"],
  );
});

test("loadRollout() keeps a whole last record followed by NUL bytes (a crash before its line end was synced)", () => {
  // The writer appended the `\n` and power was lost before its sync: the file kept its new
  // size, not its data. The NULs are no part of the record: they are its torn tail.
  const last = JOURNAL_LINES[1].replace('"ordinal":1', '"ordinal":4');
  const loaded = load(concatBytes(JOURNAL, last, new Uint8Array(2)));
  assert.deepEqual(loaded.saved.items, [...JOURNAL_ITEMS, JOURNAL_ITEMS[0]]);
  assert.deepEqual(loaded.report.line_end_missing, { line: 6, offset: size(JOURNAL) });
  const end = size(JOURNAL) + size(last);
  assert.deepEqual(loaded.report.torn_tail, { line: 6, offset: end, bytes: 2 });
  assert.deepEqual(loaded.report.skipped_lines, []);
  assert.deepEqual(loaded.report.warnings, []);
  assert.equal(loaded.end, end, "end excludes the NULs");
  assert.equal(loaded.nextOrdinal, 5);
  assert.deepEqual(describeDamage(loaded.report), [
    `line 6 (byte ${end}): torn tail of 2 byte(s) ignored`,
    `line 6 (byte ${
      size(JOURNAL)
    }): the last record has no line end; it is kept, and the next write adds the line end first`,
  ]);
  // NULs alone, or after a part of a record, are still a torn tail of their own.
  const part = JOURNAL_LINES[1].slice(0, -1);
  for (const tail of [new Uint8Array(3), concatBytes(part, new Uint8Array(3))]) {
    const torn = load(concatBytes(JOURNAL, tail));
    assert.equal(torn.report.line_end_missing, undefined);
    assert.deepEqual(torn.report.torn_tail, { line: 6, offset: size(JOURNAL), bytes: tail.length });
    assert.equal(torn.end, size(JOURNAL));
  }
});

function isWholeObject(line: Uint8Array): boolean {
  try {
    const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(line));
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

test("loadRollout() survives random byte mutations: a result with consistent offsets, or invalid_rollout", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    const original = bytes(jsonl([...JOURNAL_LINES, ...JOURNAL_LINES.slice(1)]));
    for (let round = 0; round < 500; round++) {
      const data = [...original];
      for (let edits = 1 + Math.floor(rand() * 4); edits > 0; edits--) {
        const at = Math.floor(rand() * data.length);
        const byte = Math.floor(rand() * 256);
        const kind = rand();
        if (kind < 0.5) data[at] = data[at]! ^ (1 << Math.floor(rand() * 8));
        else if (kind < 0.75) data.splice(at, 0, byte);
        else data.splice(at, 1 + Math.floor(rand() * 20));
      }
      const mutated = new Uint8Array(data);
      let loaded: LoadedRollout;
      try {
        loaded = load(mutated);
      } catch (error) {
        assert.equal((error as { code?: string }).code, "invalid_rollout", `round ${round}`);
        continue;
      }
      let end = mutated.lastIndexOf(10) + 1;
      // A last line that is a whole JSON object lacks only its line end: it is kept.
      if (end < mutated.length && isWholeObject(mutated.subarray(end))) {
        assert.deepEqual(loaded.report.line_end_missing?.offset, end, `round ${round}`);
        end = mutated.length;
      } else assert.equal(loaded.report.line_end_missing, undefined, `round ${round}`);
      assert.equal(loaded.end, end, `round ${round}`);
      assert.equal(loaded.report.torn_tail?.offset ?? end, end, `round ${round}`);
      assert.equal(loaded.report.torn_tail?.bytes ?? 0, mutated.length - end, `round ${round}`);
      for (const skipped of loaded.report.skipped_lines) {
        const offset = skipped.offset!;
        assert.ok(offset > 0 && mutated[offset - 1] === 10, `round ${round}: ${skipped.message}`);
        const lineNo = mutated.subarray(0, offset).filter((b) => b === 10).length + 1;
        assert.equal(skipped.line, lineNo, `round ${round}`);
      }
    }
  });
});

test("loadRollout() reads lines longer than its 1 MiB reads, multi-byte characters across the seams", () => {
  const big = "é🎉x".repeat(200_000);
  const meta = JOURNAL_LINES[0].replace("Be terse.", big);
  const item = (n: number) => ({
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: `${n}${big.slice(n)}` }],
  });
  const line = (n: number) =>
    `{"timestamp":"2026-11-26T11:15:29.001Z","ordinal":${n},"type":"response_item","payload":${
      JSON.stringify(item(n))
    }}`;
  const lines = [meta, line(1), line(2), line(3)];
  const torn = line(4).slice(0, 700_000);
  const loaded = load(jsonl(lines) + torn);
  assert.equal(loaded.saved.session.instructions, big);
  assert.deepEqual(loaded.saved.items, [item(1), item(2), item(3)]);
  assert.deepEqual(loaded.report.torn_tail, {
    line: 5,
    offset: size(jsonl(lines)),
    bytes: size(torn),
  });
  assert.deepEqual(loaded.report.skipped_lines, []);
  const data = bytes(jsonl(lines));
  const at = size(jsonl(lines.slice(0, 2))) + 1_000_000;
  data[at] = 0xff;
  const damaged = load(data);
  assert.deepEqual(damaged.saved.items, [item(1), item(3)]);
  assert.deepEqual(damaged.report.skipped_lines, [
    { line: 3, offset: size(jsonl(lines.slice(0, 2))), message: "not valid UTF-8" },
  ]);
});

test("loadRollout({ records }) keeps each line as stored: type, time, payload, ordinal, other fields", () => {
  // Codex's newer lines carry fields beside the envelope's (its `metadata`).
  const envelope: string[] = [...CODEX_ENVELOPE_LINES];
  for (const i of [0, 3]) {
    envelope[i] = JSON.stringify({ ...JSON.parse(envelope[i]!), metadata: { turn_id: `t${i}` } });
  }
  for (const lines of [envelope, [...JOURNAL_LINES]]) {
    const loaded = loadRollout(FILE, { fs: memoryFs(bytes(jsonl(lines))), records: true });
    const expected = lines.map((text, i) => {
      const parsed = JSON.parse(text);
      const { timestamp, ordinal, type, payload, ...rest } = parsed;
      const extra = Object.keys(rest).length === 0 ? null : rest;
      // After the meta, whether the line has an ordinal field at all.
      const field = i === 0 ? {} : { ordinalField: Object.hasOwn(parsed, "ordinal") };
      return { line: i + 1, type, timestamp, payload, ordinal, ...field, extra, bare: false };
    });
    assert.deepEqual(loaded.records, expected);
  }
  // Codex's 2025 lines have no envelope: the meta line is the session_meta (with its own
  // time), a record_type line is of that type, any other line a response_item.
  const bare = loadRollout(FILE, { fs: memoryFs(bytes(jsonl(CODEX_2025_LINES))), records: true });
  assert.deepEqual(
    bare.records,
    CODEX_2025_LINES.map((text, i) => {
      const value = JSON.parse(text);
      const type = i === 0
        ? "session_meta"
        : typeof value.record_type === "string"
        ? value.record_type
        : "response_item";
      const timestamp = i === 0 ? value.timestamp : undefined;
      return {
        line: i + 1,
        type,
        timestamp,
        payload: value,
        ordinal: undefined,
        extra: null,
        bare: true,
      };
    }),
  );
});

test("loadRollout() counts record types named like Object's own properties as any other", () => {
  const odd = ["constructor", "toString", "__proto__", "hasOwnProperty"].map((type) =>
    `{"timestamp":"2026-11-26T11:15:33.000Z","type":"${type}","payload":{}}`
  );
  const loaded = load(jsonl([...JOURNAL_LINES, ...odd]));
  assert.deepEqual(Object.entries(loaded.recordTypes), [
    ["session_meta", 1],
    ["response_item", 3],
    ["state", 1],
    ["constructor", 1],
    ["toString", 1],
    ["__proto__", 1],
    ["hasOwnProperty", 1],
  ]);
  assert.deepEqual(Object.entries(loaded.report.skipped_types), [
    ["constructor", 1],
    ["toString", 1],
    ["__proto__", 1],
    ["hasOwnProperty", 1],
  ]);
});

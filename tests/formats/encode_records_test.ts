/**
 * Stored records written back as lines (SPEC §6): the meta replaced, each record's type,
 * timestamp, payload and other fields kept, ordinals renumbered or kept, Codex's 2025 lines
 * enveloped, message mirrors added when asked; and a fork's prefix cut at an item count.
 * Every expected line is written out by hand.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  encodeRecordLines,
  HistoryPrefix,
  isMessageEvent,
  RecordLineEncoder,
} from "../../lib/formats/encode_records.ts";
import type { SourceRecord } from "../../lib/formats/line_loader.ts";

const T0 = "2026-11-20T09:00:00.000Z";
const T1 = "2026-11-20T09:00:01.000Z";
const FALLBACK = "2026-01-01T00:00:00.000Z";
const META = { id: "019abc00-0000-7000-8000-0000000000e1", timestamp: T0 };
const user = (text: string) => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});
const assistant = (text: string) => ({
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text }],
});

let lineNo = 0;
function rec(
  type: string,
  payload: unknown,
  more: Partial<Omit<SourceRecord, "type" | "payload">> = {},
): SourceRecord {
  return {
    line: ++lineNo,
    type,
    payload,
    timestamp: T1,
    ordinal: undefined,
    extra: null,
    bare: false,
    ...more,
  };
}

const lines = (text: string) => text.trimEnd().split("\n").map((l) => JSON.parse(l));

test("encodeRecordLines() renumbers Codex's records from the start, other types without one", () => {
  const records = [
    rec("session_meta", { id: "old" }, { timestamp: T0, ordinal: 7 }),
    rec("response_item", user("hi"), { ordinal: 8 }),
    rec("state", { previous_response_id: "r", note: 1 }),
    rec("event_msg", { type: "token_count", record_type: "x" }, { timestamp: undefined }),
  ];
  const out = encodeRecordLines(records, {
    meta: META,
    fallbackTimestamp: FALLBACK,
    ordinals: { renumber: true, start: 3 },
    mirrors: false,
  });
  assert.deepEqual(lines(out.text), [
    { timestamp: T0, ordinal: 3, type: "session_meta", payload: META },
    { timestamp: T1, ordinal: 4, type: "response_item", payload: user("hi") },
    // Payloads as stored, odd fields included (only Codex's 2025 lines are rewritten).
    { timestamp: T1, type: "state", payload: { previous_response_id: "r", note: 1 } },
    {
      timestamp: FALLBACK,
      ordinal: 5,
      type: "event_msg",
      payload: { type: "token_count", record_type: "x" },
    },
  ]);
  assert.equal(out.nextOrdinal, 6);
  // Keys in Codex's order: timestamp, ordinal, type, payload.
  assert.ok(out.text.startsWith(`{"timestamp":"${T0}","ordinal":3,"type":"session_meta",`));
});

test("encodeRecordLines() keeps stored ordinals and other fields when not renumbering", () => {
  const records = [
    rec("session_meta", { id: "old" }, { timestamp: T0 }),
    rec("response_item", user("a"), { ordinal: 12, extra: { metadata: { turn: 1 } } }),
    rec("compacted", { message: "m" }),
  ];
  const out = encodeRecordLines(records, {
    meta: META,
    fallbackTimestamp: FALLBACK,
    ordinals: { renumber: false },
    mirrors: false,
  });
  assert.deepEqual(lines(out.text), [
    { timestamp: T0, type: "session_meta", payload: META },
    {
      timestamp: T1,
      ordinal: 12,
      type: "response_item",
      payload: user("a"),
      metadata: { turn: 1 },
    },
    { timestamp: T1, type: "compacted", payload: { message: "m" } },
  ]);
  assert.equal(out.nextOrdinal, 0);
});

test("encodeRecordLines() writes a meta first when the source has none of its own", () => {
  const out = encodeRecordLines([rec("response_item", user("a"), { timestamp: undefined })], {
    meta: META,
    fallbackTimestamp: FALLBACK,
    ordinals: { renumber: false },
    mirrors: false,
  });
  assert.deepEqual(lines(out.text), [
    { timestamp: FALLBACK, type: "session_meta", payload: META },
    { timestamp: FALLBACK, type: "response_item", payload: user("a") },
  ]);
  assert.deepEqual(
    lines(
      encodeRecordLines([], {
        meta: META,
        fallbackTimestamp: FALLBACK,
        ordinals: { renumber: false },
        mirrors: false,
      }).text,
    ),
    [{ timestamp: FALLBACK, type: "session_meta", payload: META }],
  );
});

test("encodeRecordLines() envelopes Codex's 2025 lines: state by its response id, others bare", () => {
  const bare = { timestamp: undefined, bare: true };
  const records = [
    rec("response_item", user("a"), bare),
    rec("state", { record_type: "state", previous_response_id: "resp_1", junk: 1 }, bare),
    rec("state", { record_type: "state" }, bare),
    rec("turn_marker", { record_type: "turn_marker", n: 1 }, bare),
  ];
  const out = encodeRecordLines(records, {
    meta: META,
    fallbackTimestamp: FALLBACK,
    ordinals: { renumber: false },
    mirrors: false,
  });
  assert.deepEqual(lines(out.text).slice(1), [
    { timestamp: FALLBACK, type: "response_item", payload: user("a") },
    { timestamp: FALLBACK, type: "state", payload: { previous_response_id: "resp_1" } },
    { timestamp: FALLBACK, type: "state", payload: {} },
    { timestamp: FALLBACK, type: "turn_marker", payload: { n: 1 } },
  ]);
});

test("encodeRecordLines() adds Codex's message events after messages when asked", () => {
  const records = [
    rec("response_item", user("hello")),
    rec("response_item", assistant("hi there")),
    rec("response_item", user("<environment_context>x</environment_context>")),
    rec("response_item", { type: "function_call", name: "shell", arguments: "{}", call_id: "c" }),
    // A message carried by another kind of record is no response item: no mirror.
    rec("inter_agent_communication", user("from an agent")),
  ];
  const options = {
    meta: META,
    fallbackTimestamp: FALLBACK,
    ordinals: { renumber: true, start: 0 } as const,
    mirrors: true,
  };
  const out = lines(encodeRecordLines(records, options).text);
  assert.deepEqual(out.map((l) => [l.ordinal, l.type, l.payload.type]), [
    [0, "session_meta", undefined],
    [1, "response_item", "message"],
    [2, "event_msg", "user_message"],
    [3, "response_item", "message"],
    [4, "event_msg", "agent_message"],
    [5, "response_item", "message"],
    [6, "response_item", "function_call"],
    [7, "inter_agent_communication", "message"],
  ]);
  assert.deepEqual(out[2].payload, {
    type: "user_message",
    message: "hello",
    images: [],
    local_images: [],
    text_elements: [],
  });
  assert.deepEqual(out[4].payload, {
    type: "agent_message",
    message: "hi there",
    phase: null,
    memory_citation: null,
  });
  assert.equal(out[2].timestamp, T1);
  const none = lines(encodeRecordLines(records, { ...options, mirrors: false }).text);
  assert.equal(none.length, 6);
});

test("RecordLineEncoder.put() reads and writes ordinals of every length digit by digit", () => {
  // Stored with an escape that JSON.stringify would not write: a line kept as stored and one
  // written anew differ.
  const stored = '"type":"response_item","payload":{"type":"message","role":"user",' +
    '"content":[],"note":"\\u0041"}';
  const head = `{"timestamp":"${T1}",`;
  const encoded = (start: number, record: SourceRecord, text: string) => {
    const encoder = new RecordLineEncoder({
      meta: META,
      fallbackTimestamp: FALLBACK,
      ordinals: { renumber: true, start },
      mirrors: false,
    });
    let out = "";
    encoder.put(record, text, (piece) => out += piece);
    return { out, next: encoder.nextOrdinal };
  };
  const anew = (n: number) =>
    `{"timestamp":"${T1}","ordinal":${n},"type":"response_item","payload":{"type":"message",` +
    `"role":"user","content":[],"note":"A"}}\n`;
  const item = { type: "message", role: "user", content: [], note: "A" };
  const counts = [0, 1, 7, 9, 10, 11, 42, 99, 100, 101, 109, 990, 999, 1000, 1001, 10_000];
  for (const n of [...counts, 65_536, 99_999, 100_000, 123_456_789, 2 ** 53 - 1]) {
    const record = rec("response_item", item, { ordinal: n, ordinalField: true });
    // Spelled right: kept as stored (its spaces too, also last before the closing brace), the
    // next ordinal after it.
    const right = [
      `${head}"ordinal":${n},${stored}}`,
      `${head}"ordinal":  ${n} ,${stored}}`,
      `${head}${stored},"ordinal":${n}}`,
    ];
    for (const text of right) {
      assert.deepEqual(encoded(n, record, text), { out: `${text}\n`, next: n + 1 }, text);
    }
    // Spelled otherwise (a digit more or less, a leading zero, a fraction): written anew.
    const digits = String(n);
    const other = (d: string) => String((Number(d) + 1) % 10);
    const wrong = [
      `0${n}`,
      `${n}0`,
      `${n}.0`,
      `${n}1`,
      digits.slice(0, -1) || "-0",
      other(digits[0]!) + digits.slice(1),
      digits.slice(0, -1) + other(digits.at(-1)!),
    ];
    for (const spelled of wrong) {
      const text = `${head}"ordinal":${spelled},${stored}}`;
      assert.deepEqual(encoded(n, record, text), { out: anew(n), next: n + 1 }, text);
    }
    // A line without one: given its ordinal after the timestamp, the rest as stored.
    const bare = rec("response_item", item, { ordinal: undefined, ordinalField: false });
    assert.deepEqual(encoded(n, bare, `${head}${stored}}`), {
      out: `${head}"ordinal":${n},${stored}}\n`,
      next: n + 1,
    });
  }
});

test("RecordLineEncoder.put() keeps an ordinal that is no whole number as JSON spells it", () => {
  const encoder = new RecordLineEncoder({
    meta: META,
    fallbackTimestamp: FALLBACK,
    ordinals: { renumber: false },
    mirrors: false,
  });
  // Stored with an escape that JSON.stringify would not write: what was kept shows.
  const item = { type: "message", role: "user", content: [], note: "A" };
  const start = '"type":"response_item","payload":{"type":"message","role":"user","content":[],';
  const stored = `${start}"note":"\\u0041"}`;
  const body = `${start}"note":"A"}`;
  for (
    const [ordinal, right, wrongly] of [[-3, "-3", "-03"], [6.5, "6.5", "6.50"], [
      1e21,
      "1e+21",
      "1e21",
    ]] as const
  ) {
    const record = rec("response_item", item, { ordinal, ordinalField: true });
    for (const [spelled, kept] of [[right, true], [wrongly, false]] as const) {
      const text = `{"timestamp":"${T1}","ordinal":${spelled},${stored}}`;
      let out = "";
      encoder.put(record, text, (piece) => out += piece);
      const expected = kept ? `${text}\n` : `{"timestamp":"${T1}","ordinal":${right},${body}}\n`;
      assert.equal(out, expected, text);
    }
  }
});

test("isMessageEvent() tells Codex's message mirrors from other events", () => {
  assert.equal(isMessageEvent({ type: "event_msg", payload: { type: "user_message" } }), true);
  assert.equal(isMessageEvent({ type: "event_msg", payload: { type: "agent_message" } }), true);
  assert.equal(isMessageEvent({ type: "event_msg", payload: { type: "token_count" } }), false);
  assert.equal(isMessageEvent({ type: "response_item", payload: { type: "user_message" } }), false);
  assert.equal(isMessageEvent({ type: "event_msg", payload: "user_message" }), false);
});

test("HistoryPrefix takes the records up to item n of the effective history", () => {
  const records = [
    rec("session_meta", META),
    rec("response_item", user("1")),
    rec("response_item", { type: "ghost_snapshot", ghost_commit: {} }),
    rec("response_item", assistant("2")),
    rec("state", { previous_response_id: "r" }),
    rec("response_item", user("3")),
    rec("response_item", assistant("4")),
  ];
  const taken = (n: number) => {
    const prefix = new HistoryPrefix(n);
    const kept = records.filter((r) => prefix.take(r)).map((r) => r.line);
    return { kept, stopped: prefix.stopped };
  };
  const [meta, one, ghost, two, state, three, four] = records.map((r) => r.line);
  assert.deepEqual(taken(0), { kept: [meta], stopped: true });
  // The ghost snapshot is no item: it goes with the items around it.
  assert.deepEqual(taken(2), { kept: [meta, one, ghost, two, state], stopped: true });
  assert.deepEqual(taken(4), {
    kept: [meta, one, ghost, two, state, three, four],
    stopped: false,
  });
  // Once stopped, nothing more is taken.
  const prefix = new HistoryPrefix(1);
  assert.deepEqual(records.map((r) => prefix.take(r)), [
    true,
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
});

test("HistoryPrefix counts items as the effective history does: compactions and rollbacks", () => {
  const records = [
    rec("response_item", user("a")),
    rec("response_item", assistant("b")),
    rec("compacted", { message: "s", replacement_history: [user("kept")] }),
    rec("response_item", user("c")),
    rec("response_item", assistant("d")),
    rec("event_msg", { type: "thread_rolled_back", num_turns: 1 }),
    rec("response_item", user("e")),
  ];
  const prefix = new HistoryPrefix(2);
  // After the compaction 1 item, "c" makes 2, "d" would be the 3rd: stop there.
  assert.deepEqual(records.map((r) => prefix.take(r)), [
    true,
    true,
    true,
    true,
    false,
    false,
    false,
  ]);
  // With 3 allowed: "d" is the 3rd; the rollback removes "c" and "d", so "e" is the 2nd.
  const three = new HistoryPrefix(3);
  assert.deepEqual(records.map((r) => three.take(r)), [true, true, true, true, true, true, true]);
  assert.equal(three.stopped, false);
});

test("HistoryPrefix rolls back only on a thread_rolled_back event with a number of turns", () => {
  const counted = (middle: SourceRecord) => {
    const prefix = new HistoryPrefix(2);
    const records = [
      rec("response_item", user("a")),
      rec("response_item", user("b")),
      middle,
      rec("response_item", user("c")),
    ];
    return records.map((r) => prefix.take(r));
  };
  // A real rollback of one turn: "c" is the 2nd item again.
  assert.deepEqual(
    counted(rec("event_msg", { type: "thread_rolled_back", num_turns: 1 })),
    [true, true, true, true],
  );
  for (
    const middle of [
      rec("event_msg", { type: "token_count", num_turns: 1 }),
      rec("event_msg", { type: "thread_rolled_back", num_turns: "1" }),
      rec("event_msg", null),
      rec("turn_context", { type: "thread_rolled_back", num_turns: 1 }),
    ]
  ) {
    assert.deepEqual(counted(middle), [true, true, true, false], JSON.stringify(middle.payload));
  }
});

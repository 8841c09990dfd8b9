import assert from "node:assert/strict";
import { test } from "node:test";
import { type UsageCounts, UsageTracker, type UsageTurn } from "../../lib/index/usage_tracker.ts";

// Hand-written record sequences in the shapes Codex writes (codex-rs/protocol/src/protocol.rs
// at 343074d: TokenCountEvent, TokenUsageInfo, TokenUsage; SessionMeta; TurnContextItem).
// Every expected number below is worked out by hand in the comments beside it.

interface Rec {
  type: string;
  payload: unknown;
  timestamp?: string;
}

/** A UUIDv7 dated `iso`, as Codex makes thread and turn ids. */
function v7(iso: string, n = 1): string {
  const hex = Date.parse(iso).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8)}-7000-8000-${String(n).padStart(12, "0")}`;
}

const PARENT = v7("2026-11-26T09:00:00.000Z");
const CHILD = v7("2026-11-26T12:00:00.000Z");

const meta = (id: string, timestamp: string, extra: Record<string, unknown> = {}): Rec => ({
  type: "session_meta",
  payload: { id, timestamp, cwd: "/repo", originator: "codex_cli_rs", ...extra },
});
const context = (model: string | undefined, turnId?: string): Rec => ({
  type: "turn_context",
  payload: { cwd: "/repo", ...(turnId === undefined ? {} : { turn_id: turnId }), model },
});
const started = (turnId: string): Rec => ({
  type: "event_msg",
  payload: { type: "task_started", turn_id: turnId, model_context_window: 258400 },
});
/** Codex's TokenUsage; its total_tokens is input + output. */
const tokens = (input: number, cached: number, output: number, reasoning: number) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  cache_write_input_tokens: 0,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output,
});
type Tokens = ReturnType<typeof tokens>;
const RATE_LIMITS = { primary: { used_percent: 4, window_minutes: 300, resets_at: 1771890497 } };
const count = (total: Tokens, last: Tokens, timestamp?: string): Rec => ({
  type: "event_msg",
  payload: {
    type: "token_count",
    info: { total_token_usage: total, last_token_usage: last, model_context_window: 258400 },
    rate_limits: RATE_LIMITS,
  },
  ...(timestamp === undefined ? {} : { timestamp }),
});
const rateLimitsOnly: Rec = {
  type: "event_msg",
  payload: { type: "token_count", info: null, rate_limits: RATE_LIMITS },
};

/** Records `records` as lines `first`, `first + 1`, ... without taking the rows. */
function recordAll(tracker: UsageTracker, records: readonly Rec[], first = 1): void {
  records.forEach((rec, i) => {
    tracker.record({
      type: rec.type,
      timestamp: rec.timestamp,
      payload: rec.payload,
      line: first + i,
    });
  });
}

/** Records `records` as lines `first`, ... taking the rows after each, as the indexer does. */
function feed(tracker: UsageTracker, records: readonly Rec[], first = 1): UsageTurn[] {
  return records.flatMap((rec, i) => {
    recordAll(tracker, [rec], first + i);
    return tracker.turns();
  });
}

function run(records: readonly Rec[]): { rows: UsageTurn[]; counts: UsageCounts } {
  const tracker = new UsageTracker();
  const rows = feed(tracker, records);
  return { rows, counts: tracker.counts() };
}

const counts = (c: Partial<UsageCounts>): UsageCounts => ({
  counted: 0,
  repeated: 0,
  inherited: 0,
  empty: 0,
  unreadable: 0,
  ...c,
});

const row = (
  turn: number,
  model: string | null,
  [input, cached_input, output, reasoning_output, total]: number[],
  time: string | null = null,
): UsageTurn => ({
  turn,
  time,
  model,
  input: input!,
  cached_input: cached_input!,
  output: output!,
  reasoning_output: reasoning_output!,
  total: total!,
});

test("UsageTracker counts cached input within input and reasoning within output", () => {
  // A real record (Codex 0.53): 12,091 input of which 10,880 cached, 182 output of which 128
  // reasoning; total_tokens 12,273 = 12,091 + 182.
  const first = tokens(12091, 10880, 182, 128);
  const { rows, counts: c } = run([
    meta(CHILD, "2026-11-26T12:00:00.000Z"),
    context("gpt-5.3-codex", v7("2026-11-26T12:00:01.000Z")),
    count(first, first, "2026-11-26T12:00:05.000Z"),
  ]);
  assert.deepEqual(rows, [
    row(1, "gpt-5.3-codex", [12091, 10880, 182, 128, 12273], "2026-11-26T12:00:05.000Z"),
  ]);
  assert.deepEqual(c, counts({ counted: 1 }));
});

test("UsageTracker caps cached input at input and reasoning at output", () => {
  const odd = tokens(400, 500, 10, 20);
  const { rows } = run([meta(CHILD, "2026-11-26T12:00:00.000Z"), count(odd, odd)]);
  // 500 cached of 400 input -> 400; 20 reasoning of 10 output -> 10; total 400 + 10.
  assert.deepEqual(rows, [row(1, null, [400, 400, 10, 10, 410])]);
});

test("UsageTracker counts a total Codex repeats once (rate limits, resume, compaction estimate)", () => {
  const l1 = tokens(1000, 200, 50, 10);
  const l2 = tokens(1500, 1000, 80, 30);
  const t2 = tokens(2500, 1200, 130, 40); // l1 + l2
  // Codex's recompute_token_usage after a compaction: the same totals, an estimate as last.
  const estimate = { ...tokens(0, 0, 0, 0), total_tokens: 40000 };
  const { rows, counts: c } = run([
    meta(CHILD, "2026-11-26T12:00:00.000Z"),
    count(l1, l1),
    rateLimitsOnly,
    count(l1, l1), // update_rate_limits re-sends the same info
    count(l1, estimate),
    count(t2, l2),
    count(t2, l2), // again, after resume
  ]);
  assert.deepEqual(rows, [
    row(1, null, [1000, 200, 50, 10, 1050]),
    row(2, null, [1500, 1000, 80, 30, 1580]),
  ]);
  assert.deepEqual(c, counts({ counted: 2, repeated: 3, empty: 1 }));
});

test("UsageTracker subtracts totals rather than trusting last usage when a record is missing", () => {
  const l1 = tokens(1000, 0, 100, 0);
  // l2 = 2,000 / 1,000 / 200 / 50: its record was lost.
  const l3 = tokens(3000, 2500, 300, 60);
  const t3 = tokens(6000, 3500, 600, 110); // l1 + l2 + l3
  const { rows } = run([meta(CHILD, "2026-11-26T12:00:00.000Z"), count(l1, l1), count(t3, l3)]);
  // 6000 - 1000 = 5000 input, 3500 cached, 600 - 100 = 500 output, 110 reasoning.
  assert.deepEqual(rows, [
    row(1, null, [1000, 0, 100, 0, 1100]),
    row(2, null, [5000, 3500, 500, 110, 5500]),
  ]);
});

test("UsageTracker counts only a referencing fork's last usage, not the parent's totals", () => {
  // A paginated fork (history_base) holds none of its parent's records, but Codex seeds its
  // totals from the parent's last token_count (90,000 / 80,000 / 3,000 / 1,000).
  const l1 = tokens(2000, 1500, 100, 20);
  const t1 = tokens(92000, 81500, 3100, 1020);
  const l2 = tokens(2500, 2000, 50, 0);
  const t2 = tokens(94500, 83500, 3150, 1020);
  const { rows, counts: c } = run([
    meta(CHILD, "2026-11-26T12:00:00.000Z", {
      forked_from_id: PARENT,
      history_mode: "paginated",
      history_base: { thread_id: PARENT, end_ordinal_exclusive: 40, end_byte_offset: 9000 },
    }),
    // No dated turn start is needed: nothing of the parent is copied into such a fork.
    context("gpt-5.3-codex"),
    count(t1, l1),
    count(t2, l2),
  ]);
  assert.deepEqual(rows, [
    row(1, "gpt-5.3-codex", [2000, 1500, 100, 20, 2100]),
    row(2, "gpt-5.3-codex", [2500, 2000, 50, 0, 2550]),
  ]);
  assert.deepEqual(c, counts({ counted: 2 }));
});

/** A legacy fork as Codex writes it: its meta, then its parent's records copied whole. */
function copiedFork(): Rec[] {
  const l1 = tokens(10000, 8000, 300, 100);
  const l2 = tokens(12000, 9000, 400, 150);
  const t2 = tokens(22000, 17000, 700, 250);
  const l3 = tokens(23000, 21000, 500, 200);
  const t3 = tokens(45000, 38000, 1200, 450);
  const parentTurn1 = v7("2026-11-26T09:01:00.000Z");
  const parentTurn2 = v7("2026-11-26T09:05:00.000Z");
  const grandparent = v7("2026-11-25T08:00:00.000Z");
  const childTurn = v7("2026-11-26T12:01:00.000Z");
  const copied = "2026-11-26T12:00:00.050Z"; // Codex stamps copied lines when it writes them
  return [
    meta(CHILD, "2026-11-26T12:00:00.000Z", { forked_from_id: PARENT }),
    { ...meta(PARENT, "2026-11-26T09:00:00.000Z"), timestamp: copied },
    { ...meta(grandparent, "2026-11-25T08:00:00.000Z"), timestamp: copied },
    started(parentTurn1),
    context("gpt-5.2", parentTurn1),
    count(l1, l1, copied),
    count(l1, l1, copied),
    started(parentTurn2),
    context("gpt-5.2", parentTurn2),
    count(t2, l2, copied),
    { type: "event_msg", payload: { type: "thread_settings_applied", thread_settings: {} } },
    started(childTurn),
    context("gpt-5.3-codex", childTurn),
    count(t2, l2, "2026-11-26T12:01:00.500Z"), // the seeded totals, re-sent on a rate-limit update
    count(t3, l3, "2026-11-26T12:01:09.000Z"),
    count(t3, l3, "2026-11-26T12:01:09.100Z"),
  ];
}

test("UsageTracker does not count a fork's copied parent records again", () => {
  const { rows, counts: c } = run(copiedFork());
  // Only the fork's own response: t3 - t2 = l3 = 23,000 / 21,000 / 500 / 200, total 23,500.
  assert.deepEqual(rows, [
    row(1, "gpt-5.3-codex", [23000, 21000, 500, 200, 23500], "2026-11-26T12:01:09.000Z"),
  ]);
  assert.deepEqual(c, counts({ counted: 1, repeated: 3, inherited: 2 }));
});

test("UsageTracker treats records after a meta naming forked_from_id as copied", () => {
  // `rollout fork` and Codex subagents: the parent's records follow the fork's meta without
  // the parent's own meta line.
  const l1 = tokens(10000, 8000, 300, 100);
  const l2 = tokens(5000, 4000, 60, 0);
  const t2 = tokens(15000, 12000, 360, 100);
  const parentTurn = v7("2026-11-26T09:01:00.000Z");
  const childTurn = v7("2026-11-26T12:00:00.000Z"); // in the very millisecond of creation
  const { rows, counts: c } = run([
    meta(CHILD, "2026-11-26T12:00:00.000Z", { forked_from_id: PARENT }),
    context("gpt-5.2", parentTurn),
    count(l1, l1, "2026-11-26T09:01:30.000Z"),
    context("gpt-5.3-codex", childTurn),
    count(t2, l2, "2026-11-26T12:00:20.000Z"),
  ]);
  assert.deepEqual(rows, [
    row(1, "gpt-5.3-codex", [5000, 4000, 60, 0, 5060], "2026-11-26T12:00:20.000Z"),
  ]);
  assert.deepEqual(c, counts({ counted: 1, inherited: 1 }));
});

test("UsageTracker keeps a fork's records copied while no turn is dated after its creation", () => {
  // Before Codex dated its turn ids (UUIDv7, 2026-02) a fork's own turns cannot be told from
  // its copy: nothing is counted rather than the parent twice.
  const l1 = tokens(10000, 8000, 300, 100);
  const l2 = tokens(5000, 4000, 60, 0);
  const t2 = tokens(15000, 12000, 360, 100);
  const { rows, counts: c } = run([
    meta("5973b6c0-94b8-487b-a530-2aeb6098ae0c", "2026-01-03T12:00:00.000Z"),
    meta("7e1d2c8a-3f4b-4e21-9a6d-0c5b8f3e2a11", "2026-01-02T09:00:00.000Z"),
    context("gpt-5", "1"),
    count(l1, l1),
    context("gpt-5", "2f0f6b4e-6d1c-4c57-9e0b-3b8a1f2d7c90"),
    started(v7("2026-01-02T09:30:00.000Z")), // dated, but before the fork
    count(t2, l2),
  ]);
  assert.deepEqual(rows, []);
  assert.deepEqual(c, counts({ inherited: 2 }));
});

test("UsageTracker starts a new series where totals go down or restart", () => {
  const l1 = tokens(100000, 90000, 2000, 500);
  // fill_to_context_window after a context overflow: totals = the window, every part zero.
  const full = { ...tokens(0, 0, 0, 0), total_tokens: 258400 };
  const fill = { ...tokens(0, 0, 0, 0), total_tokens: 258400 - 102000 };
  const l3 = tokens(3000, 1000, 40, 0);
  const t3 = { ...l3, total_tokens: 258400 + 3040 };
  // An older Codex that restarted its count: totals equal to their own last usage.
  const l4 = tokens(150000, 140000, 3000, 100);
  const { rows, counts: c } = run([
    meta(CHILD, "2026-11-26T12:00:00.000Z"),
    count(l1, l1),
    count(full, fill),
    count(t3, l3),
    count(l4, l4),
  ]);
  assert.deepEqual(rows, [
    row(1, null, [100000, 90000, 2000, 500, 102000]),
    row(2, null, [3000, 1000, 40, 0, 3040]),
    // Not l4 - l3 (147,000 / 139,000 / 2,960 / 100): the count started again.
    row(3, null, [150000, 140000, 3000, 100, 153000]),
  ]);
  assert.deepEqual(c, counts({ counted: 3, empty: 1 }));
});

test("UsageTracker takes each turn's model from the latest turn_context, else the meta", () => {
  const l1 = tokens(100, 0, 10, 0);
  const t2 = tokens(300, 0, 30, 0);
  const t3 = tokens(600, 0, 60, 0);
  const t4 = tokens(1000, 0, 100, 0);
  const { rows } = run([
    meta(CHILD, "2026-11-26T12:00:00.000Z", { model: "gpt-5" }),
    count(l1, l1),
    context("gpt-5.2-codex", v7("2026-11-26T12:01:00.000Z")),
    count(t2, tokens(200, 0, 20, 0)),
    context("gpt-5.1", v7("2026-11-26T12:02:00.000Z")),
    count(t3, tokens(300, 0, 30, 0)),
    context(undefined, v7("2026-11-26T12:03:00.000Z")),
    count(t4, tokens(400, 0, 40, 0)),
  ]);
  assert.deepEqual(rows, [
    row(1, "gpt-5", [100, 0, 10, 0, 110]),
    row(2, "gpt-5.2-codex", [200, 0, 20, 0, 220]),
    row(3, "gpt-5.1", [300, 0, 30, 0, 330]),
    row(4, "gpt-5.1", [400, 0, 40, 0, 440]),
  ]);
});

test("UsageTracker reads the older token_count shapes", () => {
  const last = tokens(700, 600, 70, 7);
  const { rows, counts: c } = run([
    { type: "session_meta", payload: { id: "test-legacy-session", cwd: "/tmp/test" } },
    {
      type: "event_msg",
      payload: { type: "token_count", info: { prompt: 1420, completion: 910 } },
    },
    { type: "event_msg", payload: { type: "token_count", info: null } },
    {
      type: "event_msg",
      payload: {
        type: "token_count",
        input_tokens: 300,
        cached_input_tokens: null,
        output_tokens: 20,
        reasoning_output_tokens: null,
        total_tokens: 320,
      },
    },
    { type: "event_msg", payload: { type: "token_count", info: { last_token_usage: last } } },
    { type: "event_msg", payload: { type: "token_count", info: { total_token_usage: "lots" } } },
    { type: "response_item", payload: { type: "message", role: "user", content: [] } },
  ]);
  assert.deepEqual(rows, [
    row(1, null, [1420, 0, 910, 0, 2330]),
    row(2, null, [300, 0, 20, 0, 320]),
    row(3, null, [700, 600, 70, 7, 770]),
  ]);
  assert.deepEqual(c, counts({ counted: 3, empty: 1, unreadable: 1 }));
});

/** copiedFork() with a model switch and a context overflow after the fork's first turn. */
function longSession(): Rec[] {
  const t3 = tokens(45000, 38000, 1200, 450);
  const full = { ...tokens(0, 0, 0, 0), total_tokens: 258400 };
  const l5 = tokens(4000, 3000, 90, 10);
  const t6 = tokens(10000, 8000, 190, 30); // l5 + l6
  return [
    ...copiedFork(),
    context("gpt-5.1", v7("2026-11-26T12:05:00.000Z")),
    count(full, { ...tokens(0, 0, 0, 0), total_tokens: 258400 - 46200 }),
    count({ ...l5, total_tokens: 258400 + 4090 }, l5),
    count({ ...t6, total_tokens: 258400 + 10190 }, tokens(6000, 5000, 100, 20)),
    count({ ...t6, total_tokens: 258400 + 10190 }, tokens(6000, 5000, 100, 20)),
    count(t3, t3), // a restart by an older Codex resuming the file
  ];
}

const LONG_ROWS = [
  row(1, "gpt-5.3-codex", [23000, 21000, 500, 200, 23500], "2026-11-26T12:01:09.000Z"),
  row(2, "gpt-5.1", [4000, 3000, 90, 10, 4090]),
  row(3, "gpt-5.1", [6000, 5000, 100, 20, 6100]), // t6 - l5
  row(4, "gpt-5.1", [45000, 38000, 1200, 450, 46200]),
];

test("UsageTracker resumed from its JSON state at any record gives the one-pass result", () => {
  const records = longSession();
  assert.deepEqual(run(records).rows, LONG_ROWS);
  for (let cut = 0; cut <= records.length; cut++) {
    const head = new UsageTracker();
    const rows = feed(head, records.slice(0, cut));
    const saved = JSON.parse(JSON.stringify(head.state()));
    const tail = UsageTracker.restore(saved);
    rows.push(...feed(tail, records.slice(cut), cut + 1));
    assert.deepEqual(rows, LONG_ROWS, `resumed after record ${cut}`);
    assert.deepEqual(tail.counts(), counts({ counted: 4, repeated: 4, inherited: 2, empty: 1 }));
  }
});

test("UsageTracker ignores lines it has already read and hands rows out once", () => {
  const records = longSession();
  const tracker = new UsageTracker();
  recordAll(tracker, records.slice(0, 20));
  const state = tracker.state();
  const rows = tracker.turns(); // the rows of the first 20 records, not yet taken
  assert.deepEqual(rows, LONG_ROWS.slice(0, 3));
  assert.deepEqual(tracker.turns(), []);
  // A reader that starts again a few lines back: those lines are not counted twice.
  const again = UsageTracker.restore(state);
  const more = [...again.turns(), ...feed(again, records.slice(15), 16)];
  assert.deepEqual(more, LONG_ROWS);
});

test("UsageTracker.restore() refuses a value that is not its state", () => {
  for (const bad of [null, {}, { v: 2 }, "state"]) {
    assert.throws(() => UsageTracker.restore(bad), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot restore the usage tracker: /);
      return true;
    });
  }
  const state = new UsageTracker().state() as Record<string, unknown>;
  assert.throws(() => UsageTracker.restore({ ...state, totals: [1, 2, 3] }), TypeError);
});

test("UsageTracker takes a count too large to add up exactly as unreadable, in any shape", () => {
  const huge = 9007199254740993; // above 2^53: JSON.parse already rounds it
  const { rows, counts: c } = run([
    {
      type: "event_msg",
      payload: { type: "token_count", info: { last_token_usage: tokens(huge, 0, 1, 0) } },
    },
    { type: "event_msg", payload: { type: "token_count", input_tokens: 2e15, output_tokens: 1 } },
    { type: "event_msg", payload: { type: "token_count", info: { prompt: 1, completion: 2e15 } } },
    {
      type: "event_msg",
      payload: { type: "token_count", info: { last_token_usage: tokens(1e15, 0, 5, 0) } },
    },
  ]);
  assert.deepEqual(rows, [row(1, null, [1e15, 0, 5, 0, 1e15 + 5])]);
  assert.deepEqual(c, counts({ counted: 1, unreadable: 3 }));
});

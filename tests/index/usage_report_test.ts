import assert from "node:assert/strict";
import { test } from "node:test";
import {
  aggregateUsage,
  renderUsageTable,
  type SessionUsageTurn,
  UsageReport,
} from "../../lib/index/usage_report.ts";

// Every sum below is worked out by hand from these five turns.
const turn = (
  session_id: string,
  cwd: string | null,
  day: string,
  model: string | null,
  [input, cached_input, output, reasoning_output]: number[],
): SessionUsageTurn => ({
  session_id,
  cwd,
  day,
  turn: 1,
  time: day === "" ? null : `${day}T10:00:00.000Z`,
  model,
  input: input!,
  cached_input: cached_input!,
  output: output!,
  reasoning_output: reasoning_output!,
  total: input! + output!,
});

const A = turn("s1", "/repo", "2026-11-25", "gpt-5.3-codex", [12091, 10880, 182, 128]); // 12,273
const B = turn("s1", "/repo", "2026-11-26", "gpt-5.3-codex", [20000, 15000, 1000, 500]); // 21,000
const C = turn("s2", "/other", "2026-11-26", "gpt-5.1", [3000, 0, 200, 0]); // 3,200
const D = turn("s3", null, "", null, [1000000, 900000, 5000, 4000]); // 1,005,000
const E = turn("s2", "/other", "2026-11-25", "gpt-5.1", [500, 400, 50, 25]); // 550
const ROWS = [A, B, C, D, E];

// A + B + C + D + E: input 1,035,591; cached 926,280; output 6,432; reasoning 4,653.
const TOTAL = {
  sessions: 3,
  turns: 5,
  input: 1035591,
  cached_input: 926280,
  output: 6432,
  reasoning_output: 4653,
  total: 1042023,
};

test("aggregateUsage() sums turns by day, in order, unknown days last", () => {
  const report = aggregateUsage(ROWS, "day", ["s9", "s4", "s9"]);
  assert.deepEqual(report, {
    by: "day",
    groups: [
      // A + E
      {
        key: "2026-11-25",
        sessions: 2,
        turns: 2,
        input: 12591,
        cached_input: 11280,
        output: 232,
        reasoning_output: 153,
        total: 12823,
      },
      // B + C
      {
        key: "2026-11-26",
        sessions: 2,
        turns: 2,
        input: 23000,
        cached_input: 15000,
        output: 1200,
        reasoning_output: 500,
        total: 24200,
      },
      {
        key: null,
        sessions: 1,
        turns: 1,
        input: 1000000,
        cached_input: 900000,
        output: 5000,
        reasoning_output: 4000,
        total: 1005000,
      },
    ],
    total: TOTAL,
    sessions_without_usage: ["s4", "s9"],
    unreadable_token_counts: [],
  });
  // The --json output is the report itself: plain JSON, as its schema says.
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  assert.equal(UsageReport.safeParse(report).success, true);
});

test("aggregateUsage() sums by model, session and cwd, biggest total first", () => {
  const a = { sessions: 1, turns: 2, input: 32091, cached_input: 25880, output: 1182 }; // A + B
  const b = { sessions: 1, turns: 2, input: 3500, cached_input: 400, output: 250 }; // C + E
  const d = { sessions: 1, turns: 1, input: 1000000, cached_input: 900000, output: 5000 }; // D
  const groups = (keys: Array<string | null>) => [
    { key: keys[0], ...d, reasoning_output: 4000, total: 1005000 },
    { key: keys[1], ...a, reasoning_output: 628, total: 33273 },
    { key: keys[2], ...b, reasoning_output: 25, total: 3750 },
  ];
  assert.deepEqual(
    aggregateUsage(ROWS, "model", []).groups,
    groups([null, "gpt-5.3-codex", "gpt-5.1"]),
  );
  assert.deepEqual(aggregateUsage(ROWS, "session", []).groups, groups(["s3", "s1", "s2"]));
  assert.deepEqual(aggregateUsage(ROWS, "cwd", []).groups, groups([null, "/repo", "/other"]));
  assert.deepEqual(aggregateUsage(ROWS, "cwd", []).total, TOTAL);
});

test("aggregateUsage() orders groups of equal total by key", () => {
  const x = turn("s1", "/b", "2026-11-25", "m", [10, 0, 1, 0]);
  const y = turn("s2", "/a", "2026-11-25", "m", [10, 0, 1, 0]);
  assert.deepEqual(aggregateUsage([x, y], "cwd", []).groups.map((g) => g.key), ["/a", "/b"]);
});

test("renderUsageTable() aligns the groups, separates thousands and adds the totals", () => {
  const text = renderUsageTable(aggregateUsage(ROWS, "day", ["s4", "s9"]));
  assert.equal(
    text,
    [
      "DAY              SESSIONS  TURNS      INPUT   CACHED  OUTPUT  REASONING      TOTAL",
      "2026-11-25              2      2     12,591   11,280     232        153     12,823",
      "2026-11-26              2      2     23,000   15,000   1,200        500     24,200",
      "(none recorded)         1      1  1,000,000  900,000   5,000      4,000  1,005,000",
      "---------------  --------  -----  ---------  -------  ------  ---------  ---------",
      "total                   3      5  1,035,591  926,280   6,432      4,653  1,042,023",
      "2 sessions have no usage records",
      "",
    ].join("\n"),
  );
});

test("renderUsageTable() by session leaves out the sessions column", () => {
  const text = renderUsageTable(aggregateUsage([A, C], "session", []));
  assert.equal(
    text,
    [
      "SESSION  TURNS   INPUT  CACHED  OUTPUT  REASONING   TOTAL",
      "s1           1  12,091  10,880     182        128  12,273",
      "s2           1   3,000       0     200          0   3,200",
      "-------  -----  ------  ------  ------  ---------  ------",
      "total        2  15,091  10,880     382        128  15,473",
      "0 sessions have no usage records",
      "",
    ].join("\n"),
  );
});

test("renderUsageTable() says when there is no usage, and shows control characters escaped", () => {
  assert.equal(
    renderUsageTable(aggregateUsage([], "day", ["s1"])),
    "No token usage recorded.\n1 session has no usage records\n",
  );
  const evil = turn("s1", "/repo", "2026-11-25", "gpt\u001b[2J\u202e", [1, 0, 1, 0]);
  const text = renderUsageTable(aggregateUsage([evil], "model", []));
  assert.ok(text.includes("gpt\\u001b[2J\\u202e  "), text);
  assert.ok(!text.includes("\u001b") && !text.includes("\u202e"));
});

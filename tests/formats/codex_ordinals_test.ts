/**
 * OrdinalCheck against Codex's rules for a paginated rollout's ordinals, one case per rule,
 * each expectation written from the rule (SPEC §6), not from the code.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CODEX_RECORD_TYPES, OrdinalCheck } from "../../lib/formats/codex_ordinals.ts";

/** Steps: a record `[type, ordinal, decodes?]` or "rejected"; returns each record's answer. */
function run(
  start: number,
  steps: (["record", string, number | undefined, boolean?] | "rejected")[],
) {
  const check = new OrdinalCheck(start);
  const answers: (string | null)[] = [];
  for (const step of steps) {
    if (step === "rejected") check.rejected();
    else answers.push(check.record(step[1], step[2], step[3]));
  }
  return { answers, next: check.next };
}

const item = (ordinal: number | undefined): ["record", string, number | undefined] => [
  "record",
  "response_item",
  ordinal,
];

test("OrdinalCheck accepts ordinals that follow one another from the start given", () => {
  assert.deepEqual(run(0, [item(0), item(1), item(2)]), { answers: [null, null, null], next: 3 });
  assert.deepEqual(run(5, [item(5), item(6)]), { answers: [null, null], next: 7 });
});

test("OrdinalCheck: a first ordinal past the start is damage, named once", () => {
  assert.deepEqual(run(5, [item(7), item(8)]), {
    answers: ["the first ordinal is 7, where Codex expects 5", null],
    next: 9,
  });
});

test("OrdinalCheck: a gap is damage unless rejected lines between could have held it", () => {
  assert.deepEqual(run(0, [item(0), item(1), item(4)]).answers, [
    null,
    null,
    "ordinal jumps from 1 to 4: 2 record(s) missing before this line",
  ]);
  // Two lines Codex rejects cover ordinals 1 and 2.
  assert.deepEqual(run(0, [item(0), "rejected", "rejected", item(3)]).answers, [null, null]);
  // One covers one of the two.
  assert.deepEqual(run(0, [item(0), "rejected", item(3)]).answers, [
    null,
    "ordinal jumps from 0 to 3: 1 record(s) missing before this line",
  ]);
  // Rejected lines before the first record cover a first ordinal past the start.
  assert.deepEqual(run(0, ["rejected", item(1), item(2)]), { answers: [null, null], next: 3 });
  // What covered one gap is spent: the next gap counts only the lines after.
  assert.deepEqual(run(0, [item(0), "rejected", item(2), item(4)]).answers, [
    null,
    null,
    "ordinal jumps from 2 to 4: 1 record(s) missing before this line",
  ]);
});

test("OrdinalCheck: a record Codex cannot decode keeps its ordinal open for a later one", () => {
  assert.ok(!CODEX_RECORD_TYPES.has("future_kind"));
  // Unknown type, and a known type whose payload does not decode: both as rejected lines.
  for (
    const skipped of [["record", "future_kind", 1], ["record", "event_msg", 1, false]] as const
  ) {
    assert.deepEqual(run(0, [item(0), [...skipped], item(2)]), {
      answers: [null, null, null],
      next: 3,
    }, skipped[1]);
    assert.deepEqual(run(0, [item(0), [...skipped], item(1)]), {
      answers: [null, null, null],
      next: 2,
    }, `${skipped[1]}: its ordinal reused`);
  }
});

test("OrdinalCheck: an ordinal not above the last is refused and does not move the sequence", () => {
  assert.deepEqual(run(0, [item(0), item(1), item(1), item(2)]), {
    answers: [
      null,
      null,
      "ordinal 1 is not above the previous ordinal 1: Codex expects 2 or more",
      null,
    ],
    next: 3,
  });
  // A decoded record going back holds no ordinal of the gap after it.
  assert.deepEqual(run(0, [item(0), item(1), item(1), item(3)]).answers, [
    null,
    null,
    "ordinal 1 is not above the previous ordinal 1: Codex expects 2 or more",
    "ordinal jumps from 1 to 3: 1 record(s) missing before this line",
  ]);
  // An undecodable record going back also counts as a line that may hold an ordinal.
  assert.deepEqual(run(0, [item(0), item(1), ["record", "future_kind", 0], item(3)]).answers, [
    null,
    null,
    "ordinal 0 is not above the previous ordinal 1: Codex expects 2 or more",
    null,
  ]);
});

test("OrdinalCheck: a decodable record without an ordinal is damage, and takes the next one", () => {
  assert.deepEqual(run(0, [item(0), item(undefined), item(2)]), {
    answers: [
      null,
      "the response_item record has no ordinal, which Codex requires in a paginated rollout",
      null,
    ],
    next: 3,
  });
  // Reported once: the ordinal after it is not a second gap, nor the first ordinal's.
  assert.deepEqual(run(4, [item(undefined), item(5)]).answers, [
    "the response_item record has no ordinal, which Codex requires in a paginated rollout",
    null,
  ]);
  // An undecodable record without one is a rejected line.
  assert.deepEqual(run(0, [item(0), ["record", "future_kind", undefined], item(2)]), {
    answers: [null, null, null],
    next: 3,
  });
});

test("OrdinalCheck: the record after a missing ordinal is judged from it, as a started sequence", () => {
  // It is taken as ordinal 1, and spends the rejected line before it: 2 is missing.
  assert.deepEqual(run(0, [item(0), "rejected", item(undefined), item(3)]).answers, [
    null,
    "the response_item record has no ordinal, which Codex requires in a paginated rollout",
    "ordinal jumps from 1 to 3: 1 record(s) missing before this line",
  ]);
  assert.deepEqual(run(0, [item(undefined), item(3)]).answers, [
    "the response_item record has no ordinal, which Codex requires in a paginated rollout",
    "ordinal jumps from 0 to 3: 2 record(s) missing before this line",
  ]);
});

test("OrdinalCheck knows every record type Codex's RolloutItem decodes", () => {
  // codex-rs/history/src/rollout_payload.rs: the variants of RolloutItem.
  const decoded = [
    "session_meta",
    "response_item",
    "inter_agent_communication",
    "inter_agent_communication_metadata",
    "compacted",
    "turn_context",
    "world_state",
    "security_risk_score",
    "event_msg",
  ];
  assert.deepEqual([...CODEX_RECORD_TYPES].sort(), [...decoded].sort());
  for (const type of decoded) {
    // A gap after a decoded record of this type is damage: it took the ordinal.
    assert.deepEqual(run(0, [item(0), ["record", type, 3]]).answers, [
      null,
      "ordinal jumps from 0 to 3: 2 record(s) missing before this line",
    ], type);
  }
});

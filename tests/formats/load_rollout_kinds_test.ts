import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { loadRollout, streamRollout } from "../../lib/formats/load_rollout.ts";
import { tempDir } from "../helpers.ts";
import {
  CODEX_ENVELOPE_LINES,
  DOCUMENT,
  DOCUMENT_ITEMS,
  DOCUMENT_META,
  JOURNAL_ITEMS,
  JOURNAL_LINES,
  jsonl,
  writeFixture,
} from "../fixtures_rollouts.ts";

test("loadRollout() refuses a folder and a FIFO as invalid_rollout, without waiting on the FIFO", () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(() => loadRollout(dir), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${dir}": it is a folder`,
    });
    const fifo = path.join(dir, "pipe.jsonl");
    const made = spawnSync("mkfifo", [fifo]);
    assert.equal(made.status, 0, "mkfifo is needed for this test");
    assert.throws(() => loadRollout(fifo), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${fifo}": it is not a regular file`,
    });
  } finally {
    cleanup();
  }
});

test("loadRollout() of a document gives what each option asks for, and nothing it does not", () => {
  // A document is held whole: its items are the history, every item and the timeline at once.
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "doc.json", DOCUMENT);
    const plain = loadRollout(file);
    assert.deepEqual(plain.saved.items, DOCUMENT_ITEMS);
    assert.equal(plain.itemCount, DOCUMENT_ITEMS.length);
    assert.equal(plain.historyRefs, undefined);
    assert.equal(plain.allItems, undefined);
    assert.equal(plain.timeline, undefined);

    const asked = loadRollout(file, { history: "refs", all: true, timeline: true });
    assert.deepEqual(asked.historyRefs, DOCUMENT_ITEMS.map((item) => ({ item })));
    assert.deepEqual(asked.allItems, DOCUMENT_ITEMS);
    assert.deepEqual(asked.timeline, DOCUMENT_ITEMS.map((item) => ({ kind: "item", item })));
    // Not kept beside the references: counted.
    assert.deepEqual(asked.saved.items, []);
    assert.equal(asked.itemCount, DOCUMENT_ITEMS.length);
    // Each on its own: the other two stay absent.
    const counted = loadRollout(file, { history: "count" });
    assert.deepEqual(counted.saved.items, []);
    assert.equal(counted.itemCount, DOCUMENT_ITEMS.length);
    assert.equal(counted.historyRefs, undefined);
    assert.deepEqual(loadRollout(file, { all: true }).timeline, undefined);
    assert.deepEqual(loadRollout(file, { timeline: true }).allItems, undefined);
    assert.deepEqual(loadRollout(file, { all: true }).saved.items, DOCUMENT_ITEMS);
  } finally {
    cleanup();
  }
});

test("loadRollout() marks in the timeline where a turn's user or developer instructions change", () => {
  const { dir, cleanup } = tempDir();
  try {
    const turn = (context: Record<string, unknown>) =>
      JSON.stringify({
        timestamp: "2025-11-03T09:13:00.000Z",
        type: "turn_context",
        payload: context,
      });
    const lines = [
      CODEX_ENVELOPE_LINES[0],
      turn({ cwd: "/r", user_instructions: "U1", developer_instructions: "D1" }),
      turn({ cwd: "/r", user_instructions: "U1", developer_instructions: "D2" }),
      turn({ cwd: "/r", user_instructions: "U1", developer_instructions: "D2" }),
      turn({ cwd: "/r", user_instructions: "U2", developer_instructions: null }),
      turn({ cwd: "/r", developer_instructions: 7, user_instructions: ["U3"] }),
      turn({ cwd: "/r", developer_instructions: "D1" }),
    ];
    const loaded = loadRollout(writeFixture(dir, "c.jsonl", jsonl(lines)), { timeline: true });
    assert.deepEqual(loaded.timeline, [
      { kind: "instructions", user: "U1", developer: "D1" },
      { kind: "instructions", developer: "D2" },
      { kind: "instructions", user: "U2" },
      { kind: "instructions", developer: "D1" },
    ]);
    assert.deepEqual(loaded.turnInstructions, { user: "U2", developer: "D1" });
  } finally {
    cleanup();
  }
});

test("streamRollout() visits a document's meta, then each item as an item and a timeline entry", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "doc.json", DOCUMENT);
    const seen: unknown[] = [];
    await streamRollout(file, {
      visit: {
        meta: (meta, _raw, format) => seen.push(["meta", meta.id, format]),
        item: (item) => seen.push(["item", item]),
        timeline: (entry) => seen.push(["timeline", entry]),
      },
      between: () => {},
    });
    assert.deepEqual(seen, [
      ["meta", DOCUMENT_META.id, "document"],
      ...DOCUMENT_ITEMS.flatMap((item) => [["item", item], ["timeline", { kind: "item", item }]]),
    ]);
    // A visitor of the timeline alone, or of nothing: the same file reads the same.
    const entries: unknown[] = [];
    await streamRollout(file, { visit: { timeline: (e) => entries.push(e) }, between: () => {} });
    assert.deepEqual(entries, DOCUMENT_ITEMS.map((item) => ({ kind: "item", item })));
    await streamRollout(file, { visit: {}, between: () => {} });
  } finally {
    cleanup();
  }
});

test("loadRollout() of a line file gives each list only when asked, and each whole", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "j.jsonl", jsonl(JOURNAL_LINES));
    const plain = loadRollout(file);
    assert.deepEqual(plain.saved.items, JOURNAL_ITEMS);
    for (const key of ["allItems", "records", "timeline", "historyRefs", "inheritedRecords"]) {
      assert.equal(key in plain, false, key);
    }
    const all = loadRollout(file, { all: true });
    assert.deepEqual(all.allItems, JOURNAL_ITEMS);
    assert.equal("timeline" in all || "records" in all, false);
    const records = loadRollout(file, { records: true });
    assert.deepEqual(
      records.records!.map((r) => [r.line, r.type]),
      [[1, "session_meta"], [2, "response_item"], [3, "response_item"], [4, "response_item"], [
        5,
        "state",
      ]],
    );
    assert.equal("allItems" in records, false);
    const timeline = loadRollout(file, { timeline: true });
    assert.deepEqual(timeline.timeline, JOURNAL_ITEMS.map((item) => ({ kind: "item", item })));
    const refs = loadRollout(file, { history: "refs" });
    assert.equal(refs.historyRefs!.length, JOURNAL_ITEMS.length);
    assert.deepEqual(refs.saved.items, []);
    assert.equal(refs.itemCount, JOURNAL_ITEMS.length);
  } finally {
    cleanup();
  }
});

test("loadRollout() names a blank line and a compaction without an object apart from other damage", () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = [
      ...JOURNAL_LINES.slice(0, 2),
      "   \t ",
      "{not json",
      '{"timestamp":"2026-11-26T11:15:30.000Z","type":"compacted","payload":"x"}',
    ];
    const loaded = loadRollout(writeFixture(dir, "j.jsonl", jsonl(lines)));
    assert.deepEqual(loaded.report.skipped_lines.map((s) => [s.line, s.message]), [
      [3, "empty line"],
      [4, "not JSON"],
    ]);
    assert.equal(loaded.report.warnings.length, 1);
    assert.match(loaded.report.warnings[0]!, /^line 5: .*compacted.*its payload is no object/);
  } finally {
    cleanup();
  }
});

test("loadRollout() refuses a /proc file, which reports no size and has content", () => {
  assert.throws(() => loadRollout("/proc/self/status"), {
    code: "invalid_rollout",
    message:
      'Cannot load rollout "/proc/self/status": it reports no size but has content (a /proc or /sys file), so it is no rollout',
  });
});

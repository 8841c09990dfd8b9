import assert from "node:assert/strict";
import { test } from "node:test";
import { formatOfFirstRecord } from "../../lib/formats/detect_format.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { normalizeMeta } from "../../lib/schemas/session_meta.ts";
import {
  CODEX_2025_ITEMS,
  CODEX_2025_LINES,
  CODEX_2025_META,
  CODEX_ENVELOPE_ALL_ITEMS,
  CODEX_ENVELOPE_ITEMS,
  CODEX_ENVELOPE_LINES,
  CODEX_ENVELOPE_META,
  CODEX_TS_DOCUMENT,
  CODEX_TS_ITEMS,
  CODEX_TS_META,
  DOCUMENT,
  DOCUMENT_ITEMS,
  DOCUMENT_META,
  ID,
  JOURNAL_ITEMS,
  JOURNAL_LINES,
  JOURNAL_META,
  jsonl,
  size,
  writeFixture,
} from "../fixtures_rollouts.ts";
import { tempDir } from "../helpers.ts";

function clean(format: string, extra: Record<string, unknown> = {}) {
  return { format, torn_tail: null, skipped_lines: [], skipped_types: {}, warnings: [], ...extra };
}

test("loadRollout() reads our journal (SPEC §2.1)", () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = jsonl(JOURNAL_LINES);
    const file = writeFixture(dir, "a.jsonl", text);
    const loaded = loadRollout(file);
    assert.equal(loaded.format, "journal");
    assert.deepEqual(loaded.saved, {
      session: JOURNAL_META,
      items: JOURNAL_ITEMS,
      state: { previous_response_id: "resp_42" },
    });
    assert.deepEqual(loaded.report, clean("journal"));
    assert.equal(loaded.historyMode, "paginated");
    assert.deepEqual(loaded.recordTypes, { session_meta: 1, response_item: 3, state: 1 });
    assert.equal(loaded.end, size(text));
    assert.equal(loaded.nextOrdinal, 4);
    assert.deepEqual(loaded.rawMeta, JOURNAL_META);
  } finally {
    cleanup();
  }
});

test("loadRollout() reads Codex's enveloped rollout: its effective history, base_instructions left alone, every record counted", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "codex.jsonl", jsonl(CODEX_ENVELOPE_LINES));
    const loaded = loadRollout(file, { all: true });
    assert.deepEqual(loaded.allItems, CODEX_ENVELOPE_ALL_ITEMS);
    assert.equal(loaded.format, "codex_envelope");
    assert.deepEqual(loaded.saved, {
      session: CODEX_ENVELOPE_META,
      items: CODEX_ENVELOPE_ITEMS,
      state: {},
    });
    assert.deepEqual(
      loaded.report,
      clean("codex_envelope", {
        skipped_types: { turn_context: 1, event_msg: 2, compacted: 1, ghost_snapshot: 1 },
        // The compaction replaced the 7 items before it with 2 (SPEC §6).
        history: { compacted: 7, rolled_back: 0, inherited: 0 },
      }),
    );
    assert.equal(loaded.historyMode, "legacy");
    assert.deepEqual(loaded.recordTypes, {
      session_meta: 1,
      response_item: 8,
      turn_context: 1,
      event_msg: 2,
      compacted: 1,
      ghost_snapshot: 1,
    });
    assert.equal(loaded.rawMeta.instructions, null);
  } finally {
    cleanup();
  }
});

test("loadRollout() keeps a Codex meta's own instructions over base_instructions", () => {
  const { dir, cleanup } = tempDir();
  try {
    const meta =
      '{"timestamp":"2025-11-03T09:12:44.512Z","type":"session_meta","payload":{"id":"c1","timestamp":"2025-11-03T09:12:44.498Z","instructions":"Own.","base_instructions":{"text":"Base."},"cwd":null}}';
    const loaded = loadRollout(writeFixture(dir, "c.jsonl", jsonl([meta])));
    assert.deepEqual(loaded.saved.session, {
      id: "c1",
      timestamp: "2025-11-03T09:12:44.498Z",
      instructions: "Own.",
      base_instructions: { text: "Base." },
    });
    assert.deepEqual(loaded.saved.items, []);
  } finally {
    cleanup();
  }
});

test("loadRollout() reads Codex's 2025 JSONL with record_type state lines and nulls", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "old.jsonl", jsonl(CODEX_2025_LINES));
    const loaded = loadRollout(file);
    assert.equal(loaded.format, "codex_jsonl_2025");
    assert.deepEqual(loaded.saved, {
      session: CODEX_2025_META,
      items: CODEX_2025_ITEMS,
      state: { previous_response_id: "resp_2" },
    });
    assert.deepEqual(
      loaded.report,
      clean("codex_jsonl_2025", { skipped_types: { turn_marker: 1 } }),
    );
  } finally {
    cleanup();
  }
});

test("loadRollout() treats a null previous_response_id in the last 2025 state line as absent", () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = [...CODEX_2025_LINES, '{"record_type":"state","previous_response_id":null}'];
    const loaded = loadRollout(writeFixture(dir, "old.jsonl", jsonl(lines)));
    assert.deepEqual(loaded.saved.state, {});
  } finally {
    cleanup();
  }
});

test("loadRollout() reports a 2025 state line of the wrong shape and an item failing its schema", () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = [
      CODEX_2025_LINES[0],
      '{"record_type":"state","previous_response_id":7}',
      '{"type":"function_call","name":"shell","arguments":"{}","call_id":3}',
      '{"role":"user"}',
    ];
    const loaded = loadRollout(writeFixture(dir, "old.jsonl", jsonl(lines)));
    const at = (n: number) => size(jsonl(lines.slice(0, n)));
    assert.deepEqual(loaded.saved.items, []);
    assert.deepEqual(loaded.report.skipped_lines, [
      { line: 2, offset: at(1), message: "previous_response_id: expected string, got number" },
      { line: 3, offset: at(2), message: "item.call_id: expected string, got number" },
      { line: 4, offset: at(3), message: "item.type: required string is missing" },
    ]);
  } finally {
    cleanup();
  }
});

test("loadRollout() reads the Codex TypeScript CLI document (no state)", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "rollout-2025-04-18-b1946ac9.json", CODEX_TS_DOCUMENT);
    const loaded = loadRollout(file);
    assert.equal(loaded.format, "codex_ts_document");
    assert.deepEqual(loaded.saved, { session: CODEX_TS_META, items: CODEX_TS_ITEMS, state: {} });
    assert.deepEqual(loaded.report, clean("codex_ts_document"));
    assert.deepEqual(loaded.rawItems, CODEX_TS_ITEMS);
  } finally {
    cleanup();
  }
});

test("loadRollout() reads our document (SPEC §2.2), keeping unknown fields", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "a.json", DOCUMENT);
    const loaded = loadRollout(file);
    assert.equal(loaded.format, "document");
    assert.deepEqual(loaded.saved, {
      session: DOCUMENT_META,
      items: DOCUMENT_ITEMS,
      state: { previous_response_id: "resp_42" },
    });
    assert.deepEqual(loaded.report, clean("document"));
    assert.deepEqual(loaded.rawMeta, DOCUMENT_META);
  } finally {
    cleanup();
  }
});

test("loadRollout() detects the format from content, never from the file name", () => {
  const { dir, cleanup } = tempDir();
  try {
    const cases: [string, string, string][] = [
      ["journal.json", jsonl(JOURNAL_LINES), "journal"],
      ["document.jsonl", DOCUMENT, "document"],
      ["notes.txt", jsonl(CODEX_2025_LINES), "codex_jsonl_2025"],
      ["codex", jsonl(CODEX_ENVELOPE_LINES), "codex_envelope"],
      ["ts.jsonl", CODEX_TS_DOCUMENT, "codex_ts_document"],
      ["one-line.jsonl", JSON.stringify(JSON.parse(DOCUMENT)), "document"],
      [
        "one-line-nl.json",
        JSON.stringify(JSON.parse(CODEX_TS_DOCUMENT)) + "\n",
        "codex_ts_document",
      ],
    ];
    for (const [name, content, format] of cases) {
      assert.equal(loadRollout(writeFixture(dir, name, content)).format, format, name);
    }
  } finally {
    cleanup();
  }
});

test("formatOfFirstRecord() names each format and refuses anything else", () => {
  assert.equal(formatOfFirstRecord({ type: "session_meta", ordinal: 0, payload: {} }), "journal");
  assert.equal(formatOfFirstRecord({ type: "session_meta", payload: {} }), "codex_envelope");
  assert.equal(formatOfFirstRecord({ session: {}, items: [], state: {} }), "document");
  assert.equal(formatOfFirstRecord({ session: {}, items: [] }), "codex_ts_document");
  assert.equal(formatOfFirstRecord({ id: "x", timestamp: "t" }), "codex_jsonl_2025");
  assert.equal(formatOfFirstRecord({ id: "x", timestamp: "t", type: "message" }), null);
  assert.equal(formatOfFirstRecord({ type: "session_meta", payload: "x" }), null);
  assert.equal(formatOfFirstRecord({ session: {}, items: {} }), null);
  assert.equal(formatOfFirstRecord([]), null);
  assert.equal(formatOfFirstRecord(null), null);
});

test("loadRollout() skips a document item that fails its schema and keeps it raw", () => {
  const { dir, cleanup } = tempDir();
  try {
    const doc = {
      session: { id: ID, timestamp: "2026-11-26T11:15:28.120Z" },
      items: [
        { type: "message", role: "user", content: [] },
        { type: "function_call", name: "shell", arguments: "{}", call_id: 5 },
        "not an item",
      ],
      state: { previous_response_id: null },
    };
    const file = writeFixture(dir, "a.json", JSON.stringify(doc, null, 2));
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.saved, {
      session: doc.session,
      items: [doc.items[0]],
      state: {},
    });
    assert.deepEqual(loaded.report.skipped_lines, [
      { line: null, offset: null, message: "items[1].call_id: expected string, got number" },
      { line: null, offset: null, message: "items[2]: expected an object, got string" },
    ]);
    assert.deepEqual(loaded.rawItems, doc.items);
  } finally {
    cleanup();
  }
});

test("loadRollout() reports a document's byte order mark", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "a.json", "\uFEFF" + DOCUMENT);
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.saved.items, DOCUMENT_ITEMS);
    assert.deepEqual(loaded.report.warnings, ["the file starts with a byte order mark"]);
  } finally {
    cleanup();
  }
});

test("loadRollout() refuses documents without a usable session, naming the file", () => {
  const { dir, cleanup } = tempDir();
  try {
    const cases: [string, string][] = [
      ['{\n  "items": []\n}', "not a rollout document: session: required object is missing"],
      [
        '{\n  "session": {"timestamp": "t"},\n  "items": []\n}',
        "no usable session meta: session.id: required string is missing",
      ],
      [
        '{\n  "session": {"id": "x", "timestamp": "t"},\n  "items": [],\n  "state": {"previous_response_id": 4}\n}',
        "state.previous_response_id: expected string, got number",
      ],
      [
        '{\n  "session": {"id": "x", "timestamp": "t"},\n  "items": [\n',
        "not a rollout (neither JSON lines nor a complete JSON document)",
      ],
      ['{\n  "session": {"id": "x", "timestamp": "t"},\n  "items": "\xff"\n}', ""],
    ];
    for (const [index, [content, reason]] of cases.entries()) {
      const file = writeFixture(dir, `bad${index}.json`, content);
      const message = reason === ""
        ? `Cannot load rollout "${file}": not a rollout document: items: expected array, got string`
        : `Cannot load rollout "${file}": ${reason}`;
      assert.throws(() => loadRollout(file), { code: "invalid_rollout", message });
    }
  } finally {
    cleanup();
  }
});

test("loadRollout() refuses a document that is not valid UTF-8", () => {
  const { dir, cleanup } = tempDir();
  try {
    const bytesOf = new TextEncoder().encode(DOCUMENT);
    const broken = new Uint8Array([...bytesOf.subarray(0, 40), 0xff, ...bytesOf.subarray(40)]);
    const file = writeFixture(dir, "a.json", broken);
    assert.throws(() => loadRollout(file), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${file}": the document is not valid UTF-8`,
    });
  } finally {
    cleanup();
  }
});

test("normalizeMeta() drops top-level nulls and never turns base_instructions into instructions", () => {
  assert.deepEqual(
    normalizeMeta({ id: "a", instructions: null, cwd: null, git: { url: null } }),
    { id: "a", git: { url: null } },
  );
  assert.deepEqual(normalizeMeta({ id: "a", base_instructions: { text: "B" } }), {
    id: "a",
    base_instructions: { text: "B" },
  });
  assert.deepEqual(normalizeMeta({ id: "a", base_instructions: "B" }), {
    id: "a",
    base_instructions: "B",
  });
  assert.deepEqual(normalizeMeta({ id: "a", base_instructions: { text: 5 } }), {
    id: "a",
    base_instructions: { text: 5 },
  });
  assert.deepEqual(normalizeMeta({ id: "a", base_instructions: null }), { id: "a" });
});

test("loadRollout() treats a journal state with a null previous_response_id as cleared", () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = [
      ...JOURNAL_LINES,
      '{"timestamp":"2026-11-26T11:15:33.000Z","ordinal":5,"type":"state","payload":{"previous_response_id":null}}',
    ];
    const loaded = loadRollout(writeFixture(dir, "a.jsonl", jsonl(lines)));
    assert.deepEqual(loaded.saved.state, {});
    assert.deepEqual(loaded.report.skipped_lines, []);
  } finally {
    cleanup();
  }
});

test("loadRollout() keeps a stored __proto__ key as a plain field, never as a prototype", () => {
  const { dir, cleanup } = tempDir();
  try {
    const meta = '{"id":"a","timestamp":"t","__proto__":{"instructions":"evil"}}';
    const item = '{"type":"message","role":"user","content":[],"__proto__":{"x":1}}';
    const journal = writeFixture(
      dir,
      "a.jsonl",
      jsonl([
        `{"timestamp":"t","ordinal":0,"type":"session_meta","payload":${meta}}`,
        `{"timestamp":"t","ordinal":1,"type":"response_item","payload":${item}}`,
        '{"timestamp":"t","ordinal":2,"type":"state","payload":{"__proto__":{"previous_response_id":"p"}}}',
      ]),
    );
    const document = writeFixture(
      dir,
      "a.json",
      `{"session":${meta},"items":[${item}],"state":{"__proto__":{"previous_response_id":"p"}}}`,
    );
    for (const file of [journal, document]) {
      const { saved } = loadRollout(file);
      assert.equal(JSON.stringify(saved.session), meta, file);
      assert.equal(saved.session.instructions, undefined, file);
      assert.equal(Object.getPrototypeOf(saved.session), Object.prototype, file);
      assert.equal(JSON.stringify(saved.items), `[${item}]`, file);
      assert.equal(JSON.stringify(saved.state), '{"__proto__":{"previous_response_id":"p"}}', file);
      assert.equal(saved.state.previous_response_id, undefined, file);
    }
  } finally {
    cleanup();
  }
});

/**
 * The document formats read whole (SPEC §2.2): which format, what is kept, and each reason a
 * document is refused; and the format a first line announces (SPEC §2.3).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BOM_WARNING, readDocument } from "../../lib/formats/read_document.ts";
import { formatOfFirstRecord } from "../../lib/formats/detect_format.ts";
import { RolloutError } from "../../lib/schemas/errors.ts";

const ID = "019abc00-0000-7000-8000-0000000000d1";
const meta = { id: ID, timestamp: "2026-11-20T09:00:00.000Z" };
const user = { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] };
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function refusal(input: Uint8Array): string {
  try {
    readDocument(input, "/d.json");
  } catch (error) {
    assert.ok(error instanceof RolloutError);
    assert.equal(error.code, "invalid_rollout");
    const prefix = 'Cannot load rollout "/d.json": ';
    assert.ok(error.message.startsWith(prefix), error.message);
    return error.message.slice(prefix.length);
  }
  assert.fail("expected the document to be refused");
}

test("readDocument() tells our document (with state) from Codex's TypeScript one (without)", () => {
  const ours = readDocument(bytes({ session: meta, items: [user], state: {} }), "/a.json");
  assert.equal(ours.format, "document");
  assert.equal(ours.report.format, "document");
  const codex = readDocument(bytes({ session: meta, items: [user] }), "/b.json");
  assert.equal(codex.format, "codex_ts_document");
  // A null state is a document's empty state.
  const nullState = readDocument(bytes({ session: meta, items: [], state: null }), "/c.json");
  assert.deepEqual([nullState.format, nullState.saved.state], ["document", {}]);
});

test("readDocument() keeps every item, reports the ones failing their schema, counts all", () => {
  const bad = { type: "function_call", name: 3 };
  const input = bytes({
    session: meta,
    items: [user, bad, { type: "future_item", x: 1 }],
    state: { previous_response_id: "resp_1" },
  });
  const loaded = readDocument(input, "/d.json");
  assert.deepEqual(loaded.saved.items, [user, { type: "future_item", x: 1 }]);
  assert.equal(loaded.itemCount, 2);
  assert.deepEqual(loaded.rawItems, [user, bad, { type: "future_item", x: 1 }]);
  assert.deepEqual(loaded.recordTypes, { response_item: 3 });
  assert.equal(loaded.report.skipped_lines.length, 1);
  assert.deepEqual(
    [loaded.report.skipped_lines[0]!.line, loaded.report.skipped_lines[0]!.offset],
    [null, null],
  );
  assert.match(loaded.report.skipped_lines[0]!.message, /^items\[1\]/);
  assert.deepEqual(loaded.saved.state, { previous_response_id: "resp_1" });
  assert.equal(loaded.saved.session.id, ID);
  assert.deepEqual(loaded.rawMeta, meta);
  assert.equal(loaded.end, input.length);
  assert.deepEqual(
    [loaded.report.torn_tail, loaded.report.warnings, loaded.compressed, loaded.path],
    [null, [], false, "/d.json"],
  );
});

test("readDocument() warns of a byte order mark and still reads the document", () => {
  const body = bytes({ session: meta, items: [user], state: {} });
  const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...body]);
  const loaded = readDocument(withBom, "/d.json");
  assert.deepEqual(loaded.report.warnings, ["the file starts with a byte order mark"]);
  assert.equal(BOM_WARNING, "the file starts with a byte order mark");
  assert.deepEqual(loaded.saved.items, [user]);
});

test("readDocument() refuses a document by its reason", () => {
  assert.equal(
    refusal(new Uint8Array([0x7b, 0xff, 0x7d])),
    "the document is not valid UTF-8",
  );
  assert.equal(
    refusal(new TextEncoder().encode('{"session": {')),
    "not a rollout (neither JSON lines nor a complete JSON document)",
  );
  assert.match(refusal(bytes({ session: meta })), /^not a rollout document: /);
  assert.match(refusal(bytes({ session: 1, items: [] })), /^not a rollout document: /);
  assert.match(
    refusal(bytes({ session: { id: 5 }, items: [], state: {} })),
    /^no usable session meta: session/,
  );
  assert.match(
    refusal(bytes({ session: meta, items: [], state: { previous_response_id: 5 } })),
    /state/,
  );
});

test("formatOfFirstRecord() names the format a first line announces, or none", () => {
  const cases: [unknown, string | null][] = [
    [{ timestamp: "t", type: "session_meta", payload: meta }, "codex_envelope"],
    [{ timestamp: "t", ordinal: 0, type: "session_meta", payload: meta }, "journal"],
    [{ session: meta, items: [] }, "codex_ts_document"],
    [{ session: meta, items: [], state: {} }, "document"],
    [{ id: ID, timestamp: "t" }, "codex_jsonl_2025"],
    // Near misses.
    [{ type: "session_meta", payload: "x" }, null],
    [{ type: "response_item", payload: meta }, null],
    [{ session: meta, items: {} }, null],
    [{ session: "s", items: [] }, null],
    [{ id: ID, timestamp: "t", type: "message" }, null],
    [{ id: 1, timestamp: "t" }, null],
    [{ id: ID, timestamp: 1 }, null],
    [[meta], null],
    ["text", null],
    [null, null],
  ];
  for (const [first, format] of cases) {
    assert.equal(formatOfFirstRecord(first), format, JSON.stringify(first));
  }
});

test("readDocument() keeps nothing nested deeper than an item may be: a copy must write it again", () => {
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  const text = (session: string, items: string, state: string) =>
    new TextEncoder().encode(`{"session":${session},"items":${items},"state":${state}}`);
  const plain = JSON.stringify(meta);
  const read = readDocument(text(plain, `[${deep},${JSON.stringify(user)}]`, "{}"), "/d.json");
  assert.deepEqual(read.saved.items, [user]);
  // Kept as stored, so that a rewrite of the document refuses rather than drops it.
  assert.equal(read.rawItems.length, 2);
  assert.deepEqual(read.report.skipped_lines, [
    { line: null, offset: null, message: "items[0]: nested deeper than 1000 levels" },
  ]);
  assert.equal(
    refusal(text(plain.replace("}", `,"x":${deep}}`), "[]", "{}")),
    "no usable session meta: session: nested deeper than 1000 levels",
  );
  assert.equal(
    refusal(text(plain, "[]", `{"x":${deep}}`)),
    "state: nested deeper than 1000 levels",
  );
});

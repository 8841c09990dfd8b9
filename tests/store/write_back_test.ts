import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import {
  CODEX_2025_ITEMS,
  CODEX_2025_LINES,
  CODEX_ENVELOPE_ITEMS,
  CODEX_ENVELOPE_LINES,
  CODEX_TS_DOCUMENT,
  CODEX_TS_ITEMS,
  DOCUMENT,
  DOCUMENT_ITEMS,
  JOURNAL_ITEMS,
  JOURNAL_LINES,
  jsonl,
  size,
  writeFixture,
} from "../fixtures_rollouts.ts";
import { inTempDir } from "../helpers.ts";

const T = "2026-11-26T12:00:00.000Z";
const clock = () => new Date(T);
const NEW_ITEM = {
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text: 'done ✓ 🎉 "q" \\ \n' }],
};
const NEW_JSON = JSON.stringify(NEW_ITEM);
/** The `event_msg` Codex writes beside NEW_ITEM (SPEC §6), written out here by hand. */
const NEW_EVENT =
  '{"type":"agent_message","message":"done ✓ 🎉 \\"q\\" \\\\ \\n","phase":null,"memory_citation":null}';
const REASONING = { type: "reasoning", summary: [] };

/** Resumes `file`, records NEW_ITEM (plus a dropped reasoning item) and `state`, closes. */
async function appendTo(file: string, state: { previous_response_id?: string } | null) {
  const { recorder, loaded } = await RolloutRecorder.resume(file, { clock });
  const ack = await recorder.recordItems([NEW_ITEM, REASONING]);
  if (state !== null) await recorder.recordState(state);
  await recorder.close();
  assert.equal(fs.existsSync(`${file}.lock`), false);
  return { ack, loaded };
}

function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  return inTempDir(body);
}

test("resume() appends journal lines with the next ordinals; the state line takes none", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "a.jsonl", jsonl(JOURNAL_LINES));
    const { ack } = await appendTo(file, { previous_response_id: "resp_99" });
    assert.deepEqual(ack, {
      recorded: 1,
      dropped: [{ index: 1, type: "reasoning" }],
      item_count: 4,
    });
    assert.equal(
      fs.readFileSync(file, "utf8"),
      jsonl([
        ...JOURNAL_LINES,
        `{"timestamp":"${T}","ordinal":4,"type":"response_item","payload":${NEW_JSON}}`,
        `{"timestamp":"${T}","ordinal":5,"type":"event_msg","payload":${NEW_EVENT}}`,
        `{"timestamp":"${T}","type":"state","payload":{"previous_response_id":"resp_99"}}`,
      ]),
    );
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.saved.items, [...JOURNAL_ITEMS, NEW_ITEM]);
    assert.deepEqual(loaded.saved.state, { previous_response_id: "resp_99" });
    assert.deepEqual(loaded.report.skipped_lines, []);
  });
});

test("resume() writes a journal state line only when the state changes; {} when cleared", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "a.jsonl", jsonl(JOURNAL_LINES));
    const { recorder } = await RolloutRecorder.resume(file, { clock });
    await recorder.recordState({ previous_response_id: "resp_42" });
    await recorder.recordState({});
    await recorder.recordState({});
    await recorder.close();
    assert.equal(
      fs.readFileSync(file, "utf8"),
      jsonl([...JOURNAL_LINES, `{"timestamp":"${T}","type":"state","payload":{}}`]),
    );
    assert.deepEqual(loadRollout(file).saved.state, {});
  });
});

test("resume() appends Codex envelope lines without ordinals", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "codex.jsonl", jsonl(CODEX_ENVELOPE_LINES));
    const { ack } = await appendTo(file, { previous_response_id: "resp_99" });
    // The effective history: 3 items after the compaction, then the new one.
    assert.equal(ack.item_count, 4);
    assert.equal(
      fs.readFileSync(file, "utf8"),
      jsonl([
        ...CODEX_ENVELOPE_LINES,
        `{"timestamp":"${T}","type":"response_item","payload":${NEW_JSON}}`,
        `{"timestamp":"${T}","type":"event_msg","payload":${NEW_EVENT}}`,
        `{"timestamp":"${T}","type":"state","payload":{"previous_response_id":"resp_99"}}`,
      ]),
    );
    const loaded = loadRollout(file);
    assert.equal(loaded.format, "codex_envelope");
    assert.deepEqual(loaded.saved.items, [...CODEX_ENVELOPE_ITEMS, NEW_ITEM]);
    assert.deepEqual(loaded.saved.state, { previous_response_id: "resp_99" });
  });
});

test("resume() appends bare items and record_type state lines to Codex 2025 JSONL", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "old.jsonl", jsonl(CODEX_2025_LINES));
    const { ack } = await appendTo(file, { previous_response_id: "resp_99" });
    assert.equal(ack.item_count, 6);
    const { recorder } = await RolloutRecorder.resume(file, { clock });
    await recorder.recordState({});
    await recorder.close();
    assert.equal(
      fs.readFileSync(file, "utf8"),
      jsonl([
        ...CODEX_2025_LINES,
        NEW_JSON,
        '{"record_type":"state","previous_response_id":"resp_99"}',
        '{"record_type":"state","previous_response_id":null}',
      ]),
    );
    const loaded = loadRollout(file);
    assert.equal(loaded.format, "codex_jsonl_2025");
    assert.deepEqual(loaded.saved.items, [...CODEX_2025_ITEMS, NEW_ITEM]);
    assert.deepEqual(loaded.saved.state, {});
  });
});

test("resume() writes a state id of any text into Codex 2025 JSONL and reads it back", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "old.jsonl", jsonl(CODEX_2025_LINES));
    const id = 'résumé "🎉" \\ ✓';
    const { recorder } = await RolloutRecorder.resume(file, { clock });
    await recorder.recordState({ previous_response_id: id });
    await recorder.close();
    assert.equal(
      fs.readFileSync(file, "utf8"),
      jsonl([
        ...CODEX_2025_LINES,
        `{"record_type":"state","previous_response_id":${JSON.stringify(id)}}`,
      ]),
    );
    assert.deepEqual(loadRollout(file).saved.state, { previous_response_id: id });
  });
});

test("resume() rewrites our document whole, pretty-printed, keeping unknown fields", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "a.json", DOCUMENT);
    const { ack } = await appendTo(file, { previous_response_id: "resp_99" });
    assert.equal(ack.item_count, 3);
    const original = JSON.parse(DOCUMENT);
    assert.equal(
      fs.readFileSync(file, "utf8"),
      JSON.stringify(
        {
          session: original.session,
          items: [...original.items, NEW_ITEM],
          state: { previous_response_id: "resp_99" },
        },
        null,
        2,
      ),
    );
    const loaded = loadRollout(file);
    assert.equal(loaded.format, "document");
    assert.deepEqual(loaded.saved.items, [...DOCUMENT_ITEMS, NEW_ITEM]);
    assert.deepEqual(loaded.saved.state, { previous_response_id: "resp_99" });
    assert.deepEqual(fs.readdirSync(dir), ["a.json"]);
  });
});

test("resume() rewrites a Codex TypeScript CLI document in its shape (state only once set)", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "ts.json", CODEX_TS_DOCUMENT);
    const original = JSON.parse(CODEX_TS_DOCUMENT);
    await appendTo(file, null);
    assert.equal(
      fs.readFileSync(file, "utf8"),
      JSON.stringify({ session: original.session, items: [...original.items, NEW_ITEM] }, null, 2),
    );
    assert.equal(loadRollout(file).format, "codex_ts_document");
    await appendTo(file, { previous_response_id: "resp_99" });
    assert.equal(
      fs.readFileSync(file, "utf8"),
      JSON.stringify(
        {
          session: original.session,
          items: [...original.items, NEW_ITEM, NEW_ITEM],
          state: { previous_response_id: "resp_99" },
        },
        null,
        2,
      ),
    );
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.saved.items, [...CODEX_TS_ITEMS, NEW_ITEM, NEW_ITEM]);
    assert.deepEqual(loaded.saved.state, { previous_response_id: "resp_99" });
  });
});

test("resume() keeps a document's invalid items as they were when rewriting", async () => {
  await withDir(async (dir) => {
    const doc = {
      session: { id: "d1", timestamp: "t", note: null },
      items: [{ type: "function_call", call_id: 1 }, { type: "web_search_call" }],
      state: {},
    };
    const file = writeFixture(dir, "a.json", JSON.stringify(doc, null, 2));
    await appendTo(file, null);
    assert.equal(
      fs.readFileSync(file, "utf8"),
      JSON.stringify({ ...doc, items: [...doc.items, NEW_ITEM] }, null, 2),
    );
  });
});

for (
  const [name, lines, appended] of [
    [
      "journal",
      JOURNAL_LINES,
      `{"timestamp":"${T}","ordinal":4,"type":"response_item","payload":${NEW_JSON}}\n{"timestamp":"${T}","ordinal":5,"type":"event_msg","payload":${NEW_EVENT}}`,
    ],
    [
      "Codex envelope",
      CODEX_ENVELOPE_LINES,
      `{"timestamp":"${T}","type":"response_item","payload":${NEW_JSON}}\n{"timestamp":"${T}","type":"event_msg","payload":${NEW_EVENT}}`,
    ],
    ["Codex 2025 JSONL", CODEX_2025_LINES, NEW_JSON],
  ] as const
) {
  test(`resume() cuts a ${name}'s torn tail before its first append`, async () => {
    await withDir(async (dir) => {
      const torn = '{"timestamp":"2026-11-26T11:16:00.000Z","ordinal":5,"type":"resp';
      const file = writeFixture(dir, "t.jsonl", jsonl(lines) + torn);
      const { recorder, loaded } = await RolloutRecorder.resume(file, { clock });
      assert.deepEqual(loaded.report.torn_tail, {
        line: lines.length + 1,
        offset: size(jsonl(lines)),
        bytes: size(torn),
      });
      assert.equal(fs.readFileSync(file, "utf8"), jsonl(lines) + torn, "resume alone cuts nothing");
      await recorder.recordItems([NEW_ITEM]);
      await recorder.close();
      assert.equal(fs.readFileSync(file, "utf8"), jsonl([...lines, appended]));
      const after = loadRollout(file);
      assert.equal(after.report.torn_tail, null);
      assert.deepEqual(after.report.skipped_lines, []);
      assert.deepEqual(after.saved.items.at(-1), NEW_ITEM);
    });
  });

  test(`resume() keeps a ${name}'s last record that lacks only its \\n and adds it first`, async () => {
    await withDir(async (dir) => {
      const whole = jsonl(lines);
      const stripped = whole.slice(0, -1);
      const file = writeFixture(dir, "e.jsonl", stripped);
      const { recorder, loaded } = await RolloutRecorder.resume(file, { clock });
      assert.deepEqual(loaded.report.line_end_missing, {
        line: lines.length,
        offset: size(jsonl(lines.slice(0, -1))),
      });
      assert.equal(loaded.report.torn_tail, null);
      assert.deepEqual(loaded.saved, loadRollout(writeFixture(dir, "w.jsonl", whole)).saved);
      assert.equal(fs.readFileSync(file, "utf8"), stripped, "resume alone writes nothing");
      await recorder.recordItems([NEW_ITEM]);
      await recorder.close();
      assert.equal(fs.readFileSync(file, "utf8"), jsonl([...lines, appended]));
      const after = loadRollout(file);
      assert.equal(after.report.line_end_missing, undefined);
      assert.deepEqual(after.report.skipped_lines, []);
      assert.deepEqual(after.saved.items, [...loaded.saved.items, NEW_ITEM]);
    });
  });
}

// Codex continues from the last line it decodes, whatever lies after it
// (codex-rs/rollout/src/ordinal.rs:56-97 at 343074d), and its materialization accepts a
// record reusing the ordinal an unreadable line may have held.
test("resume() continues the ordinals past unreadable lines as Codex does", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "a.jsonl", jsonl([...JOURNAL_LINES, "garbage"]));
    await appendTo(file, null);
    const text = fs.readFileSync(file, "utf8");
    assert.equal(
      text,
      jsonl([
        ...JOURNAL_LINES,
        "garbage",
        `{"timestamp":"${T}","ordinal":4,"type":"response_item","payload":${NEW_JSON}}`,
        `{"timestamp":"${T}","ordinal":5,"type":"event_msg","payload":${NEW_EVENT}}`,
      ]),
    );
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.saved.items, [...JOURNAL_ITEMS, NEW_ITEM]);
    assert.deepEqual(loaded.report.skipped_lines, [
      { line: 6, offset: size(jsonl(JOURNAL_LINES)), message: "not JSON" },
    ]);
    assert.equal(loaded.report.ordinal_errors, undefined);
  });
});

test("resume() refuses what is no rollout and leaves the file as it was", async () => {
  await withDir(async (dir) => {
    const file = writeFixture(dir, "x.jsonl", "hello\n");
    await assert.rejects(RolloutRecorder.resume(file), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${file}": not a rollout (line 1 is not a JSON object)`,
    });
    assert.equal(fs.readFileSync(file, "utf8"), "hello\n");
    assert.deepEqual(fs.readdirSync(dir), ["x.jsonl"]);
  });
});

test("resume() cuts a torn tail longer than maxLineBytes before appending", async () => {
  await withDir(async (dir) => {
    const torn = `{"timestamp":"${T}","ordinal":5,"type":"response_item","payload":"${
      "x".repeat(2000)
    }`;
    const file = writeFixture(dir, "t.jsonl", jsonl(JOURNAL_LINES) + torn);
    const { recorder, loaded } = await RolloutRecorder.resume(file, { clock, maxLineBytes: 1000 });
    assert.deepEqual(loaded.report.torn_tail, {
      line: 6,
      offset: size(jsonl(JOURNAL_LINES)),
      bytes: size(torn),
    });
    assert.equal(loaded.end, size(jsonl(JOURNAL_LINES)));
    await recorder.recordItems([NEW_ITEM]);
    await recorder.close();
    assert.equal(
      fs.readFileSync(file, "utf8"),
      jsonl([
        ...JOURNAL_LINES,
        `{"timestamp":"${T}","ordinal":4,"type":"response_item","payload":${NEW_JSON}}`,
        `{"timestamp":"${T}","ordinal":5,"type":"event_msg","payload":${NEW_EVENT}}`,
      ]),
    );
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { BatchEncoder, type LineRecord } from "../../lib/formats/batch_encoder.ts";
import { encodeLine } from "../../lib/formats/encode.ts";
import type { RolloutFormat } from "../../lib/schemas/rollout_format.ts";
import { prng, randomString, runSeed, withSeed } from "../fixtures_random.ts";

const LINE_FORMATS: RolloutFormat[] = ["journal", "codex_envelope", "codex_jsonl_2025"];
const encoder = new TextEncoder();

/** A record as encodeLine() takes it: the payload as text. */
type TextRecord = LineRecord & { payload: string };

/** The same record with its payload given as UTF-8 bytes (as the op stream's parse thread sends it). */
function asBytes(record: TextRecord): LineRecord {
  return { ...record, payload: encoder.encode(record.payload) };
}

test("BatchEncoder writes the bytes of encodeLine() for every record kind and format", () => {
  const records: TextRecord[] = [
    {
      kind: "session_meta",
      payload: '{"id":"x"}',
      timestamp: "2026-11-26T12:00:00.000Z",
      ordinal: 0,
    },
    {
      kind: "response_item",
      payload: '{"type":"message"}',
      timestamp: "2026-11-26T12:00:00.000Z",
      ordinal: 1,
    },
    {
      kind: "response_item",
      payload: '{"t":"é ✓ 🎉"}',
      timestamp: "2026-11-26T12:00:00.000Z",
      ordinal: 9,
    },
    { kind: "response_item", payload: "{}", timestamp: "2026-11-26T12:00:00.001Z", ordinal: 10 },
    {
      kind: "event_msg",
      payload: '{"type":"agent_message","message":"é"}',
      timestamp: "2026-11-26T12:00:00.001Z",
      ordinal: 11,
    },
    {
      kind: "event_msg",
      payload: '{"type":"user_message","message":"x"}',
      timestamp: "2026-11-26T12:00:00.002Z",
      ordinal: 12,
    },
    {
      kind: "state",
      payload: '{"previous_response_id":"résumé"}',
      timestamp: "2026-11-26T12:00:00.001Z",
      ordinal: 11,
    },
    {
      kind: "response_item",
      payload: "{}",
      timestamp: "2026-11-26T12:00:00.001Z",
      ordinal: 123_456_789,
    },
    {
      kind: "response_item",
      payload: "{}",
      timestamp: "2026-11-26T12:00:00.001Z",
      ordinal: 2 ** 40,
    },
  ];
  for (const format of LINE_FORMATS) {
    const batch = new BatchEncoder(format);
    for (const record of records) batch.add(record);
    const expected = records.map((r) => encodeLine(format, r)).join("");
    assert.equal(new TextDecoder().decode(batch.take()), expected, format);
    // The next batch starts empty, and a discarded one leaves nothing behind.
    batch.add(records[1]!);
    batch.discard();
    batch.add(records[2]!);
    assert.deepEqual(batch.take(), encoder.encode(encodeLine(format, records[2]!)), format);
    // Payloads given as UTF-8 bytes make the same lines.
    for (const record of records) batch.add(asBytes(record));
    assert.equal(new TextDecoder().decode(batch.take()), expected, `${format}, bytes`);
  }
});

test("BatchEncoder matches encodeLine() on random records across many batches", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (const format of LINE_FORMATS) {
      // A small kept buffer makes batches grow and shrink it often.
      const batch = new BatchEncoder(format, { keepBytes: 256 });
      let ordinal = 0;
      for (let round = 0; round < 200; round++) {
        const records: TextRecord[] = [];
        const count = 1 + Math.floor(rand() * 20);
        const timestamp = `2026-11-26T12:00:0${Math.floor(rand() * 3)}.000Z`;
        for (let i = 0; i < count; i++) {
          const kind = rand() < 0.8 ? "response_item" : "state";
          const payload = JSON.stringify({ t: randomString(rand, rand() < 0.1 ? 2000 : 60) });
          records.push({ kind, payload, timestamp, ordinal: ordinal++ });
        }
        for (const record of records) batch.add(rand() < 0.5 ? record : asBytes(record));
        const expected = encoder.encode(records.map((r) => encodeLine(format, r)).join(""));
        assert.deepEqual(batch.take(), expected, `${format}, batch ${round}`);
      }
    }
  });
});

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { parseJson } from "../../lib/base/json_text.ts";
import {
  documentItemText,
  encodeDocument,
  encodeLine,
  statePayload,
} from "../../lib/formats/encode.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import {
  prng,
  randomItem,
  randomString,
  randomValue,
  runSeed,
  withSeed,
} from "../fixtures_random.ts";
import { setup, tempDir } from "../helpers.ts";

const T = "2026-11-26T11:15:28.123Z";

test("encodeLine() writes each line format's exact shape", () => {
  const item = '{"type":"web_search_call"}';
  const state = '{"previous_response_id":"r1"}';
  const record = (
    kind: "session_meta" | "response_item" | "event_msg" | "state",
    payload: string,
  ) => ({
    kind,
    payload,
    timestamp: T,
    ordinal: 7,
  });
  assert.equal(
    encodeLine("journal", record("response_item", item)),
    `{"timestamp":"${T}","ordinal":7,"type":"response_item","payload":${item}}\n`,
  );
  // `state` is no Codex record: it takes no ordinal (SPEC §6).
  assert.equal(
    encodeLine("journal", record("state", "{}")),
    `{"timestamp":"${T}","type":"state","payload":{}}\n`,
  );
  assert.equal(
    encodeLine("journal", record("event_msg", '{"type":"agent_message","message":"m"}')),
    `{"timestamp":"${T}","ordinal":7,"type":"event_msg","payload":{"type":"agent_message","message":"m"}}\n`,
  );
  assert.equal(encodeLine("codex_jsonl_2025", record("event_msg", "{}")), "");
  assert.equal(
    encodeLine("codex_envelope", record("session_meta", '{"id":"x"}')),
    `{"timestamp":"${T}","type":"session_meta","payload":{"id":"x"}}\n`,
  );
  assert.equal(encodeLine("codex_jsonl_2025", record("response_item", item)), `${item}\n`);
  assert.equal(
    encodeLine("codex_jsonl_2025", record("state", state)),
    '{"record_type":"state","previous_response_id":"r1"}\n',
  );
  assert.equal(
    encodeLine("codex_jsonl_2025", record("state", "{}")),
    '{"record_type":"state","previous_response_id":null}\n',
  );
  for (const format of ["document", "codex_ts_document"] as const) {
    assert.throws(() => encodeLine(format, record("state", "{}")), {
      name: "Error",
      message: `encodeLine() called for the document format "${format}"`,
    });
  }
});

test("statePayload() writes {} for no previous response", () => {
  assert.equal(statePayload({}), "{}");
  assert.equal(statePayload({ previous_response_id: "r" }), '{"previous_response_id":"r"}');
});

test("encodeDocument() equals JSON.stringify(doc, null, 2) for random documents", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (let round = 0; round < 200; round++) {
      const meta = { id: randomString(rand), timestamp: T, extra: randomValue(rand, 4) };
      const items = Array.from({ length: Math.floor(rand() * 5) }, () => randomItem(rand));
      const state = rand() < 0.5 ? {} : { previous_response_id: randomString(rand) };
      const withState = rand() < 0.8;
      const expected = JSON.stringify(
        withState ? { session: meta, items, state } : { session: meta, items },
        null,
        2,
      );
      const text = encodeDocument({
        meta,
        itemTexts: items.map(documentItemText),
        state: withState ? state : null,
      });
      assert.equal(text, expected, `round ${round}`);
    }
  });
});

test("encodeLine() output is one line that parses back to its record, for random items", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (let round = 0; round < 500; round++) {
      const item = randomItem(rand);
      const line = encodeLine("journal", {
        kind: "response_item",
        payload: JSON.stringify(item),
        timestamp: T,
        ordinal: round,
      });
      assert.equal(line.indexOf("\n"), line.length - 1);
      assert.deepEqual(parseJson(line), {
        timestamp: T,
        ordinal: round,
        type: "response_item",
        payload: item,
      });
    }
  });
});

for (const format of ["jsonl", "json"] as const) {
  test(`RolloutRecorder (${format}) writes random items that loadRollout() reads back equal`, async () => {
    await setup();
    const seed = runSeed();
    const { dir, cleanup } = tempDir();
    try {
      await withSeed(seed, async () => {
        const rand = prng(seed);
        const recorder = await RolloutRecorder.create({
          home: dir,
          format,
          sync: false,
          meta: { instructions: randomString(rand, 200), cwd: randomString(rand) },
        });
        const items: Record<string, unknown>[] = [];
        let state: { previous_response_id?: string } = {};
        const pending: Promise<unknown>[] = [];
        for (let batch = 0; batch < 30; batch++) {
          const next = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => randomItem(rand));
          items.push(...next);
          pending.push(recorder.recordItems(next));
          if (rand() < 0.3) {
            state = rand() < 0.2 ? {} : { previous_response_id: randomString(rand) };
            pending.push(recorder.recordState(state));
          }
        }
        await Promise.all(pending);
        await recorder.close();
        const loaded = loadRollout(recorder.path!);
        assert.deepEqual(loaded.saved.items, items);
        assert.deepEqual(loaded.saved.state, state);
        assert.deepEqual(loaded.saved.session, recorder.meta);
        assert.deepEqual(loaded.report.skipped_lines, []);
        assert.equal(loaded.report.torn_tail, null);
        if (format === "json") {
          const text = fs.readFileSync(recorder.path!, "utf8");
          assert.equal(text, JSON.stringify({ session: recorder.meta, items, state }, null, 2));
        }
      });
    } finally {
      cleanup();
    }
  });
}

test("encodeJournal() writes the meta, each item with Codex's mirror, and the state (SPEC §2.1)", async () => {
  const { encodeJournal } = await import("../../lib/formats/encode.ts");
  const T = "2026-11-26T11:15:28.123Z";
  const meta = { id: "019abc00-0000-7000-8000-0000000000c1", timestamp: T };
  const user = { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] };
  const answer = {
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: "hello" }],
  };
  const call = { type: "function_call", name: "shell", arguments: "{}", call_id: "c" };
  const out = encodeJournal(
    { session: meta, items: [user, answer, call], state: { previous_response_id: "resp_42" } },
    T,
  );
  const line = (fields: Record<string, unknown>) => `${JSON.stringify(fields)}\n`;
  assert.equal(
    out.text,
    line({ timestamp: T, ordinal: 0, type: "session_meta", payload: meta }) +
      line({ timestamp: T, ordinal: 1, type: "response_item", payload: user }) +
      line({
        timestamp: T,
        ordinal: 2,
        type: "event_msg",
        payload: {
          type: "user_message",
          message: "hi",
          images: [],
          local_images: [],
          text_elements: [],
        },
      }) +
      line({ timestamp: T, ordinal: 3, type: "response_item", payload: answer }) +
      line({
        timestamp: T,
        ordinal: 4,
        type: "event_msg",
        payload: { type: "agent_message", message: "hello", phase: null, memory_citation: null },
      }) +
      line({ timestamp: T, ordinal: 5, type: "response_item", payload: call }) +
      line({ timestamp: T, type: "state", payload: { previous_response_id: "resp_42" } }),
  );
  assert.equal(out.nextOrdinal, 6);
  // No previous response: no state line.
  const bare = encodeJournal({ session: meta, items: [], state: {} }, T);
  assert.deepEqual(bare, {
    text: line({ timestamp: T, ordinal: 0, type: "session_meta", payload: meta }),
    nextOrdinal: 1,
  });
});

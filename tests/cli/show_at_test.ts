import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { TranscriptWriter } from "../../lib/transcript/transcript.ts";
import {
  CODEX_2025_LINES,
  CODEX_ENVELOPE_LINES,
  CODEX_TS_DOCUMENT,
  JOURNAL_LINES,
  jsonl,
  writeFixture,
} from "../fixtures_rollouts.ts";
import { inTempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { fixtureText, idOf, T0, writeSession } from "./fixtures.ts";

const ID = idOf(1);

function withDir(body: (dir: string) => Promise<void>) {
  return () => inTempDir(body);
}

function passed(at: number): string {
  return `\n── ${at - 1} item(s) passed over: the transcript starts at item ${at} ──\n`;
}

/** A Codex rollout with instructions set mid-way and a rollback. */
const TURNS_LINES = [
  '{"timestamp":"2026-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c","timestamp":"2026-01-01T00:00:00.000Z","cwd":"/r","originator":"codex_cli_rs","cli_version":"0.60.0"}}',
  '{"timestamp":"2026-01-01T00:00:01.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"one"}]}}',
  '{"timestamp":"2026-01-01T00:00:02.000Z","type":"turn_context","payload":{"cwd":"/r","user_instructions":"Be brief."}}',
  '{"timestamp":"2026-01-01T00:00:03.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"two"}]}}',
  '{"timestamp":"2026-01-01T00:00:04.000Z","type":"event_msg","payload":{"type":"thread_rolled_back","num_turns":1}}',
  '{"timestamp":"2026-01-01T00:00:05.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"three"}]}}',
];

test(
  "rollout show --at N starts a journal at item N after the header",
  withDir(async (dir) => {
    const file = writeSession(dir, { id: ID });
    assert.deepEqual(await cli(["show", file, "--at", "3"]), {
      code: 0,
      stdout: `Session ${ID}
  file        ${file} (journal)
  created     ${T0}
  cwd         /repo

instructions
  Be terse.
${passed(3)}
tool output [call_1]
  a
  b

assistant
  Two files: a and b.

previous_response_id resp_42
`,
      stderr: "",
    });
  }),
);

test(
  "rollout show --at N counts a Codex rollout's items across a compaction, markers not counted",
  withDir(async (dir) => {
    const file = writeFixture(dir, "codex.jsonl", jsonl(CODEX_ENVELOPE_LINES));
    const header = `Session 0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b
  file        ${file} (codex_envelope)
  created     2025-11-03T09:12:44.498Z
  cwd         /home/dev/repo
  base prompt Codex's stock system prompt, 30 bytes (rollout load shows it)
`;
    const compacted =
      "\n── history compacted: the 7 item(s) above are replaced by 2; a resumed session continues from here ──\n";
    const done = "\nassistant\n  Done.\n";
    // Item 8 comes after the compaction: the marker before it is passed over.
    assert.deepEqual(await cli(["show", file, "--at", "8"]), {
      code: 0,
      stdout: `${header}${passed(8)}${done}`,
      stderr: "",
    });
    assert.deepEqual(await cli(["show", file, "--at", "7"]), {
      code: 0,
      stdout: `${header}${passed(7)}\ntool output [call_p1]\n  Success.\n${compacted}${done}`,
      stderr: "",
    });
  }),
);

test(
  "rollout show --at N passes over the instructions and rollbacks before item N, not after",
  withDir(async (dir) => {
    const file = writeFixture(dir, "turns.jsonl", jsonl(TURNS_LINES));
    const header = `Session 0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c
  file        ${file} (codex_envelope)
  created     2026-01-01T00:00:00.000Z
  cwd         /r
`;
    const rolledBack = "\n── rolled back 1 user turn(s): 2 item(s) above left the history ──\n";
    const whole = await cli(["show", file]);
    assert.equal(
      whole.stdout,
      `${header}\nuser\n  one\n\nuser instructions\n  Be brief.\n\nassistant\n  two\n${rolledBack}\nuser\n  three\n`,
    );
    assert.deepEqual(await cli(["show", file, "--at", "2"]), {
      code: 0,
      stdout: `${header}${passed(2)}\nassistant\n  two\n${rolledBack}\nuser\n  three\n`,
      stderr: "",
    });
    assert.deepEqual(await cli(["show", file, "--at", "3"]), {
      code: 0,
      stdout: `${header}${passed(3)}\nuser\n  three\n`,
      stderr: "",
    });
    // Item 1: nothing to pass over but what comes before the first item.
    assert.equal(
      (await cli(["show", file, "--at", "1"])).stdout,
      `${header}${passed(1)}${whole.stdout.slice(header.length)}`,
    );
  }),
);

test(
  "rollout show --at N reads Codex's 2025 lines and documents, and numbers as the loader does",
  withDir(async (dir) => {
    const files = [
      writeFixture(dir, "bare.jsonl", jsonl(CODEX_2025_LINES)),
      writeFixture(dir, "ts.json", CODEX_TS_DOCUMENT),
      writeSession(dir, { id: ID, format: "document" }),
      writeFixture(dir, "journal.jsonl", jsonl(JOURNAL_LINES)),
      writeFixture(dir, "codex.jsonl", jsonl(CODEX_ENVELOPE_LINES)),
      writeFixture(dir, "turns.jsonl", jsonl(TURNS_LINES)),
    ];
    for (const file of files) {
      const loaded = loadRollout(file, { timeline: true });
      const items = loaded.timeline!.filter((e) => e.kind === "item");
      assert.ok(items.length >= 3, file);
      const writer = new TranscriptWriter({ colour: false, path: file, format: loaded.format });
      for (const [i, item] of items.entries()) {
        const shown = await cli(["show", file, "--at", String(i + 1)]);
        assert.equal(shown.code, 0, `${file} --at ${i + 1}`);
        const after = shown.stdout.split(passed(i + 1))[1]!;
        assert.ok(after.startsWith(writer.entry(item)), `${file} --at ${i + 1}`);
      }
    }
    const bare = files[0]!;
    const last = await cli(["show", bare, "--at", "5"]);
    assert.equal(
      last.stdout.split(passed(5))[1],
      "\nassistant\n  ok\n\nprevious_response_id resp_2\n",
    );
    const document = files[2]!;
    assert.equal(
      (await cli(["show", document, "--at", "4"])).stdout.split(passed(4))[1],
      "\nassistant\n  Two files: a and b.\n\nprevious_response_id resp_42\n",
    );
  }),
);

test(
  "rollout show --at N counts only the items that load: a damaged line is no item",
  withDir(async (dir) => {
    const lines = fixtureText("journal", ID).split("\n");
    // Line 3 (the tool call) becomes unreadable: the tool output is item 2 now.
    lines[2] = "{not json";
    const file = writeSession(dir, { id: ID, text: lines.join("\n") });
    const shown = await cli(["show", file, "--at", "2"]);
    assert.equal(shown.code, 0);
    assert.equal(
      shown.stdout.split(passed(2))[1],
      "\ntool output [call_1]\n  a\n  b\n\nassistant\n  Two files: a and b.\n\nprevious_response_id resp_42\n",
    );
    assert.match(shown.stderr, /line 3 \(byte \d+\): not JSON/);
  }),
);

test(
  "rollout show --at N beyond the last item is an error naming the item count",
  withDir(async (dir) => {
    const file = writeSession(dir, { id: ID });
    const result = await cli(["show", file, "--at", "5"]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `rollout: Cannot show item 5 of "${file}": it has 4 item(s), counted from 1 in file order\n`,
    );
    assert.ok(result.stdout.startsWith(`Session ${ID}\n`));
    assert.ok(!result.stdout.includes("passed over"));
    const usage =
      "Usage: rollout show SESSION [--at N] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n";
    assert.deepEqual(await cli(["show", file, "--at", "0"]), {
      code: 2,
      stdout: "",
      stderr: `rollout show: option "--at" counts items from 1, got "0"\n${usage}`,
    });
    assert.deepEqual(await cli(["show", file, "--at", "two"]), {
      code: 2,
      stdout: "",
      stderr: `rollout show: option "--at" needs a whole number, got "two"\n${usage}`,
    });
  }),
);

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { ASSISTANT, CALL, fixtureText, idOf, ITEMS, USER, writeSession } from "./fixtures.ts";

async function load(file: string): Promise<Record<string, unknown>> {
  const result = await cli(["load", file]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

const STAMP = /\.corrupt-\d{8}T\d{6}Z/g;

/** Repairs `text` written as a file, checks the report, the kept original and the clean copy. */
async function repairCase(
  dir: string,
  options: {
    name: string;
    text: string | Uint8Array;
    report: (file: string) => string;
    items: unknown[];
    /** The state the repaired file keeps (journals: from their state lines). */
    state?: unknown;
  },
): Promise<void> {
  const file = `${dir}/${options.name}`;
  fs.writeFileSync(file, options.text, { mode: 0o600 });
  const result = await cli(["repair", file]);
  assert.deepEqual(
    { ...result, stdout: result.stdout.replace(STAMP, ".corrupt-<time>") },
    { code: 0, stdout: options.report(file), stderr: "" },
    options.name,
  );
  const original = result.stdout.match(/kept as (.*)\n$/)![1]!;
  assert.deepEqual(fs.readFileSync(original), Buffer.from(options.text), options.name);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const check = await cli(["validate", "--json", "--strict", file]);
  assert.equal(check.code, 0, check.stdout);
  assert.deepEqual(JSON.parse(check.stdout)[0].errors, []);
  const repaired = await load(file);
  assert.deepEqual(repaired.items, options.items, options.name);
  if (options.state !== undefined) assert.deepEqual(repaired.state, options.state, options.name);
  assert.deepEqual(
    fs.readdirSync(dir).filter((n) => n.includes(".tmp-") || n.endsWith(".lock")),
    [],
  );
}

test("rollout repair salvages each kind of damage and keeps the original", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const journal = fixtureText("journal", idOf(1));
    const lines = journal.split("\n");
    const at = (n: number) => lines.slice(0, n - 1).join("\n").length + 1;
    await repairCase(dir, {
      name: "torn.jsonl",
      text: journal + '{"timestamp":"2026',
      report: (f) =>
        `Repaired ${f} (journal): kept 4 items, dropped 1:\n  line 7 (byte ${journal.length}): torn tail of 18 byte(s) ignored\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: ITEMS,
      state: { previous_response_id: "resp_42" },
    });
    // Every state line stays where it was, not only the last one's value.
    const states = (file: string) =>
      fs.readFileSync(file, "utf8").split("\n").filter((l) => l.includes('"type":"state"'));
    assert.equal(
      states(`${dir}/torn.jsonl`).length,
      journal.split("\n").filter((l) => l.includes('"type":"state"')).length,
    );
    // A whole last record without its line end (an editor stripped it) is kept, not cut.
    await repairCase(dir, {
      name: "line-end.jsonl",
      text: journal.slice(0, -1),
      report: (f) =>
        `Repaired ${f} (journal): kept 4 items, dropped 0:\n  line 6 (byte ${
          journal.slice(0, -1).lastIndexOf("\n") + 1
        }): the missing line end was added\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: ITEMS,
    });
    assert.equal(fs.readFileSync(`${dir}/line-end.jsonl`, "utf8").endsWith("}\n"), true);
    const garbage = [lines[0], lines[1], "garbage", lines[2], lines[3], lines[4], lines[5], ""]
      .join("\n");
    await repairCase(dir, {
      name: "garbage.jsonl",
      text: garbage,
      report: (f) =>
        `Repaired ${f} (journal): kept 4 items, dropped 1:\n  line 3 (byte ${
          at(3)
        }): not JSON\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: [USER, CALL, ITEMS[2], ASSISTANT],
    });
    const bytes = Buffer.concat([
      Buffer.from(`${lines[0]}\n${lines[1]}\n`),
      Buffer.from([0xff, 0xfe, 0x0a]),
      Buffer.from(`${lines.slice(2).join("\n")}`),
    ]);
    await repairCase(dir, {
      name: "utf8.jsonl",
      text: bytes,
      report: (f) =>
        `Repaired ${f} (journal): kept 4 items, dropped 1:\n  line 3 (byte ${
          at(3)
        }): not valid UTF-8\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: ITEMS,
    });
    const badCall = lines[2]!.replace('"call_id":"call_1"', '"call_id":1');
    await repairCase(dir, {
      name: "schema.jsonl",
      text: [lines[0], lines[1], badCall, ...lines.slice(3)].join("\n"),
      report: (f) =>
        `Repaired ${f} (journal): kept 3 items, dropped 1:\n  line 3 (byte ${
          at(3)
        }): payload.call_id: expected string, got number\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: [USER, ITEMS[2], ASSISTANT],
    });
    // A repeated record is one Codex's resume keeps (SPEC §6): repair keeps it and gives it
    // an ordinal of its own, so Codex's paginated history accepts the file.
    await repairCase(dir, {
      name: "repeat.jsonl",
      text: [lines[0], lines[1], lines[1], ...lines.slice(2)].join("\n"),
      report: (f) =>
        `Repaired ${f} (journal): kept 5 items, dropped 0:\n  line 3 (byte ${
          at(3)
        }): ordinal 1 is not above the previous ordinal 1: Codex expects 2 or more; renumbered\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: [USER, ...ITEMS],
    });
    const envelope = fixtureText("codex_envelope", idOf(2)).split("\n");
    await repairCase(dir, {
      name: "envelope.jsonl",
      text: [envelope[0], envelope[1], "[]", ...envelope.slice(2)].join("\n"),
      report: (f) =>
        `Repaired ${f} (codex_envelope): kept 4 items, dropped 1:\n  line 3 (byte ${
          envelope.slice(0, 2).join("\n").length + 1
        }): not a JSON object\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: ITEMS,
    });
    const doc = JSON.parse(fixtureText("document", idOf(3)));
    doc.items.splice(1, 0, { type: "function_call", name: "x" });
    await repairCase(dir, {
      name: "doc.json",
      text: JSON.stringify(doc, null, 2),
      report: (f) =>
        `Repaired ${f} (document): kept 4 items, dropped 1:\n  items[1].arguments: required string is missing: skipped\nThe original is kept as ${f}.corrupt-<time>\n`,
      items: ITEMS,
    });
    const repaired = JSON.parse(fs.readFileSync(`${dir}/doc.json`, "utf8"));
    assert.deepEqual(repaired.state, { previous_response_id: "resp_42" });
  } finally {
    cleanup();
  }
});

test("rollout repair leaves clean files, non-rollouts and locked files alone", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const clean = writeSession(dir, { id: idOf(1) });
    assert.deepEqual(await cli(["repair", clean]), {
      code: 0,
      stdout: `Nothing to repair in ${clean} (journal, 4 items)\n`,
      stderr: "",
    });
    fs.writeFileSync(`${dir}/notes.jsonl`, "hello\n");
    assert.deepEqual(await cli(["repair", "notes.jsonl"], { cwd: dir }), {
      code: 1,
      stdout: "",
      stderr:
        `rollout: Cannot load rollout "${dir}/notes.jsonl": not a rollout (line 1 is not a JSON object)\n`,
    });
    assert.deepEqual(fs.readdirSync(dir).sort(), ["notes.jsonl", "sessions"]);
    fs.appendFileSync(clean, "{");
    const { RolloutRecorder } = await import("../../lib/store/recorder.ts");
    const held = await RolloutRecorder.resume(clean, { pid: 4242 });
    try {
      const locked = await cli(["repair", clean]);
      assert.deepEqual(locked, {
        code: 1,
        stdout: "",
        stderr: `rollout: Cannot write rollout "${clean}": it is locked by process 4242\n`,
      });
    } finally {
      await held.recorder.close();
    }
  } finally {
    cleanup();
  }
});

test("rollout repair salvages the items of a file whose meta or document structure is damaged", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // A journal whose meta line is damaged: the id and start come from the file name.
    const journal = fixtureText("journal", idOf(1)).split("\n");
    const file = writeSession(dir, {
      id: idOf(1),
      text: [
        '{"timestamp":"2026-11-26T11:15:29.000Z","ordinal":0,"type":"session_m',
        ...journal.slice(1),
      ]
        .join("\n"),
    });
    const result = await cli(["repair", file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /kept 4 items, dropped 0:\n {2}the session meta could not be read; rebuilt with the id from the file name and the start from the file name\n/,
    );
    const loaded = await load(file);
    assert.deepEqual(loaded.items, ITEMS);
    assert.equal((loaded.session as { id: string }).id, idOf(1));
    assert.deepEqual(loaded.state, { previous_response_id: "resp_42" });
    // A document with a stray character, and one cut short: the items that read on their own.
    const doc = fixtureText("document", idOf(2));
    const stray = `${dir}/stray.json`;
    fs.writeFileSync(stray, doc.replace('"items": [', '"items": [x'));
    assert.equal((await cli(["repair", stray])).code, 0);
    assert.deepEqual((await load(stray)).items, ITEMS);
    assert.equal(((await load(stray)).session as { id: string }).id, idOf(2));
    // Its state too, when it still reads.
    assert.deepEqual((await load(stray)).state, { previous_response_id: "resp_42" });
    const cut = `${dir}/cut.json`;
    fs.writeFileSync(
      cut,
      doc.slice(0, doc.indexOf('"call_1"', doc.indexOf("function_call_output"))),
    );
    assert.equal((await cli(["repair", cut])).code, 0);
    assert.deepEqual((await load(cut)).items, [USER, CALL]);
    // Items rollout does not write itself but Codex keeps (reasoning) are kept too, and the
    // 2025 format's state line.
    const reasoning = { type: "reasoning", summary: [], encrypted_content: "gAAAA" };
    const withReasoning = writeSession(dir, {
      id: idOf(3),
      text: [
        '{"timestamp":"2026-11-26T11:15:29.000Z","ordinal":0,"type":"session_m',
        JSON.stringify({
          timestamp: "2026-11-26T11:15:30.000Z",
          type: "response_item",
          payload: USER,
        }),
        JSON.stringify({
          timestamp: "2026-11-26T11:15:31.000Z",
          type: "response_item",
          payload: reasoning,
        }),
      ].join("\n") + "\n",
    });
    assert.equal((await cli(["repair", withReasoning])).code, 0);
    assert.deepEqual((await load(withReasoning)).items, [USER, reasoning]);
    const bare = `${dir}/bare.jsonl`;
    fs.writeFileSync(
      bare,
      ['{"id":"x', JSON.stringify(USER), '{"record_type":"state","previous_response_id":"r7"}']
        .join("\n") + "\n",
    );
    assert.equal((await cli(["repair", bare])).code, 0);
    const repaired = await load(bare);
    assert.deepEqual([repaired.items, repaired.state], [[USER], { previous_response_id: "r7" }]);
    // Nothing of a rollout in it: left alone, with the loader's reason.
    fs.writeFileSync(`${dir}/notes.json`, '{"hello": [1, 2');
    assert.equal((await cli(["repair", `${dir}/notes.json`])).code, 1);
    assert.equal(fs.readFileSync(`${dir}/notes.json`, "utf8"), '{"hello": [1, 2');
  } finally {
    cleanup();
  }
});

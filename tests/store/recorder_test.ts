import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { readLines, setup, tempDir, userMessage } from "../helpers.ts";

const clock = () => new Date("2026-11-26T11:15:28.123Z");

test("RolloutRecorder.create() writes a Codex paginated rollout: meta, items with their event_msg mirrors, a state without ordinal (SPEC §2.1, §6)", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const rec = await RolloutRecorder.create({
      home: dir,
      clock,
      meta: { id: "019abc00-0000-7000-8000-000000000001", instructions: "Be terse.", cwd: "/repo" },
    });
    await rec.recordItems([userMessage("list files")]);
    await rec.recordState({ previous_response_id: "resp_42" });
    await rec.recordState({ previous_response_id: "resp_42" });
    await rec.close();
    assert.equal(
      rec.path,
      `${dir}/sessions/2026/11/26/rollout-2026-11-26T11-15-28-019abc00-0000-7000-8000-000000000001.jsonl`,
    );
    assert.deepEqual(readLines(rec.path!), [
      '{"timestamp":"2026-11-26T11:15:28.123Z","ordinal":0,"type":"session_meta","payload":{"id":"019abc00-0000-7000-8000-000000000001","timestamp":"2026-11-26T11:15:28.123Z","instructions":"Be terse.","cwd":"/repo","originator":"rollout","cli_version":"0.1.0","source":"cli","history_mode":"paginated"}}',
      '{"timestamp":"2026-11-26T11:15:28.123Z","ordinal":1,"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"list files"}]}}',
      '{"timestamp":"2026-11-26T11:15:28.123Z","ordinal":2,"type":"event_msg","payload":{"type":"user_message","message":"list files","images":[],"local_images":[],"text_elements":[]}}',
      '{"timestamp":"2026-11-26T11:15:28.123Z","type":"state","payload":{"previous_response_id":"resp_42"}}',
    ]);
    assert.equal(fs.statSync(rec.path!).mode & 0o777, 0o600);
    assert.equal(fs.statSync(`${dir}/sessions/2026`).mode & 0o777, 0o700);
    assert.equal(fs.existsSync(`${rec.path}.lock`), false);
  } finally {
    cleanup();
  }
});

test("RolloutRecorder.recordItems() keeps call order under 10,000 concurrent calls", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const rec = await RolloutRecorder.create({ home: dir });
    const calls = [];
    for (let i = 0; i < 10_000; i++) calls.push(rec.recordItems([userMessage(`m${i}`)]));
    const acks = await Promise.all(calls);
    await rec.close();
    assert.deepEqual(acks.map((a) => a.item_count), acks.map((_, i) => i + 1));
    const loaded = loadRollout(rec.path!);
    assert.deepEqual(
      loaded.saved.items.map((item) => (item.content as { text: string }[])[0]!.text),
      acks.map((_, i) => `m${i}`),
    );
  } finally {
    cleanup();
  }
});

test("RolloutRecorder.resume() through a symbolic link is refused while the real file is open", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const rec = await RolloutRecorder.create({ home: dir });
    const alias = `${dir}/alias.jsonl`;
    fs.symlinkSync(rec.path!, alias);
    await assert.rejects(RolloutRecorder.resume(alias), (error: unknown) => {
      assert.ok(error instanceof RolloutError);
      assert.equal(error.code, "locked");
      assert.equal(
        error.message,
        `Cannot write rollout "${alias}": it is locked by process ${process.pid}`,
      );
      return true;
    });
    await rec.close();
  } finally {
    cleanup();
  }
});

test("RolloutRecorder.recordItems() reports the first failing item, whether too long or invalid", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // A fixed cwd: the default (the process's folder) would make the meta as long as the path
    // the repository was cloned to.
    const rec = await RolloutRecorder.create({
      home: dir,
      maxLineBytes: 300,
      clock,
      meta: { cwd: "/repo" },
    });
    const before = fs.readFileSync(rec.path!, "utf8");
    const long = userMessage("l".repeat(300));
    await assert.rejects(rec.recordItems([userMessage("ok"), long, {}], { where: "op.items" }), {
      code: "line_too_long",
      message: /^op\.items\[1\]: the encoded record is \d+ bytes, above the limit of 300 bytes$/,
    });
    await assert.rejects(rec.recordItems([userMessage("ok"), {}, long], { where: "op.items" }), {
      code: "invalid_submission",
      message: /^op\.items\[1\]/,
    });
    // Nothing of either call was written, and the recorder carries on.
    await rec.recordItems([{ type: "reasoning", id: "r" }, userMessage("after")]);
    await rec.close();
    const added = fs.readFileSync(rec.path!, "utf8").slice(before.length).trim().split("\n");
    assert.equal(added.length, 2);
    assert.deepEqual(JSON.parse(added[0]!).payload, userMessage("after"));
    assert.equal(JSON.parse(added[1]!).payload.message, "after");
  } finally {
    cleanup();
  }
});

test("RolloutRecorder refuses a state or a meta above maxLineBytes before writing anything", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(
      RolloutRecorder.create({
        home: dir,
        maxLineBytes: 300,
        meta: { instructions: "i".repeat(300), cwd: "/repo" },
      }),
      {
        code: "line_too_long",
        message: /^session meta: the encoded record is \d+ bytes, above the limit of 300 bytes$/,
      },
    );
    assert.equal(fs.existsSync(`${dir}/sessions`), false);
    const rec = await RolloutRecorder.create({
      home: dir,
      maxLineBytes: 300,
      clock,
      meta: { cwd: "/repo" },
    });
    const before = fs.readFileSync(rec.path!, "utf8");
    await assert.rejects(rec.recordState({ previous_response_id: "r".repeat(250) }), {
      code: "line_too_long",
      message:
        /^previous_response_id: the encoded state is \d+ bytes, above the limit of 300 bytes$/,
    });
    await rec.close();
    assert.equal(fs.readFileSync(rec.path!, "utf8"), before);
  } finally {
    cleanup();
  }
});

test("RolloutRecorder keeps prepared items as bytes until read; items only ever holds decoded items", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const rec = await RolloutRecorder.create({ home: dir, clock });
    const encoder = new TextEncoder();
    const bytesOf = (text: string) => ({
      type: "message",
      payload: encoder.encode(JSON.stringify(userMessage(text))),
    });
    await rec.recordPrepared({ where: "op.items", items: [bytesOf("a")], error: null });
    const held = rec.items;
    assert.deepEqual(held, [userMessage("a")]);
    await rec.recordPrepared({ where: "op.items", items: [bytesOf("b")], error: null });
    await rec.recordItems([userMessage("c")]);
    assert.equal(rec.itemCount, 3);
    // The array read earlier never shows an undecoded entry; reading again brings it up to date.
    for (const item of held) assert.equal(item instanceof Uint8Array, false);
    assert.deepEqual(rec.items, [userMessage("a"), userMessage("b"), userMessage("c")]);
    assert.deepEqual(rec.saved().items, rec.items);
    await rec.close();
    assert.deepEqual(loadRollout(rec.path!).saved.items, rec.items);
  } finally {
    cleanup();
  }
});

test("RolloutRecorder.create() over an existing file is refused with invalid_argument and changes nothing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = `${dir}/taken.jsonl`;
    fs.writeFileSync(file, "someone else's file\n", { mode: 0o600 });
    for (const format of ["jsonl", "json"] as const) {
      await assert.rejects(RolloutRecorder.create({ home: dir, path: file, format, clock }), {
        code: "invalid_argument",
        message: `Cannot create rollout "${file}": it exists`,
      });
    }
    assert.equal(fs.readFileSync(file, "utf8"), "someone else's file\n");
    assert.deepEqual(fs.readdirSync(dir), ["taken.jsonl"], "no lock, no temporary file left");
  } finally {
    cleanup();
  }
});

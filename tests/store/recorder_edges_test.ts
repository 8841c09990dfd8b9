/**
 * The recorder's options and edges, from its surviving mutants: redaction by option and by
 * the session's mark, documents, no lock, sessions in memory, the byte limits, archived
 * sessions resumed from their `.jsonl.zst`, compressed data under a plain name, and a
 * recorder used after it closed.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import * as zlib from "node:zlib";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { archiveRollout, RolloutRecorder } from "../../lib/store/mod.ts";
import { buildMeta } from "../../lib/store/new_rollout.ts";
import type { ResponseItem } from "../../lib/schemas/mod.ts";
import { SecretMaker } from "../redaction/secret_samples.ts";
import { inTempDir as inTemp, userMessage } from "../helpers.ts";

const clock = () => new Date("2026-11-26T11:15:28.123Z");
const ID = "019abc00-0000-7000-8000-0000000000e1";

function token(seed: number): string {
  return `gh${"p"}_${new SecretMaker(seed).chars("abcdefABCDEF0123456789", 36)}`;
}

test("a session made with redact is marked, and redacts whenever it is resumed", async () => {
  await inTemp(async (dir) => {
    const secret = token(1);
    const rec = await RolloutRecorder.create({
      home: dir,
      clock,
      redact: true,
      meta: { id: ID, instructions: `deploy with ${secret}` },
      items: [userMessage(`first ${secret}`) as ResponseItem],
    });
    assert.equal(rec.redacts, true);
    const ack = await rec.recordItems([userMessage(`again ${secret}`)]);
    assert.deepEqual(ack.redacted, { github: 1 });
    await rec.close();
    const text = fs.readFileSync(rec.path!, "utf8");
    assert.ok(!text.includes(secret), "a secret reached the disk");
    const meta = loadRollout(rec.path!).rawMeta;
    assert.equal(meta.rollout_redact, true);
    assert.equal(meta.instructions, "deploy with [REDACTED:github]");

    // Resumed without the option: the mark decides.
    const { recorder } = await RolloutRecorder.resume(rec.path!);
    assert.equal(recorder.redacts, true);
    const later = await recorder.recordItems([userMessage(`later ${secret}`)]);
    assert.deepEqual(later.redacted, { github: 1 });
    await recorder.close();
    assert.ok(!fs.readFileSync(rec.path!, "utf8").includes(secret));
  });
});

test("a session made without redact records secrets as given, and acknowledges no counts", async () => {
  await inTemp(async (dir) => {
    const secret = token(2);
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    assert.equal(rec.redacts, false);
    const ack = await rec.recordItems([userMessage(secret)]);
    assert.equal(ack.redacted, undefined);
    assert.deepEqual(ack, { recorded: 1, dropped: [], item_count: 1 });
    await rec.close();
    assert.ok(fs.readFileSync(rec.path!, "utf8").includes(secret));
    assert.equal("rollout_redact" in loadRollout(rec.path!).rawMeta, false);
    // Resumed with the option, it redacts from then on.
    const { recorder } = await RolloutRecorder.resume(rec.path!, { redact: true });
    assert.equal(recorder.redacts, true);
    assert.deepEqual((await recorder.recordItems([userMessage(secret)])).redacted, { github: 1 });
    await recorder.close();
  });
});

test("a document is made with format json: its own path, format and meta", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({
      home: dir,
      clock,
      format: "json",
      meta: { id: ID },
    });
    assert.equal(rec.format, "document");
    assert.equal(rec.id, ID);
    assert.ok(rec.path!.endsWith(`${ID}.json`), rec.path!);
    await rec.recordItems([userMessage("hi")]);
    await rec.recordState({ previous_response_id: "r1" });
    assert.deepEqual(rec.state, { previous_response_id: "r1" });
    await rec.close();
    const loaded = loadRollout(rec.path!);
    assert.equal(loaded.format, "document");
    assert.equal(loaded.saved.items.length, 1);
    assert.equal(loaded.rawMeta.history_mode, undefined, "a document is no Codex line file");
    assert.deepEqual(loaded.saved.state, { previous_response_id: "r1" });
  });
});

test("lock: false takes no writer lock, on create and on resume", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, lock: false, meta: { id: ID } });
    assert.equal(fs.existsSync(`${rec.path}.lock`), false);
    // Another writer with the lock is not stopped by one without.
    const { recorder } = await RolloutRecorder.resume(rec.path!, { pid: 77 });
    assert.equal(fs.readFileSync(`${rec.path}.lock`, "utf8"), "77\n");
    await recorder.close();
    await rec.close();
    const again = await RolloutRecorder.resume(rec.path!, { lock: false });
    assert.equal(fs.existsSync(`${rec.path}.lock`), false);
    await again.recorder.close();
  });
});

test("a session in memory: no file, the given start, its clock, redaction marked", async () => {
  const items = [userMessage("one") as ResponseItem];
  const rec = RolloutRecorder.inMemory({
    meta: { id: ID },
    items,
    state: { previous_response_id: "r0" },
    clock,
  });
  assert.equal(rec.path, null);
  assert.equal(rec.format, "journal");
  assert.equal(rec.meta.timestamp, clock().toISOString());
  assert.equal(rec.meta.originator, "rollout");
  assert.equal("history_mode" in rec.meta, false);
  assert.equal(rec.redacts, false);
  assert.deepEqual(rec.saved(), {
    session: rec.meta,
    items: [userMessage("one")],
    state: { previous_response_id: "r0" },
  });
  // The recorder holds its own copy of what it was given.
  items.push(userMessage("two") as ResponseItem);
  assert.equal(rec.itemCount, 1);
  assert.deepEqual(await rec.recordItems([userMessage("three")]), {
    recorded: 1,
    dropped: [],
    item_count: 2,
  });
  await rec.close();
  await assert.rejects(rec.recordItems([userMessage("late")]), {
    code: "io_error",
    message: 'Rollout "(memory)" is closed',
  });

  const secret = token(3);
  const redacting = RolloutRecorder.inMemory({ redact: true });
  assert.equal(redacting.meta.rollout_redact, true);
  assert.equal(redacting.redacts, true);
  assert.match(redacting.meta.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(redacting.state, {});
  assert.deepEqual((await redacting.recordItems([userMessage(secret)])).redacted, { github: 1 });
  assert.ok(!JSON.stringify(redacting.items).includes(secret));
});

test("the byte options are checked: a batch of at least 1 byte, a background sync from 0", async () => {
  await inTemp(async (dir) => {
    for (const bad of [{ maxBatchBytes: 0 }, { maxBatchBytes: Number.NaN }]) {
      assert.throws(() => RolloutRecorder.inMemory(bad), RangeError, JSON.stringify(bad));
    }
    assert.throws(() => RolloutRecorder.inMemory({ backgroundSyncBytes: -1 }), {
      name: "RangeError",
      message: "backgroundSyncBytes must be at least 0, got -1",
    });
    await assert.rejects(
      RolloutRecorder.create({ home: dir, maxBatchBytes: 0 }),
      { name: "RangeError", message: "maxBatchBytes must be at least 1, got 0" },
    );
    // The smallest allowed values work: every op is a batch of its own, every sync inline.
    const rec = await RolloutRecorder.create({
      home: dir,
      clock,
      meta: { id: ID },
      maxBatchBytes: 1,
      backgroundSyncBytes: 0,
    });
    const acks = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rec.recordItems([userMessage(`m${i}`)])),
    );
    assert.deepEqual(acks.map((a) => a.item_count), Array.from({ length: 20 }, (_, i) => i + 1));
    await rec.close();
    assert.equal(loadRollout(rec.path!).saved.items.length, 20);
  });
});

test("a new session's meta must fit the line limit with room for its envelope (96 bytes)", async () => {
  await inTemp(async (dir) => {
    const given = { id: ID, cwd: "/repo", instructions: "x".repeat(300) };
    const meta = buildMeta(given, clock(), { lines: true });
    const size = new TextEncoder().encode(JSON.stringify(meta)).length + 96;
    await assert.rejects(
      RolloutRecorder.create({ home: dir, clock, meta: given, maxLineBytes: size - 1 }),
      {
        code: "line_too_long",
        message: `session meta: the encoded record is ${size} bytes, above the limit of ${
          size - 1
        } bytes`,
      },
    );
    assert.equal(fs.existsSync(path.join(dir, "sessions")), false, "something was written");
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: given, maxLineBytes: size });
    await rec.close();
    assert.equal(loadRollout(rec.path!).saved.session.instructions, "x".repeat(300));
  });
});

test("an archived session is restored before it is written, named by either of its names", async () => {
  await inTemp(async (dir) => {
    for (const by of ["plain", "zst"] as const) {
      const rec = await RolloutRecorder.create({
        home: dir,
        clock,
        meta: { id: by === "plain" ? ID : "019abc00-0000-7000-8000-0000000000e2" },
      });
      await rec.recordItems([userMessage("before")]);
      await rec.close();
      const plain = rec.path!;
      const outcome = await archiveRollout(plain, { sync: false });
      assert.equal(outcome.status, "archived", JSON.stringify(outcome));
      assert.equal(fs.existsSync(plain), false);
      const named = by === "plain" ? plain : `${plain}.zst`;
      const { recorder, restored, loaded } = await RolloutRecorder.resume(named);
      assert.equal(restored, `${plain}.zst`, by);
      assert.equal(recorder.path, plain, by);
      assert.equal(loaded.saved.items.length, 1);
      await recorder.recordItems([userMessage("after")]);
      await recorder.close();
      assert.equal(fs.existsSync(`${plain}.zst`), false, `${by}: the archive stayed`);
      assert.deepEqual(
        loadRollout(plain).saved.items.map((item) => JSON.stringify(item)),
        [userMessage("before"), userMessage("after")].map((item) => JSON.stringify(item)),
      );
    }
  });
});

test("a plain session is resumed as it is: nothing restored, an unrelated .zst left alone", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    await rec.close();
    const { recorder, restored } = await RolloutRecorder.resume(rec.path!);
    assert.equal(restored, null);
    await recorder.close();
    // A name that is neither the file nor its archive is not found.
    await assert.rejects(RolloutRecorder.resume(path.join(dir, "none.jsonl")), {
      code: "not_found",
    });
    // A .zst beside a missing journal that holds no zstd is not taken for its archive.
    const fake = path.join(dir, "fake.jsonl");
    fs.writeFileSync(`${fake}.zst`, "not zstd at all\n");
    await assert.rejects(RolloutRecorder.resume(fake), { code: "not_found" });
    assert.equal(fs.readFileSync(`${fake}.zst`, "utf8"), "not zstd at all\n");
  });
});

test("zstd data under a plain name is refused with what to do, and left as it was", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    await rec.recordItems([userMessage("x")]);
    await rec.close();
    const packed = zlib.zstdCompressSync(fs.readFileSync(rec.path!));
    fs.writeFileSync(rec.path!, packed);
    await assert.rejects(RolloutRecorder.resume(rec.path!), {
      code: "invalid_rollout",
      message:
        `Cannot write rollout "${rec.path}": it holds zstd-compressed data under a plain name; rename it to end in .jsonl.zst (rollout then restores it before writing) or decompress it (zstd -d)`,
    });
    assert.deepEqual(new Uint8Array(fs.readFileSync(rec.path!)), new Uint8Array(packed));
    assert.equal(fs.existsSync(`${rec.path}.lock`), false, "the lock was kept");
  });
});

test("a closed recorder refuses items and states, naming its file", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    await rec.close();
    await rec.close();
    const closed = { code: "io_error", message: `Rollout "${rec.path}" is closed` };
    await assert.rejects(rec.recordItems([userMessage("late")]), closed);
    await assert.rejects(rec.recordState({ previous_response_id: "late" }), closed);
  });
});

test("recordItems names the failing item by the caller's word for the list", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    const bad = { type: "message", role: "user", content: 5 };
    await assert.rejects(rec.recordItems([userMessage("ok"), bad]), {
      code: "invalid_submission",
      message: /^items\[1\]/,
    });
    await assert.rejects(rec.recordItems([bad], { where: "op.items" }), {
      code: "invalid_submission",
      message: /^op\.items\[0\]/,
    });
    assert.equal(rec.itemCount, 0);
    await rec.close();
  });
});

test("a state is measured in UTF-8 bytes with its envelope, and may fill the limit exactly", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({
      home: dir,
      clock,
      meta: { id: ID },
      maxLineBytes: 2_000,
    });
    // 1,000 characters of two bytes each: 2,027 bytes of JSON, not 1,027.
    const wide = { previous_response_id: "é".repeat(1_000) };
    await assert.rejects(rec.recordState(wide), {
      code: "line_too_long",
      message:
        "previous_response_id: the encoded state is 2123 bytes, above the limit of 2000 bytes",
    });
    // Its JSON and the 96 bytes of envelope make exactly the limit: accepted.
    const exact = { previous_response_id: "r".repeat(2_000 - 96 - 27) };
    assert.equal(JSON.stringify(exact).length + 96, 2_000);
    await rec.recordState(exact);
    await assert.rejects(
      rec.recordState({ previous_response_id: `${exact.previous_response_id}r` }),
      {
        code: "line_too_long",
      },
    );
    await rec.close();
    assert.deepEqual(loadRollout(rec.path!).saved.state, exact);
  });
});

test("items nested deeper than the limit are refused unless the caller checked them", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    let deep: unknown = "x";
    for (let i = 0; i < 1_100; i++) deep = [deep];
    const item = {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "t" }],
      deep,
    };
    await assert.rejects(rec.recordItems([item]), {
      code: "invalid_submission",
      message: /^items\[0\]: nested deeper than 1000 levels/,
    });
    assert.equal(rec.itemCount, 0);
    await rec.close();
  });
});

test("an archive's name resumes its journal when only the journal is there", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    await rec.close();
    const { recorder, restored } = await RolloutRecorder.resume(`${rec.path}.zst`);
    assert.equal(recorder.path, rec.path);
    assert.equal(restored, null);
    await recorder.recordItems([userMessage("x")]);
    await recorder.close();
    assert.equal(fs.existsSync(`${rec.path}.zst`), false);
    assert.equal(loadRollout(rec.path!).saved.items.length, 1);
    // Neither name there: the archive's name is not found.
    await assert.rejects(RolloutRecorder.resume(path.join(dir, "gone.jsonl.zst")), {
      code: "not_found",
    });
  });
});

test("an archive's name holding no zstd is refused, not taken for the journal beside it", async () => {
  await inTemp(async (dir) => {
    const rec = await RolloutRecorder.create({ home: dir, clock, meta: { id: ID } });
    await rec.close();
    const before = fs.readFileSync(rec.path!, "utf8");
    fs.writeFileSync(`${rec.path}.zst`, "plain text, no zstd\n");
    await assert.rejects(RolloutRecorder.resume(`${rec.path}.zst`), (error: Error) => {
      assert.match(error.message, /\.jsonl\.zst/);
      return true;
    });
    assert.equal(fs.readFileSync(rec.path!, "utf8"), before);
  });
});

/**
 * The op stream's session host and op handlers at their edges: a load while the current file
 * is gone, null fields in `configure_session`, an op refused by the recorder after it was read,
 * and failures that are no RolloutError.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { errorEvent } from "../../lib/proto/op_handlers.ts";
import { runProto } from "../../lib/proto/run_proto.ts";
import { RolloutError } from "../../lib/schemas/mod.ts";
import { readLines, setup, tempDir } from "../helpers.ts";
import { fakeIo, lines, runScript } from "./fake_io.ts";

const encoder = new TextEncoder();

test("errorEvent() keeps a RolloutError's code and calls anything else an internal error", () => {
  assert.deepEqual(errorEvent(new RolloutError("not_found", "no such session")), {
    type: "error",
    code: "not_found",
    message: "no such session",
  });
  assert.deepEqual(errorEvent(new TypeError("x is undefined")), {
    type: "error",
    code: "io_error",
    message: "Internal error: x is undefined",
  });
});

test("a load of a missing file names that file, even when the current session's file is gone", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const missing = path.join(dir, "nowhere", "rollout-missing.jsonl");
    // The second op is read only once the first was answered and its file removed.
    let configured: () => void = () => {};
    const answered = new Promise<void>((resolve) => (configured = resolve));
    const stdin = (async function* () {
      yield encoder.encode(lines([{ id: "1", op: { type: "configure_session" } }]));
      await answered;
      yield encoder.encode(
        lines([{ id: "2", op: { type: "configure_session", resume_path: missing } }]),
      );
    })();
    const io = fakeIo(stdin, {
      write: (line) => {
        const event = JSON.parse(line) as { id: string; msg: { rollout_path?: string } };
        if (event.id === "1") {
          fs.rmSync(String(event.msg.rollout_path));
          configured();
        }
        return Promise.resolve();
      },
    });
    const status = await runProto(
      { home: dir, format: "jsonl", sync: false, maxLineBytes: 1 << 20 },
      io,
    );
    assert.equal(status, 0);
    const answer = io.events()[1]!.msg;
    assert.equal(answer.type, "error", JSON.stringify(answer));
    assert.equal(answer.code, "not_found", String(answer.message));
    assert.equal(answer.message, `Cannot load rollout "${missing}": no such file or directory`);
  } finally {
    cleanup();
  }
});

test("configure_session with null instructions and model writes neither into the meta", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const run = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", instructions: null, model: null } },
        { id: "2", op: { type: "shutdown" } },
      ]),
      { home: dir },
    );
    const file = String(run.events[0]!.msg.rollout_path);
    const meta = (JSON.parse(readLines(file)[0]!) as { payload: Record<string, unknown> }).payload;
    assert.equal("instructions" in meta, false, JSON.stringify(meta));
    assert.equal("model" in meta, false, JSON.stringify(meta));
    assert.equal(run.events[0]!.msg.model, "");
  } finally {
    cleanup();
  }
});

test("a user_input that fits in its line but not as a record is refused by its place in the op", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const cap = 700;
    const input = {
      id: "u",
      op: { type: "user_input", items: [{ type: "text", text: "y".repeat(600) }] },
    };
    assert.ok(JSON.stringify(input).length < cap);
    const run = await runScript(
      lines([{ id: "1", op: { type: "configure_session" } }, input]),
      { home: dir, maxLineBytes: cap },
    );
    const answer = run.events[1]!.msg;
    assert.equal(answer.type, "error", JSON.stringify(answer));
    assert.equal(answer.code, "line_too_long");
    assert.match(
      String(answer.message),
      new RegExp(
        `^op\\.message\\[0\\]: the encoded record is \\d+ bytes, above the limit of ${cap} bytes$`,
      ),
    );
  } finally {
    cleanup();
  }
});

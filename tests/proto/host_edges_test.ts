/**
 * The op stream's session host and op handlers at their edges: a load while the current file
 * is gone, null fields in `configure_session`, an op refused by the recorder after it was read,
 * failures that are no RolloutError, a reload under the session's line cap, and sessions that
 * cannot be closed.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { errorEvent } from "../../lib/proto/op_handlers.ts";
import { runProto } from "../../lib/proto/run_proto.ts";
import { RolloutError } from "../../lib/schemas/mod.ts";
import { readLines, setup, tempDir, userMessage } from "../helpers.ts";
import { answers, type FakeIo, fakeIo, lines, protoOptions, runScript } from "./fake_io.ts";

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
        `^op\\.items, as one user message: the encoded record is \\d+ bytes, above the limit of ${cap} bytes$`,
      ),
    );
  } finally {
    cleanup();
  }
});

test("loading the current session's file again reports its damage by the session's line cap", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const wrote = await runScript(
      lines([
        { id: "1", op: { type: "configure_session" } },
        { id: "2", op: { type: "record_items", items: [userMessage("z".repeat(3000))] } },
        { id: "3", op: { type: "record_items", items: [userMessage("short")] } },
        { id: "4", op: { type: "shutdown" } },
      ]),
      { home: dir },
    );
    const file = String(wrote.events[0]!.msg.rollout_path);
    // The message and its event_msg mirror.
    const longLines = readLines(file).flatMap((line, i) => line.length > 3000 ? [i + 1] : []);
    assert.equal(longLines.length, 2);
    // Under a cap of 2,000 bytes the long records are skipped, on the first load and on the
    // reload of the same file, which must not fall back to a larger default cap.
    const run = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", resume_path: file } },
        { id: "2", op: { type: "load_session", path: file } },
      ]),
      { home: dir, maxLineBytes: 2000 },
    );
    const skippedLines = (n: number) =>
      (run.events[n]!.msg.skipped as { skipped_lines: { line: number }[] }).skipped_lines
        .map((s) => s.line);
    assert.equal(run.events[0]!.msg.type, "session_loaded", JSON.stringify(run.events[0]));
    assert.deepEqual(skippedLines(0), longLines);
    assert.equal(run.events[1]!.msg.type, "session_loaded", JSON.stringify(run.events[1]));
    assert.deepEqual(skippedLines(1), longLines);
  } finally {
    cleanup();
  }
});

/** A document rollout made in `dir/home` by a session of its own; returns its path. */
async function documentSession(dir: string): Promise<string> {
  const wrote = await runScript(
    lines([{ id: "1", op: { type: "configure_session" } }, { id: "2", op: { type: "shutdown" } }]),
    { home: path.join(dir, "home"), format: "json" },
  );
  const file = wrote.events[0]?.msg.rollout_path;
  // The caller removes this file's folder: it must be the one just made, under `dir`.
  assert.ok(
    typeof file === "string" && file.startsWith(`${dir}/home/sessions/`),
    JSON.stringify(wrote.events),
  );
  return file;
}

/**
 * An op stream that loads the document rollout `doomed` (made by `documentSession`), then
 * removes its folder and sends `after`: the session's next write fails, and so does the
 * rewrite that closing it tries. `answered(id, io)` sees each answer as it is written; with
 * `open`, stdin ends only once it resolves.
 */
function doomedStream(
  doomed: string,
  after: unknown[],
  answered: (id: string, io: FakeIo) => void = () => {},
  open: Promise<void> = Promise.resolve(),
): FakeIo {
  let loaded: () => void = () => {};
  const folderGone = new Promise<void>((resolve) => (loaded = resolve));
  const stdin = (async function* () {
    yield encoder.encode(
      lines([{ id: "1", op: { type: "configure_session", resume_path: doomed } }]),
    );
    await folderGone;
    yield encoder.encode(lines(after));
    await open;
  })();
  const io: FakeIo = fakeIo(stdin, {
    write: (text) => {
      for (const line of text.split("\n").filter((line) => line !== "")) {
        const { id } = JSON.parse(line) as { id: string };
        if (id === "1") {
          fs.rmSync(path.dirname(doomed), { recursive: true });
          loaded();
        }
        answered(id, io);
      }
      return Promise.resolve();
    },
  });
  return io;
}

test("a previous session that cannot be closed is named on stderr and the loaded one takes over", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const doomed = await documentSession(dir);
    const other = path.join(dir, "other.json");
    fs.renameSync(await documentSession(dir), other);
    const io = doomedStream(doomed, [
      { id: "2", op: { type: "record_items", items: [userMessage("lost")] } },
      { id: "3", op: { type: "load_session", path: other } },
      { id: "4", op: { type: "record_items", items: [userMessage("kept")] } },
    ]);
    const status = await runProto(protoOptions(dir), io);
    assert.equal(status, 0, JSON.stringify([io.err, io.events()]));
    const [load, lost, swap, kept] = io.events().map((event) => event.msg);
    assert.equal(load!.type, "session_loaded", JSON.stringify(load));
    assert.equal(lost!.type, "error", JSON.stringify(lost));
    assert.equal(swap!.type, "session_loaded", JSON.stringify(swap));
    assert.equal(swap!.rollout_path, other);
    assert.equal(kept!.type, "items_recorded", JSON.stringify(kept));
    const warning = io.err.join("");
    assert.ok(
      warning.startsWith(`rollout proto: Cannot close the previous rollout "${doomed}": `),
      JSON.stringify(warning),
    );
  } finally {
    cleanup();
  }
});

for (const signal of [null, "SIGINT"] as const) {
  const how = signal === null ? "at the end of input" : `when ${signal} stops the run`;
  test(`runProto() fails with status 1 and says why when the last session cannot be closed ${how}`, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      const doomed = await documentSession(dir);
      const after = [{ id: "2", op: { type: "record_items", items: [userMessage("lost")] } }];
      // With a signal, stdin stays open: only the signal ends the run.
      let end: () => void = () => {};
      const open = signal === null ? Promise.resolve() : new Promise<void>((r) => (end = r));
      const io = doomedStream(doomed, after, (id, io) => {
        if (id === "2" && signal !== null) io.terminate(signal);
      }, open);
      const status = await runProto(protoOptions(dir), io);
      end();
      assert.deepEqual(answers(io), [
        ["1", "session_loaded"],
        ["2", "error"],
      ]);
      // A failure to close is status 1, whatever else stopped the run (SIGINT alone is 130).
      assert.equal(status, 1, io.err.join(""));
      assert.match(
        io.err.join(""),
        new RegExp(`^rollout proto: Cannot write rollout "${doomed}": an earlier write failed`),
      );
    } finally {
      cleanup();
    }
  });
}

/**
 * How `runProto()` ends when its own input or output fails, and what it answers after
 * `shutdown`: in-process, with a fake stdin and stdout (the binary's cases are in tests/cli).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { runProto } from "../../lib/proto/run_proto.ts";
import { setup, skipReason, tempDir } from "../helpers.ts";
import { answers, fakeIo, lines, protoOptions } from "./fake_io.ts";

for (const parseThread of [true, false]) {
  const on = parseThread ? "on the parse thread" : "on this thread";

  test(`runProto() (${on}) stops with status 1 and says why when stdout fails, not as if it were closed`, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      const full = Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
      const io = fakeIo([lines([{ id: "1", op: { type: "flush" } }])], {
        write: () => Promise.reject(full),
      });
      const status = await runProto({ ...protoOptions(dir), parseThread }, io);
      assert.equal(status, 1);
      assert.equal(io.out.length, 0);
      assert.equal(io.err.length, 1, io.err.join(""));
      assert.match(
        io.err[0]!,
        /^rollout proto: Cannot write events to standard output: .*no space left on device.*; stopped\n$/,
      );
    } finally {
      cleanup();
    }
  });

  test(`runProto() (${on}) answers what it read, then fails with status 1 when stdin fails`, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      const stdin = (async function* () {
        yield new TextEncoder().encode(lines([{ id: "1", op: { type: "flush" } }]));
        throw Object.assign(new Error("input/output error"), { code: "EIO" });
      })();
      const io = fakeIo(stdin);
      const status = await runProto({ ...protoOptions(dir), parseThread }, io);
      assert.equal(status, 1);
      assert.deepEqual(io.events().map((e) => e.id), ["1"]);
      assert.equal(io.err.length, 1, io.err.join(""));
      assert.match(io.err[0]!, /^rollout proto: Cannot read standard input: .*input\/output error/);
    } finally {
      cleanup();
    }
  });

  test(`runProto() (${on}) answers nothing after shutdown, even in the same chunk`, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      const io = fakeIo([
        lines([
          { id: "1", op: { type: "configure_session", disable_response_storage: true } },
          { id: "2", op: { type: "shutdown" } },
          { id: "3", op: { type: "flush" } },
          "not json",
        ]),
      ]);
      const status = await runProto({ ...protoOptions(dir), parseThread }, io);
      assert.equal(status, 0);
      assert.deepEqual(
        answers(io),
        [["1", "session_configured"], ["2", "shutdown_complete"]],
      );
      assert.deepEqual(io.err, []);
    } finally {
      cleanup();
    }
  });
}

/** Deno's workers see only their own descriptors and 0–2: the thread cannot read one of ours. */
const NO_SHARED_DESCRIPTORS = skipReason(
  "run_proto_edges_test.ts (2 tests)",
  ("Deno" in globalThis && "Deno's workers do not see descriptors opened here") ||
    (process.platform !== "linux" && "needs mkfifo and O_NONBLOCK as on Linux"),
);

test("runProto() whose parse thread reads stdin to its end answers every line and reads no more", {
  skip: NO_SHARED_DESCRIPTORS,
}, async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  const file = path.join(dir, "stdin");
  fs.writeFileSync(
    file,
    lines([
      { id: "1", op: { type: "configure_session", disable_response_storage: true } },
      { id: "2", op: { type: "flush" } },
    ]),
  );
  const fd = fs.openSync(file, "r");
  try {
    // What the stream would give if it were read after the thread reached the end.
    const io = { ...fakeIo([lines([{ id: "late", op: { type: "flush" } }])]), stdinFd: fd };
    const status = await runProto(protoOptions(dir), io);
    assert.equal(status, 0, io.err.join(""));
    assert.deepEqual(answers(io), [["1", "session_configured"], ["2", "flushed"]]);
  } finally {
    fs.closeSync(fd);
    cleanup();
  }
});

test("runProto() reads the rest of stdin itself when its parse thread hands a blocking read back", {
  skip: NO_SHARED_DESCRIPTORS,
}, async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  const fifo = path.join(dir, "stdin");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
  try {
    // The thread reads the first line and half of the second, then a read would block: the
    // rest comes from the stream the caller reads.
    const first = { id: "1", op: { type: "configure_session", disable_response_storage: true } };
    const half = '{"id":"2","op":';
    fs.writeSync(writeFd, `${JSON.stringify(first)}\n${half}`);
    const rest = `{"type":"flush"}}\n${lines([{ id: "3", op: { type: "get_session" } }])}`;
    const io = { ...fakeIo([rest]), stdinFd: readFd };
    const status = await runProto(protoOptions(dir), io);
    assert.equal(status, 0, io.err.join(""));
    assert.deepEqual(answers(io), [["1", "session_configured"], ["2", "flushed"], [
      "3",
      "session",
    ]]);
  } finally {
    fs.closeSync(writeFd);
    fs.closeSync(readFd);
    cleanup();
  }
});

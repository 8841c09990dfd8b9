/**
 * How `runProto()` ends when its own input or output fails, and what it answers after
 * `shutdown`: in-process, with a fake stdin and stdout (the binary's cases are in tests/cli).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runProto } from "../../lib/proto/run_proto.ts";
import { setup, tempDir } from "../helpers.ts";
import { fakeIo, lines } from "./fake_io.ts";

const options = (home: string) => ({
  home,
  format: "jsonl" as const,
  sync: false,
  maxLineBytes: 1 << 20,
});

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
      const status = await runProto({ ...options(dir), parseThread }, io);
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
      const status = await runProto({ ...options(dir), parseThread }, io);
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
      const status = await runProto({ ...options(dir), parseThread }, io);
      assert.equal(status, 0);
      assert.deepEqual(
        io.events().map((e) => [e.id, e.msg.type]),
        [["1", "session_configured"], ["2", "shutdown_complete"]],
      );
      assert.deepEqual(io.err, []);
    } finally {
      cleanup();
    }
  });
}

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { ROOT, tempDir, userMessage } from "../helpers.ts";
import { lines, normalize } from "./fake_io.ts";

const BINARY = path.join(ROOT, "dist", "rollout");
const SUBJECTS = [
  {
    name: "Deno source",
    command: path.join(ROOT, "node_modules", ".bin", "deno"),
    prefix: ["run", "-A", path.join(ROOT, "main.ts")],
  },
  {
    name: "Bun source",
    command: path.join(ROOT, "node_modules", ".bin", "bun"),
    prefix: [path.join(ROOT, "main.ts")],
  },
  { name: "the binary", command: BINARY, prefix: [] },
] as const;

type Subject = (typeof SUBJECTS)[number];
type Event = { id: string; msg: Record<string, unknown> };

/** A running `rollout proto`: events parsed from stdout as they come. */
function startProto(subject: Subject, args: string[]) {
  if (subject.command === BINARY && !fs.existsSync(BINARY)) {
    throw new Error(`${BINARY} is missing: run "npm run build" before these tests`);
  }
  const child: ChildProcess = spawn(subject.command, [...subject.prefix, "proto", ...args], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const events: Event[] = [];
  const stray: string[] = [];
  let stderr = "";
  let buffer = "";
  let waiter: { count: number; resolve: () => void } | null = null;
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const line of parts) {
      try {
        events.push(JSON.parse(line));
      } catch {
        stray.push(line);
      }
    }
    if (waiter !== null && events.length >= waiter.count) waiter.resolve();
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    events,
    stray,
    exited,
    stderr: () => stderr,
    send: (text: string) => child.stdin!.write(text),
    /** Resolves once `count` events arrived (or the process ended). */
    eventsArrived(count: number): Promise<void> {
      if (events.length >= count) return Promise.resolve();
      return Promise.race([
        new Promise<void>((resolve) => (waiter = { count, resolve })),
        exited.then(() => {}),
      ]);
    },
  };
}

for (const subject of SUBJECTS) {
  test(`rollout proto (${subject.name}) answers a conversation and syncs at end of input`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const proto = startProto(subject, ["--home", dir]);
      proto.send(lines([
        { id: "1", op: { type: "configure_session", instructions: "Be terse." } },
        { id: "2", op: { type: "record_items", items: [userMessage("hi")] } },
        { id: "3", op: { type: "record_state", previous_response_id: "resp_1" } },
        "{broken",
        { id: "4", op: { type: "interrupt" } },
      ]));
      proto.child.stdin!.end('{"id":"5","op":{"type":"get_session"}}');
      const exit = await proto.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, proto.stderr());
      assert.deepEqual(proto.stray, []);
      assert.equal(proto.stderr(), "");
      assert.deepEqual(normalize(proto.events, { home: dir }), [
        {
          id: "1",
          msg: {
            type: "session_configured",
            session_id: "<id1>",
            model: "",
            history_log_id: 0,
            history_entry_count: 0,
            rollout_path: "<home>/sessions/<date>/rollout-<time>-<id1>.jsonl",
          },
        },
        { id: "2", msg: { type: "items_recorded", recorded: 1, dropped: [], item_count: 1 } },
        { id: "3", msg: { type: "state_recorded", previous_response_id: "resp_1" } },
        { id: "", msg: { type: "error", code: "invalid_json", message: "Line 4 is not JSON" } },
        {
          id: "4",
          msg: {
            type: "error",
            code: "unsupported_op",
            message: 'op.type: "interrupt" is a Codex op that rollout does not handle',
          },
        },
        {
          id: "5",
          msg: {
            type: "session",
            session: {
              id: "<id1>",
              timestamp: "<ts>",
              instructions: "Be terse.",
              // No cwd in the op: the folder rollout runs in (a Codex meta needs one).
              cwd: process.cwd(),
              originator: "rollout",
              cli_version: "0.1.0",
              source: "cli",
              history_mode: "paginated",
            },
            items: [userMessage("hi")],
            state: { previous_response_id: "resp_1" },
          },
        },
      ]);
      const file = proto.events[0]!.msg.rollout_path as string;
      assert.equal(fs.existsSync(`${file}.lock`), false);
      assert.deepEqual(loadRollout(file).saved.items, [userMessage("hi")]);
    } finally {
      cleanup();
    }
  });

  test(`rollout proto (${subject.name}) exits after shutdown with stdin still open`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const proto = startProto(subject, ["--home", dir, "--format", "json"]);
      proto.send(lines([
        { id: "1", op: { type: "configure_session" } },
        { id: "2", op: { type: "record_items", items: [userMessage("hi")] } },
        { id: "3", op: { type: "shutdown" } },
        { id: "4", op: { type: "get_session" } },
      ]));
      const exit = await proto.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, proto.stderr());
      assert.deepEqual(proto.events.map((e) => [e.id, e.msg.type]), [
        ["1", "session_configured"],
        ["2", "items_recorded"],
        ["3", "shutdown_complete"],
      ]);
      const file = proto.events[0]!.msg.rollout_path as string;
      assert.match(file, /\.json$/);
      assert.equal(fs.existsSync(`${file}.lock`), false);
      assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")).items, [userMessage("hi")]);
    } finally {
      cleanup();
    }
  });

  for (const [signal, status] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    test(`rollout proto (${subject.name}) syncs, frees its lock and exits ${status} on ${signal}`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const proto = startProto(subject, ["--home", dir]);
        proto.send(lines([
          { id: "1", op: { type: "configure_session" } },
          { id: "2", op: { type: "record_items", items: [userMessage("hi")] } },
        ]));
        await proto.eventsArrived(2);
        // process.kill, not child.kill: Deno's child.kill() reports the signal as the exit.
        process.kill(proto.child.pid!, signal);
        const exit = await proto.exited;
        assert.deepEqual(exit, { code: status, signal: null }, proto.stderr());
        const file = proto.events[0]!.msg.rollout_path as string;
        assert.equal(fs.existsSync(`${file}.lock`), false);
        assert.deepEqual(loadRollout(file).saved.items, [userMessage("hi")]);
      } finally {
        cleanup();
      }
    });
  }

  test(`rollout proto (${subject.name}) syncs and exits 0 when its stdout is closed`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const proto = startProto(subject, ["--home", dir]);
      proto.send(lines([{ id: "1", op: { type: "configure_session" } }]));
      await proto.eventsArrived(1);
      proto.child.stdout!.destroy();
      const more = [];
      for (let i = 0; i < 2000; i++) {
        more.push({ id: `r${i}`, op: { type: "record_items", items: [userMessage(`m${i}`)] } });
      }
      proto.child.stdin!.on("error", () => {});
      proto.child.stdin!.end(lines(more));
      const exit = await proto.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, proto.stderr());
      const file = proto.events[0]!.msg.rollout_path as string;
      assert.equal(fs.existsSync(`${file}.lock`), false);
      const items = loadRollout(file).saved.items;
      assert.deepEqual(items, items.map((_, i) => userMessage(`m${i}`)));
    } finally {
      cleanup();
    }
  });
}

test("rollout proto (the binary) acknowledges 100,000 pipelined durable ops in order", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const count = 100_000;
    const proto = startProto(SUBJECTS[2], ["--home", dir]);
    const started = performance.now();
    let text = '{"id":"c","op":{"type":"configure_session"}}\n';
    for (let i = 0; i < count; i++) {
      text += `{"id":"${i}","op":{"type":"record_items","items":[${
        JSON.stringify(userMessage(`m${i}`))
      }]}}\n`;
    }
    proto.child.stdin!.end(text);
    const exit = await proto.exited;
    const ms = performance.now() - started;
    console.log(`binary: 100,000 pipelined record_items ops (durable): ${ms.toFixed(0)} ms`);
    assert.deepEqual(exit, { code: 0, signal: null }, proto.stderr());
    assert.equal(proto.events.length, count + 1);
    for (let i = 0; i < count; i++) {
      const event = proto.events[i + 1]!;
      if (event.id !== String(i) || event.msg.item_count !== i + 1) {
        assert.fail(`event ${i + 1} is ${JSON.stringify(event)}`);
      }
    }
  } finally {
    cleanup();
  }
});

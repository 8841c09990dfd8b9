import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { ROOT, setup, tempDir, userMessage } from "../helpers.ts";
import { lines, runScript } from "./fake_io.ts";

const ID = "019abc00-0000-7000-8000-0000000000aa";
const TS = "2026-11-26T11:15:28.123Z";
const HI = userMessage("hi");
const MORE = userMessage("more");
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

interface Fixture {
  name: string;
  text: string;
  /** What the file holds after recording MORE and the state resp_2. */
  after: string;
  skippedTypes: Record<string, number>;
  loadedState: string | null;
}

const journal = (n: number | null, type: string, payload: unknown) =>
  `{"timestamp":"${TS}",${n === null ? "" : `"ordinal":${n},`}"type":"${type}","payload":${
    JSON.stringify(payload)
  }}\n`;
/** The `event_msg` rollout writes after MORE (SPEC §6). */
const MORE_EVENT = {
  type: "user_message",
  message: "more",
  images: [],
  local_images: [],
  text_elements: [],
};
const envelope = (type: string, payload: unknown) =>
  `{"timestamp":"${TS}","type":"${type}","payload":${JSON.stringify(payload)}}\n`;
const codexMeta = {
  id: ID,
  timestamp: TS,
  cwd: "/repo",
  originator: "codex_cli_rs",
  cli_version: "0.50.0",
  base_instructions: { text: "Be helpful." },
  git: null,
};
const docSession = { id: ID, timestamp: TS, instructions: "Be terse." };

const FIXTURES: Fixture[] = [
  {
    name: "journal",
    text: journal(0, "session_meta", { ...docSession, history_mode: "paginated" }) +
      journal(1, "response_item", HI) + journal(null, "state", { previous_response_id: "resp_1" }),
    after: journal(2, "response_item", MORE) + journal(3, "event_msg", MORE_EVENT) +
      journal(null, "state", { previous_response_id: "resp_2" }),
    skippedTypes: {},
    loadedState: "resp_1",
  },
  {
    name: "codex_envelope",
    text: envelope("session_meta", codexMeta) + envelope("turn_context", { cwd: "/repo" }) +
      envelope("response_item", HI) + envelope("event_msg", { type: "agent_message" }),
    after: envelope("response_item", MORE) + envelope("event_msg", MORE_EVENT) +
      envelope("state", { previous_response_id: "resp_2" }),
    skippedTypes: { turn_context: 1, event_msg: 1 },
    loadedState: null,
  },
  {
    name: "document",
    text: JSON.stringify(
      { session: docSession, items: [HI], state: { previous_response_id: "resp_1" } },
      null,
      2,
    ),
    after: "",
    skippedTypes: {},
    loadedState: "resp_1",
  },
  {
    name: "codex_ts_document",
    text: `{"session":${JSON.stringify(docSession)},"items":[${JSON.stringify(HI)}]}\n`,
    after: "",
    skippedTypes: {},
    loadedState: null,
  },
  {
    name: "codex_jsonl_2025",
    text: `{"id":"${ID}","timestamp":"${TS}","instructions":null,"git":null}\n${
      JSON.stringify(HI)
    }\n{"record_type":"state","previous_response_id":"resp_1"}\n`,
    after: `${JSON.stringify(MORE)}\n{"record_type":"state","previous_response_id":"resp_2"}\n`,
    skippedTypes: {},
    loadedState: "resp_1",
  },
];

function documentAfter(fixture: Fixture): string {
  const session = JSON.parse(fixture.text).session;
  return JSON.stringify(
    { session, items: [HI, MORE], state: { previous_response_id: "resp_2" } },
    null,
    2,
  );
}

for (const fixture of FIXTURES) {
  test(`runProto() load_session of a ${fixture.name} file records later items in that format`, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, `given-${fixture.name}.data`);
      fs.writeFileSync(file, fixture.text, { mode: 0o600 });
      const { status, events } = await runScript(
        lines([
          { id: "1", op: { type: "configure_session" } },
          { id: "2", op: { type: "load_session", path: file } },
          { id: "3", op: { type: "record_items", items: [MORE] } },
          { id: "4", op: { type: "record_state", previous_response_id: "resp_2" } },
          { id: "5", op: { type: "get_session" } },
        ]),
        { home: dir },
      );
      assert.equal(status, 0);
      assert.deepEqual(events[1], {
        id: "2",
        msg: {
          type: "session_loaded",
          session_id: ID,
          rollout_path: file,
          item_count: 1,
          previous_response_id: fixture.loadedState,
          skipped: {
            format: fixture.name,
            torn_tail: null,
            skipped_lines: [],
            skipped_types: fixture.skippedTypes,
            warnings: [],
          },
        },
      });
      assert.deepEqual(events[2]!.msg, {
        type: "items_recorded",
        recorded: 1,
        dropped: [],
        item_count: 2,
      });
      assert.deepEqual(events[4]!.msg.items, [HI, MORE]);
      assert.equal((events[4]!.msg.session as { id: string }).id, ID);
      const bytes = fs.readFileSync(file, "utf8");
      if (fixture.after === "") assert.equal(bytes, documentAfter(fixture));
      else {
        assert.equal(bytes.slice(0, fixture.text.length), fixture.text);
        assert.equal(bytes.slice(fixture.text.length).replace(ISO, TS), fixture.after);
      }
      const first = events[0]!.msg.rollout_path as string;
      assert.equal(fs.existsSync(`${first}.lock`), false);
      assert.equal(fs.existsSync(`${file}.lock`), false);
    } finally {
      cleanup();
    }
  });
}

test("runProto() configure_session with resume_path loads like load_session, even as first op", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "r.jsonl");
    fs.writeFileSync(file, FIXTURES[0]!.text + '{"timestamp":"x","ord', { mode: 0o600 });
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", resume_path: file } },
        { id: "2", op: { type: "record_items", items: [MORE] } },
      ]),
      { home: dir },
    );
    assert.deepEqual(events[0]!.msg, {
      type: "session_loaded",
      session_id: ID,
      rollout_path: file,
      item_count: 1,
      previous_response_id: "resp_1",
      skipped: {
        format: "journal",
        torn_tail: { line: 4, offset: FIXTURES[0]!.text.length, bytes: 21 },
        skipped_lines: [],
        skipped_types: {},
        warnings: [],
      },
    });
    assert.equal(
      fs.readFileSync(file, "utf8").replace(ISO, TS),
      FIXTURES[0]!.text + journal(2, "response_item", MORE) + journal(3, "event_msg", MORE_EVENT),
    );
  } finally {
    cleanup();
  }
});

/** Starts a process of this runtime that holds the writer lock of `file` until stdin closes. */
async function holdLock(file: string) {
  const code = `
    import { initRuntime } from "./lib/runtime/mod.ts";
    import { WriterLock } from "./lib/store/mod.ts";
    await initRuntime();
    WriterLock.acquire(process.env.LOCK_TARGET, { pid: process.pid });
    process.stdout.write("locked\\n");
    for await (const _ of process.stdin) {}
  `;
  const args = "Deno" in globalThis ? ["eval", "--ext=ts", code] : ["-e", code];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOCK_TARGET: file },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("locked")) resolve();
    });
    child.on("exit", (status) => reject(new Error(`lock holder exited with ${status}`)));
  });
  return {
    pid: child.pid!,
    release: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

test("runProto() leaves the session as it was when load_session fails", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  const locked = path.join(dir, "locked.jsonl");
  fs.writeFileSync(locked, FIXTURES[0]!.text, { mode: 0o600 });
  const holder = await holdLock(locked);
  try {
    const notRollout = path.join(dir, "notes.txt");
    fs.writeFileSync(notRollout, "hello\n");
    const missing = path.join(dir, "missing.jsonl");
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", instructions: "Stay" } },
        { id: "2", op: { type: "record_items", items: [HI] } },
        { id: "3", op: { type: "get_session" } },
        { id: "4", op: { type: "load_session", path: missing } },
        { id: "5", op: { type: "load_session", path: notRollout } },
        { id: "6", op: { type: "load_session", path: locked } },
        { id: "7", op: { type: "configure_session", resume_path: locked } },
        { id: "8", op: { type: "get_session" } },
        { id: "9", op: { type: "record_items", items: [MORE] } },
        { id: "10", op: { type: "load_session", path: "" } },
      ]),
      { home: dir },
    );
    const err = (id: string, code: string, message: string) => ({
      id,
      msg: { type: "error", code, message },
    });
    const lockedError = err(
      "",
      "locked",
      `Cannot write rollout "${locked}": it is locked by process ${holder.pid}`,
    );
    assert.deepEqual(events.slice(3, 7), [
      err("4", "not_found", `Cannot load rollout "${missing}": no such file or directory`),
      err(
        "5",
        "invalid_rollout",
        `Cannot load rollout "${notRollout}": not a rollout (line 1 is not a JSON object)`,
      ),
      { ...lockedError, id: "6" },
      { ...lockedError, id: "7" },
    ]);
    assert.deepEqual(events[7]!.msg, events[2]!.msg);
    assert.deepEqual(events[8]!.msg, {
      type: "items_recorded",
      recorded: 1,
      dropped: [],
      item_count: 2,
    });
    assert.deepEqual(
      events[9],
      err("10", "invalid_submission", "op.path: must not be empty"),
    );
    const own = events[0]!.msg.rollout_path as string;
    // Meta, HI and MORE with their event_msg mirrors, and the final newline's empty rest.
    assert.equal(fs.readFileSync(own, "utf8").split("\n").length, 6);
    assert.equal(fs.readFileSync(locked, "utf8"), FIXTURES[0]!.text);
    assert.equal(fs.readFileSync(notRollout, "utf8"), "hello\n");
    assert.equal(fs.existsSync(missing), false);
    assert.equal(fs.existsSync(`${missing}.lock`), false);
    assert.equal(fs.existsSync(`${notRollout}.lock`), false);
  } finally {
    await holder.release();
    cleanup();
  }
});

test("runProto() load_session of the current session's own file reports it again", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "own.jsonl");
    fs.writeFileSync(file, FIXTURES[0]!.text, { mode: 0o600 });
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", resume_path: file } },
        { id: "2", op: { type: "record_items", items: [MORE] } },
        { id: "3", op: { type: "load_session", path: "own.jsonl" } },
      ]),
      { home: dir, cwd: dir },
    );
    const first = events[0]!.msg as { skipped: Record<string, unknown> };
    // MORE went in with its event_msg mirror, a record of another type (SPEC §6).
    assert.deepEqual(events[2]!.msg, {
      ...first,
      item_count: 2,
      skipped: { ...first.skipped, skipped_types: { event_msg: 1 } },
    });
  } finally {
    cleanup();
  }
});

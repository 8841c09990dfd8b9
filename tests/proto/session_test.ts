import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { readLines, setup, tempDir, userMessage } from "../helpers.ts";
import { lines, normalize, runScript } from "./fake_io.ts";

const NO_SESSION = {
  type: "error",
  code: "no_session",
  message: "No session initialized, expected 'ConfigureSession' as first Op",
};

test("runProto() answers a scripted conversation with exactly the SPEC §4 events, in order", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const call = {
      type: "function_call",
      name: "shell",
      arguments: '{"command":["ls"]}',
      call_id: "call_1",
    };
    const { status, events, io } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", instructions: "Be terse.", cwd: "/repo" } },
        { id: "2", op: { type: "user_input", items: [{ type: "text", text: "list files" }] } },
        { id: "3", op: { type: "record_items", items: [{ type: "reasoning" }, call] } },
        {
          id: "4",
          op: {
            type: "record_items",
            items: [{ type: "function_call_output", call_id: "call_1", output: "a\nb\n" }],
          },
        },
        { id: "5", op: { type: "record_state", previous_response_id: "resp_42" } },
        { id: "6", op: { type: "add_to_history", text: "list files" } },
        { id: "7", op: { type: "flush" } },
        { id: "8", op: { type: "get_session" } },
        { id: "9", op: { type: "shutdown" } },
      ]),
      { home: dir },
    );
    assert.equal(status, 0);
    assert.deepEqual(io.err, []);
    const ino = fs.statSync(path.join(dir, "history.jsonl")).ino;
    const path1 = "<home>/sessions/<date>/rollout-<time>-<id1>.jsonl";
    assert.deepEqual(normalize(events, { home: dir }), [
      {
        id: "1",
        msg: {
          type: "session_configured",
          session_id: "<id1>",
          model: "",
          history_log_id: 0,
          history_entry_count: 0,
          rollout_path: path1,
        },
      },
      { id: "2", msg: { type: "items_recorded", recorded: 1, dropped: [], item_count: 1 } },
      {
        id: "3",
        msg: {
          type: "items_recorded",
          recorded: 1,
          dropped: [{ index: 0, type: "reasoning" }],
          item_count: 2,
        },
      },
      { id: "4", msg: { type: "items_recorded", recorded: 1, dropped: [], item_count: 3 } },
      { id: "5", msg: { type: "state_recorded", previous_response_id: "resp_42" } },
      { id: "6", msg: { type: "history_entry_added", log_id: ino, offset: 0 } },
      { id: "7", msg: { type: "flushed" } },
      {
        id: "8",
        msg: {
          type: "session",
          session: {
            id: "<id1>",
            timestamp: "<ts>",
            instructions: "Be terse.",
            cwd: "/repo",
            originator: "rollout",
            cli_version: "0.1.0",
            source: "cli",
            history_mode: "paginated",
          },
          items: [
            userMessage("list files"),
            call,
            { type: "function_call_output", call_id: "call_1", output: "a\nb\n" },
          ],
          state: { previous_response_id: "resp_42" },
        },
      },
      { id: "9", msg: { type: "shutdown_complete" } },
    ]);
    const file = events[0]!.msg.rollout_path as string;
    const types = readLines(file).map((line) => JSON.parse(line).type);
    assert.deepEqual(types, [
      "session_meta",
      "response_item",
      "event_msg",
      "response_item",
      "response_item",
      "state",
    ]);
    assert.equal(fs.existsSync(`${file}.lock`), false);
    const history = readLines(path.join(dir, "history.jsonl")).map((l) => JSON.parse(l));
    assert.deepEqual(history.map((h) => [h.session_id, h.text]), [[
      events[0]!.msg.session_id,
      "list files",
    ]]);
  } finally {
    cleanup();
  }
});

test("runProto() answers every session op before configure_session with no_session", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const ops = [
      { type: "user_input", items: [{ type: "text", text: "hi" }] },
      { type: "record_items", items: [userMessage("hi")] },
      { type: "record_state", previous_response_id: "r" },
      { type: "load_session", path: "/nonexistent.jsonl" },
      { type: "get_session" },
      { type: "flush" },
    ];
    const { status, events } = await runScript(
      lines(ops.map((op, i) => ({ id: `n${i}`, op }))),
      { home: dir },
    );
    assert.equal(status, 0);
    assert.deepEqual(events, ops.map((_, i) => ({ id: `n${i}`, msg: NO_SESSION })));
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    cleanup();
  }
});

test("runProto() starts a new session on each configure_session, closing the previous one", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { events } = await runScript(
      lines([
        { id: "a", op: { type: "configure_session", model: "gpt-5" } },
        { id: "b", op: { type: "record_items", items: [userMessage("one")] } },
        { id: "c", op: { type: "configure_session", format: "json", instructions: "Two" } },
        { id: "d", op: { type: "record_items", items: [userMessage("two")] } },
        { id: "e", op: { type: "get_session" } },
      ]),
      { home: dir },
    );
    const first = events[0]!.msg;
    const second = events[2]!.msg;
    assert.equal(first.model, "gpt-5");
    assert.equal(second.model, "");
    assert.notEqual(first.session_id, second.session_id);
    assert.match(second.rollout_path as string, /\.json$/);
    assert.deepEqual(events[3]!.msg, {
      type: "items_recorded",
      recorded: 1,
      dropped: [],
      item_count: 1,
    });
    assert.deepEqual(events[4]!.msg.items, [userMessage("two")]);
    const firstFile = first.rollout_path as string;
    assert.equal(fs.existsSync(`${firstFile}.lock`), false);
    assert.deepEqual(loadRollout(firstFile).saved.items, [userMessage("one")]);
    assert.equal(loadRollout(firstFile).saved.session.model, "gpt-5");
    const doc = JSON.parse(fs.readFileSync(second.rollout_path as string, "utf8"));
    assert.deepEqual(doc.items, [userMessage("two")]);
    assert.equal(doc.session.instructions, "Two");
  } finally {
    cleanup();
  }
});

test("runProto() keeps a disable_response_storage session in memory only", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", disable_response_storage: true } },
        { id: "2", op: { type: "record_items", items: [userMessage("secret")] } },
        { id: "3", op: { type: "record_state", previous_response_id: "r1" } },
        { id: "4", op: { type: "get_session" } },
      ]),
      { home: dir },
    );
    assert.equal(events[0]!.msg.rollout_path, null);
    assert.deepEqual(events[3]!.msg.items, [userMessage("secret")]);
    assert.deepEqual(events[3]!.msg.state, { previous_response_id: "r1" });
    assert.equal(fs.existsSync(path.join(dir, "sessions")), false);
  } finally {
    cleanup();
  }
});

test("runProto() rejects configure_session with a relative cwd or resume_path plus disable_response_storage", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", cwd: "repo" } },
        {
          id: "2",
          op: {
            type: "configure_session",
            resume_path: "/x.jsonl",
            disable_response_storage: true,
          },
        },
        { id: "3", op: { type: "configure_session", format: "yaml" } },
        { id: "4", op: { type: "configure_session", provider: { name: "x" }, notify: ["a"] } },
      ]),
      { home: dir },
    );
    assert.deepEqual(events.slice(0, 3), [
      {
        id: "1",
        msg: {
          type: "error",
          code: "invalid_argument",
          message: 'op.cwd: "repo" is not an absolute path',
        },
      },
      {
        id: "2",
        msg: {
          type: "error",
          code: "invalid_argument",
          message: "op.resume_path: cannot be combined with disable_response_storage",
        },
      },
      {
        id: "3",
        msg: {
          type: "error",
          code: "invalid_submission",
          message: 'op.format: expected one of "jsonl", "json"',
        },
      },
    ]);
    assert.equal(events[3]!.msg.type, "session_configured");
  } finally {
    cleanup();
  }
});

test("runProto() records user_input as one user message, embedding local images", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    fs.writeFileSync(path.join(dir, "pic.PNG"), new Uint8Array([137, 80, 78, 71]));
    fs.writeFileSync(path.join(dir, "notes.txt"), "x");
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session" } },
        {
          id: "2",
          op: {
            type: "user_input",
            items: [
              { type: "text", text: "look" },
              { type: "image", image_url: "https://x/y.png" },
              { type: "local_image", path: "pic.PNG" },
            ],
          },
        },
        {
          id: "3",
          op: {
            type: "user_input",
            items: [{ type: "text", text: "lost" }, { type: "local_image", path: "missing.png" }],
          },
        },
        {
          id: "4",
          op: { type: "user_input", items: [{ type: "local_image", path: "notes.txt" }] },
        },
        { id: "5", op: { type: "user_input", items: [] } },
        { id: "6", op: { type: "user_input", items: [{ type: "text", text: 5 }] } },
        { id: "7", op: { type: "get_session" } },
      ]),
      { home: dir, cwd: dir },
    );
    assert.deepEqual(events.slice(1, 6), [
      { id: "2", msg: { type: "items_recorded", recorded: 1, dropped: [], item_count: 1 } },
      {
        id: "3",
        msg: {
          type: "error",
          code: "not_found",
          message: `op.items[1].path: Cannot read image "${
            path.join(dir, "missing.png")
          }": no such file or directory`,
        },
      },
      {
        id: "4",
        msg: {
          type: "error",
          code: "invalid_argument",
          message:
            'op.items[0].path: "notes.txt" is not an image (expected .png, .jpg, .jpeg, .gif, .webp, .bmp, .svg)',
        },
      },
      {
        id: "5",
        msg: {
          type: "error",
          code: "invalid_argument",
          message: "op.items: expected at least one item",
        },
      },
      {
        id: "6",
        msg: {
          type: "error",
          code: "invalid_submission",
          message: "op.items[0].text: expected string, got number",
        },
      },
    ]);
    assert.deepEqual(events[6]!.msg.items, [{
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "look" },
        { type: "input_image", image_url: "https://x/y.png" },
        { type: "input_image", image_url: "data:image/png;base64,iVBORw==" },
      ],
    }]);
    const file = events[0]!.msg.rollout_path as string;
    // The meta, the message and its user_message event (SPEC §6).
    assert.deepEqual(readLines(file).map((line) => JSON.parse(line).type), [
      "session_meta",
      "response_item",
      "event_msg",
    ]);
  } finally {
    cleanup();
  }
});

test("runProto() reports record_items and record_state failures without recording anything", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session" } },
        {
          id: "2",
          op: {
            type: "record_items",
            items: [userMessage("ok"), { type: "message", role: "user" }, userMessage("x")],
          },
        },
        { id: "3", op: { type: "record_items", items: [42] } },
        { id: "4", op: { type: "record_items", items: "nope" } },
        { id: "5", op: { type: "record_state", previous_response_id: 7 } },
        { id: "6", op: { type: "record_state", previous_response_id: "r1" } },
        { id: "7", op: { type: "record_state", previous_response_id: null } },
        { id: "8", op: { type: "get_session" } },
      ]),
      { home: dir },
    );
    const err = (id: string, code: string, message: string) => ({
      id,
      msg: { type: "error", code, message },
    });
    assert.deepEqual(events.slice(1, 5), [
      err("2", "invalid_submission", "op.items[1].content: required array is missing"),
      err("3", "invalid_submission", "op.items[0]: expected an object, got number"),
      err("4", "invalid_submission", "op.items: expected array, got string"),
      err("5", "invalid_submission", "op.previous_response_id: expected string, got number"),
    ]);
    assert.deepEqual(events.slice(5, 7).map((e) => e.msg), [
      { type: "state_recorded", previous_response_id: "r1" },
      { type: "state_recorded", previous_response_id: null },
    ]);
    assert.deepEqual(events[7]!.msg.items, []);
    assert.deepEqual(events[7]!.msg.state, {});
    const records = readLines(events[0]!.msg.rollout_path as string).map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => [r.type, r.payload.previous_response_id]), [
      ["session_meta", undefined],
      ["state", "r1"],
      ["state", undefined],
    ]);
  } finally {
    cleanup();
  }
});

test("runProto() reports the errors of configure_session and add_to_history when home is a file", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const home = path.join(dir, "home");
    fs.writeFileSync(home, "not a folder");
    const { status, events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session" } },
        { id: "2", op: { type: "add_to_history", text: "x" } },
        { id: "3", op: { type: "get_session" } },
      ]),
      { home },
    );
    assert.equal(status, 0);
    assert.deepEqual(events.map((e) => [e.id, e.msg.type, e.msg.code]), [
      ["1", "error", "io_error"],
      ["2", "error", "invalid_argument"],
      ["3", "error", "no_session"],
    ]);
    // The detail after the colon is the runtime's own wording of ENOTDIR/EEXIST.
    assert.ok(
      (events[0]!.msg.message as string).startsWith(
        `Cannot create folder "${home}/sessions/`,
      ),
      events[0]!.msg.message as string,
    );
    assert.equal(
      events[1]!.msg.message,
      `Cannot use the home "${home}": it (or a folder above it) is not a folder`,
    );
    assert.equal(fs.readFileSync(home, "utf8"), "not a folder");
  } finally {
    cleanup();
  }
});

test("configure_session records the folder proto runs in when the op gives none", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { events } = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", model: "gpt-5.4" } },
        { id: "2", op: { type: "shutdown" } },
      ]),
      { home: dir, cwd: "/work/here" },
    );
    const file = (events[0]!.msg as { rollout_path: string }).rollout_path;
    const meta = JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0]!).payload;
    assert.equal(meta.cwd, "/work/here");
    assert.equal(meta.model, "gpt-5.4");
    assert.equal("instructions" in meta, false);
  } finally {
    cleanup();
  }
});

test("resuming an archive restores it beside, says so on stderr, and writes there", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const first = await runScript(
      lines([
        { id: "1", op: { type: "configure_session" } },
        { id: "2", op: { type: "record_items", items: [userMessage("before")] } },
        { id: "3", op: { type: "shutdown" } },
      ]),
      { home: dir },
    );
    const plain = (first.events[0]!.msg as { rollout_path: string }).rollout_path;
    fs.writeFileSync(`${plain}.zst`, zlib.zstdCompressSync(fs.readFileSync(plain)));
    fs.rmSync(plain);
    const second = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", resume_path: `${plain}.zst` } },
        // The archive's name again: the session restored from it is reloaded, not restored.
        { id: "1b", op: { type: "configure_session", resume_path: `${plain}.zst` } },
        { id: "2", op: { type: "record_items", items: [userMessage("after")] } },
        { id: "3", op: { type: "shutdown" } },
      ]),
      { home: dir },
    );
    for (const loaded of second.events.slice(0, 2)) {
      assert.deepEqual(
        [loaded.msg.type, loaded.msg.rollout_path, loaded.msg.item_count],
        ["session_loaded", plain, 1],
        JSON.stringify(loaded),
      );
    }
    assert.equal(second.events[1]!.msg.session_id, second.events[0]!.msg.session_id);
    assert.equal(
      second.io.err.join(""),
      `rollout proto: Session restored from its archive "${plain}.zst" to "${plain}" to be written\n`,
    );
    assert.equal(fs.existsSync(`${plain}.zst`), false);
    assert.ok(fs.readFileSync(plain, "utf8").includes('"after"'));
    // Resuming the plain file says nothing; a bad item is named by its place in the op.
    const third = await runScript(
      lines([
        { id: "1", op: { type: "configure_session", resume_path: plain } },
        { id: "2", op: { type: "record_items", items: [{ type: "function_call", name: 5 }] } },
      ]),
      { home: dir, parseThread: false },
    );
    assert.equal(third.io.err.join(""), "");
    const refused = third.events[1]!.msg as { code: string; message: string };
    assert.equal(refused.code, "invalid_submission");
    assert.match(refused.message, /^op\.items\[0\]/);
  } finally {
    cleanup();
  }
});

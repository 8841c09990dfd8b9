import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { startParser } from "../../lib/proto/parse_thread.ts";
import { runProto } from "../../lib/proto/run_proto.ts";
import type { ParsedSubmission } from "../../lib/schemas/protocol.ts";
import { SecretMaker } from "../redaction/secret_samples.ts";
import { setup, tempDir, userMessage } from "../helpers.ts";
import { fakeIo, lines } from "./fake_io.ts";

const make = new SecretMaker(51);
const GITHUB = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
const AKIA = `AK${"IA"}${make.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
const STRIPE = `s${"k"}_live_${make.chars("abcdefABCDEF0123456789", 24)}`;

async function proto(
  input: readonly unknown[],
  options: { home: string; redact: boolean; parseThread: boolean },
) {
  const io = fakeIo([lines(input)]);
  const status = await runProto({
    home: options.home,
    format: "jsonl",
    sync: true,
    maxLineBytes: 64 * 1024 * 1024,
    parseThread: options.parseThread,
    redact: options.redact,
  }, io);
  return { status, events: io.events() };
}

function ack(id: string, msg: Record<string, unknown>) {
  return { id, msg: { type: "items_recorded", dropped: [], ...msg } };
}

for (const parseThread of [true, false]) {
  const where = parseThread ? "on the parse thread" : "on the main thread";
  test(`rollout proto --redact redacts before writing and counts by rule in each ack (${where})`, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      const { status, events } = await proto([
        { id: "1", op: { type: "configure_session", instructions: `use ${STRIPE}` } },
        { id: "2", op: { type: "record_items", items: [userMessage(`push with ${GITHUB}`)] } },
        { id: "3", op: { type: "user_input", items: [{ type: "text", text: `key ${AKIA}` }] } },
        { id: "4", op: { type: "record_items", items: [userMessage("nothing secret")] } },
        {
          id: "5",
          op: {
            type: "record_items",
            items: [
              { type: "reasoning", summary: [] },
              {
                type: "function_call",
                name: "shell",
                call_id: "c1",
                arguments: JSON.stringify({ command: ["git", "push", `https://x:${GITHUB}@h/r`] }),
              },
            ],
          },
        },
        { id: "6", op: { type: "shutdown" } },
      ], { home: dir, redact: true, parseThread });
      assert.equal(status, 0);
      const file = (events[0]!.msg as { rollout_path: string }).rollout_path;
      assert.deepEqual(events.slice(1), [
        ack("2", { recorded: 1, item_count: 1, redacted: { github: 1 } }),
        ack("3", { recorded: 1, item_count: 2, redacted: { aws_access_key_id: 1 } }),
        ack("4", { recorded: 1, item_count: 3, redacted: {} }),
        {
          id: "5",
          msg: {
            type: "items_recorded",
            recorded: 1,
            dropped: [{ index: 0, type: "reasoning" }],
            item_count: 4,
            redacted: { github: 1 },
          },
        },
        { id: "6", msg: { type: "shutdown_complete" } },
      ]);
      const text = fs.readFileSync(file, "utf8");
      for (const secret of [GITHUB, AKIA, STRIPE]) assert.ok(!text.includes(secret), secret);
      const meta = JSON.parse(text.split("\n")[0]!).payload;
      assert.equal(meta.rollout_redact, true);
      assert.equal(meta.instructions, "use [REDACTED:stripe]");
      // The arguments stay a JSON text.
      const call = text.split("\n").map((l) => JSON.parse(l || "null"))
        .find((r) => r?.payload?.type === "function_call");
      assert.deepEqual(JSON.parse(call.payload.arguments), {
        command: ["git", "push", "https://x:[REDACTED:github]@h/r"],
      });
    } finally {
      cleanup();
    }
  });
}

/** A new session made and shut at once by `rollout proto`; its rollout's path. */
async function emptySession(home: string, redact: boolean): Promise<string> {
  const { events } = await proto([
    { id: "1", op: { type: "configure_session" } },
    { id: "2", op: { type: "shutdown" } },
  ], { home, redact, parseThread: true });
  return (events[0]!.msg as { rollout_path: string }).rollout_path;
}

test("rollout proto without --redact redacts a loaded session marked to redact, and no other", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const marked = await emptySession(dir, true);
    const second = await proto([
      { id: "1", op: { type: "configure_session" } },
      { id: "2", op: { type: "record_items", items: [userMessage(`plain ${GITHUB}`)] } },
      { id: "3", op: { type: "load_session", path: marked } },
      { id: "4", op: { type: "record_items", items: [userMessage(`marked ${GITHUB}`)] } },
      { id: "5", op: { type: "get_session" } },
      { id: "6", op: { type: "shutdown" } },
    ], { home: dir, redact: false, parseThread: true });
    const plain = (second.events[0]!.msg as { rollout_path: string }).rollout_path;
    assert.deepEqual(second.events[1], ack("2", { recorded: 1, item_count: 1 }));
    assert.deepEqual(
      second.events[3],
      ack("4", { recorded: 1, item_count: 1, redacted: { github: 1 } }),
    );
    const session = second.events[4]!.msg as { items: unknown[] };
    assert.deepEqual(session.items, [userMessage("marked [REDACTED:github]")]);
    assert.ok(fs.readFileSync(plain, "utf8").includes(GITHUB));
    assert.ok(!fs.readFileSync(marked, "utf8").includes(GITHUB));
  } finally {
    cleanup();
  }
});

test("rollout proto --redact redacts a session kept in memory too", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { events } = await proto([
      { id: "1", op: { type: "configure_session", disable_response_storage: true } },
      { id: "2", op: { type: "record_items", items: [userMessage(GITHUB)] } },
      { id: "3", op: { type: "get_session" } },
    ], { home: dir, redact: true, parseThread: true });
    assert.deepEqual(events[1], ack("2", { recorded: 1, item_count: 1, redacted: { github: 1 } }));
    assert.deepEqual((events[2]!.msg as { items: unknown[] }).items, [
      userMessage("[REDACTED:github]"),
    ]);
  } finally {
    cleanup();
  }
});

test("startParser({redact}) redacts on the parse thread and marks each op with its counts", async () => {
  const delivered: ParsedSubmission[] = [];
  const parser = startParser({
    maxLineBytes: 1 << 20,
    deliver: (submission) => delivered.push(submission),
    redact: true,
  });
  try {
    assert.equal(parser.threaded, true);
    await parser.push(new TextEncoder().encode(lines([
      { id: "a", op: { type: "record_items", items: [userMessage("calm")] } },
      { id: "b", op: { type: "record_items", items: [userMessage(GITHUB), userMessage(AKIA)] } },
      {
        id: "c",
        op: { type: "record_items", items: [{ type: "reasoning" }, userMessage(GITHUB)] },
      },
      // A second op of the same batch with secrets: its counts are its own, not b's.
      { id: "d", op: { type: "record_items", items: [userMessage(`again ${GITHUB}`)] } },
    ])));
    await parser.end();
  } finally {
    parser.close();
  }
  const decoder = new TextDecoder();
  const seen = delivered.map((s) => {
    const prepared = s.ok ? s.prepared! : null;
    return {
      redacted: prepared?.redacted,
      payloads: prepared?.items.map((item) =>
        item.payload === null ? null : JSON.parse(
          typeof item.payload === "string" ? item.payload : decoder.decode(item.payload),
        )
      ),
    };
  });
  assert.deepEqual(seen, [
    { redacted: {}, payloads: [userMessage("calm")] },
    {
      redacted: { github: 1, aws_access_key_id: 1 },
      payloads: [userMessage("[REDACTED:github]"), userMessage("[REDACTED:aws_access_key_id]")],
    },
    { redacted: { github: 1 }, payloads: [null, userMessage("[REDACTED:github]")] },
    { redacted: { github: 1 }, payloads: [userMessage("again [REDACTED:github]")] },
  ]);
});

test("rollout proto --redact keeps secrets out of the history file too", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    await proto([
      { id: "1", op: { type: "configure_session" } },
      { id: "2", op: { type: "add_to_history", text: `use ${GITHUB}` } },
      { id: "3", op: { type: "shutdown" } },
    ], { home: dir, redact: true, parseThread: true });
    const lines = fs.readFileSync(`${dir}/history.jsonl`, "utf8").trim().split("\n");
    assert.equal(JSON.parse(lines[0]!).text, "use [REDACTED:github]");
  } finally {
    cleanup();
  }
});

test("add_to_history redacts what it writes when the session redacts, and only then", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const history = () =>
      fs.readFileSync(`${dir}/history.jsonl`, "utf8").trimEnd().split("\n").map((line) =>
        JSON.parse(line).text as string
      );
    // --redact: before any session and in one.
    await proto([
      { id: "1", op: { type: "add_to_history", text: `early ${GITHUB}` } },
      { id: "2", op: { type: "configure_session" } },
      { id: "3", op: { type: "add_to_history", text: `later ${GITHUB}` } },
      { id: "4", op: { type: "shutdown" } },
    ], { home: dir, redact: true, parseThread: true });
    assert.deepEqual(history(), ["early [REDACTED:github]", "later [REDACTED:github]"]);
    const marked = fs.readdirSync(`${dir}/sessions`, { recursive: true })
      .map(String).find((name) => name.endsWith(".jsonl"))!;
    // Without --redact: a plain session writes as given; a session marked to redact does not.
    await proto([
      { id: "1", op: { type: "configure_session" } },
      { id: "2", op: { type: "add_to_history", text: `plain ${GITHUB}` } },
      { id: "3", op: { type: "load_session", path: `${dir}/sessions/${marked}` } },
      { id: "4", op: { type: "add_to_history", text: `marked ${GITHUB}` } },
      { id: "5", op: { type: "shutdown" } },
    ], { home: dir, redact: false, parseThread: true });
    assert.deepEqual(history().slice(2), [`plain ${GITHUB}`, "marked [REDACTED:github]"]);
  } finally {
    cleanup();
  }
});

test("rollout proto --redact redacts what it adds to a resumed session not marked to redact", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const plain = await emptySession(dir, false);
    for (const parseThread of [true, false]) {
      const second = await proto([
        { id: "1", op: { type: "configure_session", resume_path: plain } },
        { id: "2", op: { type: "record_items", items: [userMessage(`resumed ${GITHUB}`)] } },
        { id: "3", op: { type: "shutdown" } },
      ], { home: dir, redact: true, parseThread });
      assert.deepEqual(
        second.events[1],
        ack("2", { recorded: 1, item_count: parseThread ? 1 : 2, redacted: { github: 1 } }),
      );
    }
    assert.ok(!fs.readFileSync(plain, "utf8").includes(GITHUB));
  } finally {
    cleanup();
  }
});

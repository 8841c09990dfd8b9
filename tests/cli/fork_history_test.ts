/**
 * `rollout fork --at N` of a session whose history a compaction and a rollback rewrote
 * (SPEC §6): where some prefix of the parent's records rebuilds exactly the first N items of its
 * effective history, the fork is that prefix, every record as stored with its timestamp; where
 * none does (N falls inside what a compaction replaced), the items themselves are recorded.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";

const ID = "019abc00-0000-7000-8000-00000000f0a1";
const message = (role: string, text: string) => ({
  type: "message",
  role,
  content: [{ type: role === "assistant" ? "output_text" : "input_text", text }],
});

/** The parent, one record per line, each with a timestamp of its own second. */
function parentRecords(): Record<string, unknown>[] {
  const payloads: [string, unknown][] = [
    ["session_meta", {
      id: ID,
      timestamp: "2026-09-02T10:00:00.000Z",
      cwd: "/w",
      originator: "codex_cli_rs",
      cli_version: "0.99.0",
      source: "cli",
      history_mode: "paginated",
    }],
    ["turn_context", { cwd: "/w", model: "gpt-5" }],
    ["response_item", message("user", "u1")],
    ["response_item", message("assistant", "a1")],
    ["response_item", message("user", "u2")],
    ["response_item", message("assistant", "a2")],
    ["compacted", {
      message: "summary",
      replacement_history: [message("user", "u1"), message("user", "u2"), message("user", "S")],
    }],
    ["turn_context", { cwd: "/w", model: "gpt-5" }],
    ["response_item", message("user", "u3")],
    ["response_item", message("assistant", "a3")],
    ["event_msg", { type: "thread_rolled_back", num_turns: 1 }],
    ["response_item", message("user", "u4")],
  ];
  return payloads.map(([type, payload], ordinal) => ({
    timestamp: `2026-09-02T10:00:${String(ordinal).padStart(2, "0")}.000Z`,
    ordinal,
    type,
    payload,
  }));
}

test("rollout fork --at N of a rewritten history copies the records that rebuild its first N items", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const parent = path.join(dir, "parent.jsonl");
    const records = parentRecords();
    fs.writeFileSync(parent, records.map((r) => JSON.stringify(r) + "\n").join(""));
    const loaded = await cli(["load", parent]);
    assert.equal(loaded.code, 0, loaded.stderr);
    const items = JSON.parse(loaded.stdout).items as unknown[];
    assert.deepEqual(items, [
      message("user", "u1"),
      message("user", "u2"),
      message("user", "S"),
      message("user", "u4"),
    ]);
    const fork = async (at: number) => {
      const made = await cli(["fork", parent, "--at", String(at), "--json", "--home", dir]);
      assert.equal(made.code, 0, made.stderr);
      const file = JSON.parse(made.stdout).path as string;
      const copy = await cli(["load", file]);
      assert.equal(copy.code, 0, copy.stderr);
      assert.deepEqual(JSON.parse(copy.stdout).items, items.slice(0, at), `--at ${at}`);
      const lines = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
      // The records after the fork's own meta, without ordinals (a fork numbers its own).
      return lines.slice(1).map(({ ordinal: _o, ...rest }) => rest);
    };
    const stored = records.map(({ ordinal: _o, ...rest }) => rest);
    // [u1]: the records before a1, as stored (the turn context with them). Message events are
    // added after each message, since the parent has none.
    const one = await fork(1);
    assert.deepEqual(one.filter((r) => r.type !== "event_msg"), stored.slice(1, 3));
    // [u1, u2, S]: the records up to the compaction that made it, then nothing of u3's turn.
    const three = await fork(3);
    assert.deepEqual(three.filter((r) => r.type !== "event_msg"), stored.slice(1, 8));
    // [u1, u2]: no prefix of the parent holds just these (a1 comes between them): the items
    // are recorded anew, after the meta.
    const two = await fork(2);
    assert.deepEqual(
      two.filter((r) => r.type === "response_item").map((r) => r.payload),
      items.slice(0, 2),
    );
    assert.equal(two.some((r) => r.type === "turn_context"), false);
  } finally {
    cleanup();
  }
});

test("rollout fork --at N after a compaction that replaced nothing still cuts at N items", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // A compaction at the start brings two items without replacing any: no item is
    // "superseded", yet the records no longer count the items one by one.
    const records = parentRecords();
    const lines = [
      records[0]!,
      {
        timestamp: "2026-09-02T10:00:01.000Z",
        ordinal: 1,
        type: "compacted",
        payload: {
          message: "s",
          replacement_history: [message("user", "X"), message("user", "Y")],
        },
      },
      {
        timestamp: "2026-09-02T10:00:02.000Z",
        ordinal: 2,
        type: "response_item",
        payload: message("user", "Z"),
      },
    ];
    const parent = path.join(dir, "parent.jsonl");
    fs.writeFileSync(parent, lines.map((r) => JSON.stringify(r) + "\n").join(""));
    for (const [at, texts] of [[0, []], [1, ["X"]], [2, ["X", "Y"]]] as const) {
      const made = await cli(["fork", parent, "--at", String(at), "--json", "--home", dir]);
      assert.equal(made.code, 0, made.stderr);
      const copy = await cli(["load", JSON.parse(made.stdout).path]);
      const items = JSON.parse(copy.stdout).items as { content: { text: string }[] }[];
      assert.deepEqual(items.map((i) => i.content[0]!.text), texts, `--at ${at}`);
    }
  } finally {
    cleanup();
  }
});

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import * as zlib from "node:zlib";
import { test } from "node:test";
import { loadRollout, streamRollout } from "../../lib/formats/load_rollout.ts";
import { replayHistory } from "../../lib/formats/replay_history.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { cli } from "../cli/cli_io.ts";
import { setup, tempDir, userMessage } from "../helpers.ts";
import {
  codexAppend,
  codexConformance,
  codexUserTurn,
  materializationError,
  pickerRefusal,
  resumedItems,
} from "./codex_model.ts";

const ID = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const T = "2026-08-20T10:00:00.000Z";

function line(fields: Record<string, unknown>): string {
  return `${JSON.stringify(fields)}\n`;
}

/** The sessions folder of one day under the home `dir`, made (forks are looked for there). */
function dayFolder(dir: string): string {
  const day = path.join(dir, "sessions", "2026", "08", "20");
  fs.mkdirSync(day, { recursive: true });
  return day;
}

/** A writer of a paginated file's lines, each taking the next ordinal from `start`. */
function numbered(start = 0): (type: string, payload: unknown) => string {
  let ordinal = start;
  return (type, payload) => line({ timestamp: T, ordinal: ordinal++, type, payload });
}

/** A meta as Codex 0.148 writes it (shape of the paginated sample, written here). */
function codexMeta(mode: "legacy" | "paginated", extra: Record<string, unknown> = {}) {
  return {
    session_id: ID,
    id: ID,
    timestamp: T,
    cwd: "/work/repo",
    originator: "codex-tui",
    cli_version: "0.148.0",
    source: "cli",
    model_provider: "openai",
    base_instructions: { text: "You are Codex, a coding agent based on GPT-5. (stock prompt)" },
    history_mode: mode,
    ...extra,
  };
}

/** The effective history as a large rollout is read: where each item is, then the items. */
async function replayed(file: string): Promise<unknown[]> {
  const first = await streamRollout(file, { history: "refs", between: () => {} });
  assert.deepEqual(first.saved.items, [], "a first read keeps no items");
  const items: unknown[] = [];
  await replayHistory(first, { between: () => {}, item: (item) => items.push(item) });
  assert.equal(items.length, first.itemCount);
  return items;
}

function assistant(text: string) {
  return { type: "message", role: "assistant", content: [{ type: "output_text", text }] };
}

/** A Codex file of `mode` with one user turn and its answer, as Codex writes it. */
function codexFile(dir: string, mode: "legacy" | "paginated", name = "codex.jsonl"): string {
  const file = path.join(dir, name);
  let n = 0;
  const env = (type: string, payload: unknown) =>
    line({ timestamp: T, ...(mode === "paginated" ? { ordinal: n++ } : {}), type, payload });
  fs.writeFileSync(
    file,
    env("session_meta", codexMeta(mode)) +
      env("turn_context", {
        turn_id: "t1",
        cwd: "/work/repo",
        approval_policy: "on-request",
        sandbox_policy: { type: "workspace-write" },
        model: "gpt-5.4",
        summary: "auto",
      }) +
      env("response_item", userMessage("take a screenshot")) +
      env("event_msg", {
        type: "user_message",
        message: "take a screenshot",
        images: [],
        local_images: [],
        text_elements: [],
      }) +
      env("response_item", assistant("Done.")) +
      env("event_msg", { type: "agent_message", message: "Done.", phase: null }),
    { mode: 0o600 },
  );
  return file;
}

/** Every complete, non-blank line of a file is a record one of the readers accounts for. */
function assertAccounted(file: string): void {
  const loaded = loadRollout(file);
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n").filter((l) => l.trim() !== "").length;
  const records = Object.values(loaded.recordTypes).reduce((a, b) => a + b, 0);
  assert.equal(records + loaded.report.skipped_lines.length, lines, file);
  // What Codex resumes is what rollout loads (no compaction in these files).
  assert.deepEqual(loaded.saved.items, resumedItems(text), file);
}

for (const mode of ["legacy", "paginated"] as const) {
  test(`mixed writers (${mode}): rollout and Codex take turns appending; neither loses a record`, async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      const file = codexFile(dir, mode);
      // rollout appends (its recorder), then records a state, then Codex appends a turn.
      const { recorder } = await RolloutRecorder.resume(file);
      await recorder.recordItems([userMessage("from rollout"), assistant("ok")]);
      await recorder.recordState({ previous_response_id: "resp_1" });
      await recorder.close();
      codexAppend(file, [...codexUserTurn("from codex"), {
        type: "response_item",
        payload: assistant("codex answer"),
      }]);
      // rollout again, after Codex.
      const again = await RolloutRecorder.resume(file);
      await again.recorder.recordItems([userMessage("rollout again")]);
      await again.recorder.close();
      const loaded = loadRollout(file);
      const texts = loaded.saved.items.map((i) => (i.content as { text: string }[])[0]!.text);
      assert.deepEqual(texts, [
        "take a screenshot",
        "Done.",
        "from rollout",
        "ok",
        "from codex",
        "codex answer",
        "rollout again",
      ]);
      assert.deepEqual(loaded.saved.state, { previous_response_id: "resp_1" });
      assert.deepEqual(loaded.report.skipped_lines, []);
      assert.equal(loaded.report.ordinal_errors, undefined);
      assertAccounted(file);
      // Codex's side: its materialization accepts the ordinals; legacy files carry none.
      assert.equal(materializationError(fs.readFileSync(file, "utf8")), null);
      const ordinals = fs.readFileSync(file, "utf8").trim().split("\n")
        .map((l) => JSON.parse(l).ordinal);
      if (mode === "legacy") assert.ok(ordinals.every((o) => o === undefined));
      else assert.ok(ordinals.filter((o) => o !== undefined).every((o, i) => o === i));
      assert.deepEqual(codexConformance(file), []);
    } finally {
      cleanup();
    }
  });
}

test("rollout state on a Codex paginated file, then Codex appends: the Codex message is kept everywhere", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = codexFile(dir, "paginated");
    assert.equal((await cli(["state", file, "--previous-response-id", "resp_9"])).code, 0);
    const stateLine = JSON.parse(fs.readFileSync(file, "utf8").trim().split("\n").at(-1)!);
    assert.equal(stateLine.type, "state");
    assert.equal(stateLine.ordinal, undefined);
    // Codex continues from the last line it decodes (ordinal 5): its user message takes 6.
    codexAppend(file, codexUserTurn("after the state"));
    const appended = JSON.parse(fs.readFileSync(file, "utf8").trim().split("\n").at(-2)!);
    assert.equal(appended.ordinal, 6);
    const loaded = loadRollout(file);
    assert.equal(loaded.saved.items.length, 3);
    assert.equal(loaded.report.ordinal_errors, undefined);
    const validate = await cli(["validate", file]);
    assert.equal(validate.code, 0, validate.stdout);
    const repair = await cli(["repair", file]);
    assert.match(repair.stdout, /^Nothing to repair/);
    const shown = await cli(["show", file]);
    assert.ok(shown.stdout.includes("after the state"), shown.stdout);
    assert.equal(materializationError(fs.readFileSync(file, "utf8")), null);
  } finally {
    cleanup();
  }
});

test("a Codex fork's copied parent session_meta is read without damage; the first meta counts", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const child = "0199a1b2-0000-7000-8000-00000000c417";
    const file = path.join(dir, "fork.jsonl");
    const env = numbered();
    fs.writeFileSync(
      file,
      env(
        "session_meta",
        codexMeta("paginated", { id: child, session_id: child, forked_from_id: ID }),
      ) +
        env("session_meta", codexMeta("paginated")) +
        env("response_item", userMessage("parent's question")) +
        env("event_msg", { type: "thread_settings_applied" }),
    );
    const loaded = loadRollout(file);
    assert.equal(loaded.saved.session.id, child);
    assert.deepEqual(loaded.report.skipped_lines, []);
    assert.equal(loaded.report.ordinal_errors, undefined);
    assert.deepEqual(loaded.recordTypes, { session_meta: 2, response_item: 1, event_msg: 1 });
    assert.equal((await cli(["validate", file])).code, 0);
  } finally {
    cleanup();
  }
});

test("loadRollout() gives the effective history: compaction with replacement_history, then a rollback", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "compacted.jsonl");
    const env = numbered();
    const summary = userMessage("Summary: the user wants a screenshot tool.");
    fs.writeFileSync(
      file,
      env("session_meta", codexMeta("paginated")) +
        env("response_item", userMessage("first")) +
        env("response_item", assistant("one")) +
        env("response_item", userMessage("second")) +
        env("compacted", { message: "", replacement_history: [summary] }) +
        env("response_item", userMessage("third")) +
        env("response_item", assistant("three")) +
        env("response_item", userMessage("fourth")) +
        env("response_item", assistant("four")) +
        env("event_msg", { type: "thread_rolled_back", num_turns: 1 }),
    );
    const loaded = loadRollout(file, { all: true, timeline: true });
    // Codex rebuilds: the replacement, the turns after it, minus the last user turn.
    assert.deepEqual(loaded.saved.items, [summary, userMessage("third"), assistant("three")]);
    assert.deepEqual(await replayed(file), loaded.saved.items);
    assert.equal(loaded.allItems!.length, 7);
    assert.deepEqual(loaded.report.history, { compacted: 3, rolled_back: 2, inherited: 0 });
    assert.deepEqual(
      loaded.timeline!.filter((e) => e.kind !== "item"),
      [
        { kind: "compacted", replaced: 3, kept: 1 },
        { kind: "rolled_back", turns: 1, removed: 2 },
      ],
    );
  } finally {
    cleanup();
  }
});

test("loadRollout() rebuilds a compaction without replacement_history as Codex does: user words, then the summary", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "legacy-compacted.jsonl");
    const env = (type: string, payload: unknown) => line({ timestamp: T, type, payload });
    fs.writeFileSync(
      file,
      env("session_meta", codexMeta("legacy")) +
        env(
          "response_item",
          userMessage("<environment_context>\n  <cwd>/w</cwd>\n</environment_context>"),
        ) +
        env("response_item", userMessage("fix the build")) +
        env("response_item", assistant("working")) +
        env("compacted", { message: "We fixed the build." }),
    );
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.saved.items, [
      userMessage("fix the build"),
      userMessage("We fixed the build."),
    ]);
    assert.deepEqual(await replayed(file), loaded.saved.items);
  } finally {
    cleanup();
  }
});

test("loadRollout() puts a fork's inherited history (history_base) before its own records", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const day = dayFolder(dir);
    const parentId = "0199a1b2-0000-7000-8000-0000000000a1";
    const parentFile = path.join(day, `rollout-2026-08-20T10-00-00-${parentId}.jsonl`);
    const penv = numbered();
    const prefix = penv("session_meta", codexMeta("paginated", { id: parentId })) +
      penv("response_item", userMessage("inherited question")) +
      penv("response_item", assistant("inherited answer"));
    // What the parent wrote after the fork point is not inherited.
    fs.writeFileSync(parentFile, prefix + penv("response_item", userMessage("later in parent")));
    const childId = "0199a1b2-0000-7000-8000-0000000000c1";
    const base = { thread_id: parentId, end_ordinal_exclusive: 3, end_byte_offset: prefix.length };
    const cenv = numbered(3);
    const childFile = path.join(day, `rollout-2026-08-20T10-05-00-${childId}.jsonl`);
    fs.writeFileSync(
      childFile,
      cenv("session_meta", codexMeta("paginated", { id: childId, history_base: base })) +
        cenv("response_item", userMessage("child question")),
    );
    const loaded = loadRollout(childFile);
    assert.deepEqual(loaded.saved.items, [
      userMessage("inherited question"),
      assistant("inherited answer"),
      userMessage("child question"),
    ]);
    assert.deepEqual(await replayed(childFile), loaded.saved.items);
    assert.equal(loaded.report.ordinal_errors, undefined);
    assert.deepEqual(loaded.report.history, { compacted: 0, rolled_back: 0, inherited: 2 });
    // A history_base with a field of the wrong type names no prefix: the fork reads as its own
    // records alone, whichever field it is.
    const malformed = [
      { ...base, thread_id: 7 },
      { ...base, end_ordinal_exclusive: "3" },
      { ...base, end_byte_offset: String(prefix.length) },
    ];
    for (const bad of malformed) {
      const env = numbered(3);
      fs.writeFileSync(
        childFile,
        env("session_meta", codexMeta("paginated", { id: childId, history_base: bad })) +
          env("response_item", userMessage("child question")),
      );
      const own = loadRollout(childFile);
      assert.deepEqual(own.saved.items, [userMessage("child question")], JSON.stringify(bad));
      assert.equal(own.report.history, undefined);
    }
    fs.writeFileSync(
      childFile,
      cenv("session_meta", codexMeta("paginated", { id: childId, history_base: base })) +
        cenv("response_item", userMessage("child question")),
    );
    fs.rmSync(parentFile);
    const orphan = loadRollout(childFile);
    assert.deepEqual(orphan.saved.items, [userMessage("child question")]);
    assert.match(orphan.report.warnings[0]!, /the history inherited from rollout .* is missing/);
  } finally {
    cleanup();
  }
});

test("a .jsonl.zst rollout is read like the plain file, and restored to it before it is written", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const day = dayFolder(dir);
    const plain = codexFile(day, "paginated", `rollout-2026-08-20T10-00-00-${ID}.jsonl`);
    const packed = `${plain}.zst`;
    const original = fs.readFileSync(plain);
    fs.writeFileSync(packed, zlib.zstdCompressSync(original));
    const want = loadRollout(plain);
    fs.rmSync(plain);
    const got = loadRollout(packed);
    assert.deepEqual(got.saved, want.saved);
    assert.equal(got.compressed, true);
    const list = await cli(["list", "--home", dir, "--json"]);
    assert.deepEqual(JSON.parse(list.stdout).map((s: { path: string }) => s.path), [packed]);
    const validate = await cli(["validate", "--json", path.join(dir, "sessions")]);
    assert.equal(validate.code, 0, validate.stdout);
    assert.deepEqual(JSON.parse(validate.stdout).map((r: { path: string }) => r.path), [packed]);
    const shown = await cli(["show", ID, "--home", dir]);
    assert.ok(shown.stdout.includes("take a screenshot"), shown.stdout);
    const { recorder, restored } = await RolloutRecorder.resume(packed);
    assert.equal(restored, packed);
    assert.equal(recorder.path, plain);
    assert.deepEqual(
      fs.readdirSync(day),
      [path.basename(plain) + ".lock", path.basename(plain)].sort(),
    );
    assert.deepEqual(fs.readFileSync(plain), original);
    await recorder.recordItems([userMessage("after the restore")]);
    await recorder.close();
    assert.deepEqual(fs.readdirSync(day), [path.basename(plain)]);
    assert.deepEqual(loadRollout(plain).saved.items, [
      ...want.saved.items,
      userMessage("after the restore"),
    ]);
  } finally {
    cleanup();
  }
});

test("convert and fork keep every record of a Codex file with its own timestamp", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const source = codexFile(dir, "legacy");
    // Stamp each line with its own time, a day apart at the ends.
    const lines = fs.readFileSync(source, "utf8").trim().split("\n").map((l, i) => {
      const record = JSON.parse(l);
      record.timestamp = new Date(Date.parse(T) + i * 4.6 * 3600_000).toISOString();
      return JSON.stringify(record);
    });
    fs.writeFileSync(source, `${lines.join("\n")}\n`);
    const target = path.join(dir, "converted.jsonl");
    const converted = await cli(["convert", source, "--to", "jsonl", "-o", target]);
    assert.equal(converted.code, 0, converted.stderr);
    const before = lines.map((l) => JSON.parse(l));
    const after = fs.readFileSync(target, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(
      after.map((r) => [r.type, r.timestamp, r.payload.type ?? null]).slice(1),
      before.map((r) => [r.type, r.timestamp, r.payload.type ?? null]).slice(1),
    );
    assert.deepEqual(after.map((r) => r.ordinal), after.map((_, i) => i));
    assert.equal(after[0].payload.history_mode, "paginated");
    assert.deepEqual(codexConformance(target), []);
    const fork = await cli(["fork", target, "--at", "1", "--json", "--home", dir]);
    assert.equal(fork.code, 0, fork.stderr);
    const forked = JSON.parse(fork.stdout).path as string;
    const records = fs.readFileSync(forked, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    // The fork's own meta, then the parent's records up to its first item's turn.
    assert.deepEqual(records.map((r) => r.type), [
      "session_meta",
      "turn_context",
      "response_item",
      "event_msg",
    ]);
    assert.deepEqual(
      records.slice(1).map((r) => r.timestamp),
      before.slice(1, 4).map((r) => r.timestamp),
    );
    assert.equal(records[0].payload.forked_from_id, ID);
    assert.deepEqual(codexConformance(forked), []);
    assert.equal(pickerRefusal(fs.readFileSync(forked, "utf8")), null);
  } finally {
    cleanup();
  }
});

test("converting the 2025 format fills what Codex requires and says so", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const source = path.join(dir, "old.jsonl");
    fs.writeFileSync(
      source,
      line({ id: "not-a-uuid", timestamp: "2025-05-06T22:35:51.781Z", instructions: null }) +
        line(userMessage("hi")) + line({ record_type: "state", previous_response_id: "r1" }),
    );
    const target = path.join(dir, "new.jsonl");
    const result = await cli(["convert", source, "--to", "jsonl", "-o", target], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(
        `Filled in for Codex: id \\(a new UUID; the old id "not-a-uuid" is kept as legacy_id\\), cwd \\(${dir}\\), originator, cli_version, source\\n$`,
      ),
    );
    const meta = JSON.parse(fs.readFileSync(target, "utf8").split("\n")[0]!).payload;
    assert.equal(meta.legacy_id, "not-a-uuid");
    assert.deepEqual(codexConformance(target), []);
    assert.equal(pickerRefusal(fs.readFileSync(target, "utf8")), null);
    assert.deepEqual(loadRollout(target).saved.state, { previous_response_id: "r1" });
  } finally {
    cleanup();
  }
});

test("files rollout writes pass Codex's picker and materialization rules", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const made = await cli(["new", "--home", dir, "--json", "--instructions", "Be terse."]);
    const file = JSON.parse(made.stdout).path as string;
    // An empty session has no user message: Codex hides it, as it hides its own.
    assert.equal(pickerRefusal(fs.readFileSync(file, "utf8")), "no user_message event in the head");
    const stdin = `${JSON.stringify(userMessage("hello codex"))}\n${
      JSON.stringify(assistant("hi"))
    }\n`;
    assert.equal((await cli(["append", file], { stdin })).code, 0);
    assert.equal((await cli(["state", file, "--previous-response-id", "r1"])).code, 0);
    assert.equal(pickerRefusal(fs.readFileSync(file, "utf8")), null);
    assert.deepEqual(codexConformance(file), []);
    assertAccounted(file);
  } finally {
    cleanup();
  }
});

test("rollout show displays every item, marks compaction and rollback, and labels instructions", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "marked.jsonl");
    const env = numbered();
    fs.writeFileSync(
      file,
      env("session_meta", codexMeta("paginated")) +
        env("turn_context", {
          cwd: "/work/repo",
          model: "gpt-5",
          user_instructions: "Prefer small commits.",
        }) +
        env(
          "response_item",
          userMessage("# AGENTS.md instructions for /work/repo\n\nRun npm test."),
        ) +
        env(
          "response_item",
          userMessage("<environment_context>\n  <cwd>/work/repo</cwd>\n</environment_context>"),
        ) +
        env("response_item", userMessage("first question")) +
        env("response_item", assistant("first answer")) +
        env("compacted", { message: "", replacement_history: [userMessage("summary")] }) +
        env("response_item", userMessage("second question")) +
        env("event_msg", { type: "thread_rolled_back", num_turns: 1 }),
    );
    const shown = await cli(["show", file]);
    assert.equal(shown.code, 0, shown.stderr);
    const out = shown.stdout;
    const order = [
      "  base prompt Codex's stock system prompt, 60 bytes (rollout load shows it)",
      "user instructions\n  Prefer small commits.",
      "user instructions (AGENTS.md)\n  # AGENTS.md instructions for /work/repo",
      "context\n  <environment_context>",
      "user\n  first question",
      "assistant\n  first answer",
      "── history compacted: the 4 item(s) above are replaced by 1; a resumed session continues from here ──",
      "user\n  second question",
      "── rolled back 1 user turn(s): 1 item(s) above left the history ──",
    ];
    let at = 0;
    for (const piece of order) {
      const found = out.indexOf(piece, at);
      assert.ok(found >= 0, `missing or out of order: ${piece}\n${out}`);
      at = found + piece.length;
    }
    assert.ok(!out.includes("You are Codex, a coding agent"), "the stock prompt is not shown");
    // load gives what a resumed session sees: the summary only, and says on stderr what the
    // history left out and why; --all every item.
    const loaded = await cli(["load", file]);
    assert.deepEqual(JSON.parse(loaded.stdout).items, [userMessage("summary")]);
    assert.equal(
      loaded.stderr,
      `rollout: note: "${file}": the history holds 1 item ` +
        "(4 superseded by compaction, 1 removed by rollback); --all prints every item of the file\n",
    );
    const all = JSON.parse((await cli(["load", "--all", file])).stdout);
    assert.equal(all.items.length, 5);
    assert.deepEqual(all.records, {
      session_meta: 1,
      turn_context: 1,
      response_item: 5,
      compacted: 1,
      event_msg: 1,
    });
  } finally {
    cleanup();
  }
});

/**
 * Fixtures written here in the shapes the real files of ../shared/samples/codex show (SPEC §6):
 * event_msg-only sessions, copied metas, world_state, tool search items, inter-agent metadata,
 * encrypted reasoning, ghost snapshots, array tool outputs with images, items Codex cannot
 * decode either (image_url null, arguments null), a compaction whose replacement history holds
 * one such entry, token counts with fractional percentages, and a TUI log that is no rollout.
 */
test("loadRollout() reads every record shape the real Codex samples show", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const env = (type: string, payload: unknown, extra: Record<string, unknown> = {}) =>
      line({ timestamp: T, type, payload, ...extra });
    const events = path.join(dir, "events-only.jsonl");
    fs.writeFileSync(
      events,
      env("session_meta", {
        id: "test-legacy-session",
        timestamp: T,
        cwd: "/tmp",
        originator: "codex_cli_rs",
        cli_version: "0.50.0",
        source: "cli",
      }) +
        env("event_msg", { type: "turn.completed", message: "ok" }) +
        env("event_msg", { type: "token_count", info: { prompt: 1420, completion: 910 } }),
    );
    const onlyEvents = loadRollout(events);
    assert.deepEqual(onlyEvents.saved.items, []);
    assert.deepEqual(onlyEvents.recordTypes, { session_meta: 1, event_msg: 2 });
    assert.equal((await cli(["validate", events])).code, 0);

    const image = "data:image/png;base64,iVBORw0KGgo=";
    const sink = path.join(dir, "kitchen-sink.jsonl");
    const badImage = {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "see" }, { type: "input_image", image_url: null }],
    };
    const badCall = { type: "function_call", name: "f", arguments: null, call_id: "c0" };
    const reasoning = {
      type: "reasoning",
      summary: [],
      content: null,
      encrypted_content: "gAAAAB",
    };
    const search = {
      type: "tool_search_call",
      id: "ts1",
      call_id: "ts1",
      status: "completed",
      arguments: { query: "x" },
    };
    const found = { type: "tool_search_output", call_id: "ts1", status: "completed", tools: [] };
    const arrayOutput = {
      type: "function_call_output",
      call_id: "c1",
      output: [{ type: "input_text", text: "Output:" }, {
        type: "input_image",
        image_url: image,
        detail: "high",
      }],
    };
    const ghost = { type: "ghost_snapshot", ghost_commit: { id: "abc" } };
    fs.writeFileSync(
      sink,
      env("session_meta", codexMeta("legacy")) +
        env("session_meta", codexMeta("legacy", { id: "0199a1b2-0000-7000-8000-0000000000ff" })) +
        env("world_state", { full: true, state: { agents_md: { text: "(redacted)" } } }) +
        env("turn_context", { cwd: "/work/repo", model: "gpt-5" }) +
        env("response_item", userMessage("go"), { metadata: { client_authored: true } }) +
        env("response_item", badImage) +
        env("response_item", reasoning) +
        env("response_item", search) +
        env("response_item", found) +
        env("response_item", badCall) +
        env("response_item", arrayOutput) +
        env("response_item", ghost) +
        env("inter_agent_communication_metadata", { trigger_turn: true }) +
        env("event_msg", {
          type: "token_count",
          info: null,
          rate_limits: { primary: { used_percent: 12.5, window_minutes: 300, resets_at: 1 } },
        }) +
        env("compacted", {
          message: "",
          replacement_history: [userMessage("summary"), { type: "message" }],
        }) +
        env("response_item", assistant("after")),
    );
    const loaded = loadRollout(sink, { all: true, records: true });
    assert.deepEqual(loaded.recordTypes, {
      session_meta: 2,
      world_state: 1,
      turn_context: 1,
      response_item: 9,
      inter_agent_communication_metadata: 1,
      event_msg: 1,
      compacted: 1,
    });
    // Items Codex cannot decode either are reported and left out; everything else is read.
    assert.deepEqual(loaded.report.skipped_lines.map((s) => [s.line, s.message]), [
      [6, "payload.content[1].image_url: expected string, got null"],
      [10, "payload.arguments: expected string, got null"],
    ]);
    assert.deepEqual(loaded.allItems!.map((i) => i.type), [
      "message",
      "reasoning",
      "tool_search_call",
      "tool_search_output",
      "function_call_output",
      "ghost_snapshot",
      "message",
    ]);
    // The compaction holds an entry Codex cannot decode: Codex skips the whole line, so the
    // history is every item but the ghost snapshot.
    assert.deepEqual(loaded.saved.items.map((i) => i.type), [
      "message",
      "reasoning",
      "tool_search_call",
      "tool_search_output",
      "function_call_output",
      "message",
    ]);
    assert.deepEqual(loaded.report.warnings, [
      "line 15: a compacted record Codex cannot read (replacement_history[1] is not an item): kept, no change to the history",
    ]);
    // Every record survives a conversion, its extra fields (metadata) included.
    const copy = path.join(dir, "copy.jsonl");
    assert.equal((await cli(["convert", sink, "--to", "jsonl", "-o", copy])).code, 0);
    const copied = loadRollout(copy, { records: true });
    // The source has no message events: the copy gains one per readable message (2).
    assert.deepEqual(copied.recordTypes, {
      ...loaded.recordTypes,
      event_msg: loaded.recordTypes.event_msg! + 2,
    });
    assert.deepEqual(copied.records![4]!.extra, { metadata: { client_authored: true } });
    assert.deepEqual(copied.saved.items, loaded.saved.items);

    const tui = path.join(dir, "tui.jsonl");
    fs.writeFileSync(
      tui,
      line({ ts: T, dir: "meta", kind: "session_start", cwd: "/w", model: "gpt-oss:20b" }) +
        line({ ts: T, dir: "to_tui", kind: "app_event", variant: "RequestRedraw" }),
    );
    assert.deepEqual(await cli(["validate", tui]), {
      code: 1,
      stdout:
        `INVALID  ${tui}\n         error: not a rollout (line 1 is not a session meta)\n1 file: 0 valid, 1 invalid\n`,
      stderr: "",
    });
  } finally {
    cleanup();
  }
});

test("fork --at N keeps the first N items of the effective history after a compaction or a rollback", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const write = (name: string, body: (env: (t: string, p: unknown) => string) => string) => {
      const env = numbered();
      const file = path.join(dir, name);
      fs.writeFileSync(file, env("session_meta", codexMeta("paginated")) + body(env));
      return file;
    };
    const compacted = write(
      "c.jsonl",
      (env) =>
        ["a1", "a2", "a3"].map((t) => env("response_item", userMessage(t))).join("") +
        env("compacted", {
          message: "",
          replacement_history: [userMessage("s1"), userMessage("s2")],
        }) +
        env("response_item", userMessage("b1")) + env("response_item", userMessage("b2")),
    );
    const rolled = write(
      "r.jsonl",
      (env) =>
        env("response_item", userMessage("u1")) + env("response_item", assistant("r1")) +
        env("response_item", userMessage("u2")) + env("response_item", assistant("r2")) +
        env("event_msg", { type: "thread_rolled_back", num_turns: 1 }) +
        env("response_item", userMessage("u3")) + env("response_item", assistant("r3")),
    );
    for (
      const [file, want] of [[compacted, ["s1", "s2", "b1"]], [rolled, ["u1", "r1", "u3"]]] as const
    ) {
      const fork = await cli(["fork", file, "--at", "3", "--json", "--home", dir]);
      assert.equal(fork.code, 0, fork.stderr);
      const child = loadRollout(JSON.parse(fork.stdout).path);
      assert.deepEqual(
        child.saved.items.map((i) => (i.content as { text: string }[])[0]!.text),
        want,
        file,
      );
    }
  } finally {
    cleanup();
  }
});

test("a copy of a fork that inherits its history (history_base) holds the whole conversation", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const day = dayFolder(dir);
    const parentId = "0199a1b2-0000-7000-8000-0000000000a1";
    const penv = numbered();
    const prefix = penv("session_meta", codexMeta("paginated", { id: parentId })) +
      penv("response_item", userMessage("p1")) + penv("response_item", assistant("p2"));
    fs.writeFileSync(path.join(day, `rollout-2026-08-20T10-00-00-${parentId}.jsonl`), prefix);
    const childId = "0199a1b2-0000-7000-8000-0000000000c1";
    const child = path.join(day, `rollout-2026-08-20T10-05-00-${childId}.jsonl`);
    const base = { thread_id: parentId, end_ordinal_exclusive: 3, end_byte_offset: prefix.length };
    fs.writeFileSync(
      child,
      line({
        timestamp: T,
        ordinal: 3,
        type: "session_meta",
        payload: codexMeta("paginated", { id: childId, history_base: base }),
      }) +
        line({ timestamp: T, ordinal: 4, type: "response_item", payload: userMessage("c1") }),
    );
    const copy = path.join(dir, "copy.jsonl");
    assert.equal((await cli(["convert", child, "--to", "jsonl", "-o", copy])).code, 0);
    const loaded = loadRollout(copy);
    assert.deepEqual(loaded.saved.items, [userMessage("p1"), assistant("p2"), userMessage("c1")]);
    assert.equal(loaded.rawMeta.history_base, undefined);
    assert.deepEqual(codexConformance(copy), []);
    // A file inheriting from itself (by a relative path too) is refused, not read twice.
    const selfBase = { thread_id: childId, end_ordinal_exclusive: 3, end_byte_offset: 10 };
    fs.writeFileSync(
      child,
      line({
        timestamp: T,
        ordinal: 3,
        type: "session_meta",
        payload: codexMeta("paginated", { id: childId, history_base: selfBase }),
      }) +
        line({ timestamp: T, ordinal: 4, type: "response_item", payload: userMessage("c1") }),
    );
    const here = process.cwd();
    process.chdir(day);
    try {
      const self = loadRollout(path.basename(child));
      assert.deepEqual(self.saved.items, [userMessage("c1")]);
      assert.match(self.report.warnings[0]!, /inherits from itself/);
    } finally {
      process.chdir(here);
    }
  } finally {
    cleanup();
  }
});

test("records Codex cannot decode change no history; a null ordinal is an absent one", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "odd.jsonl");
    const env = numbered();
    fs.writeFileSync(
      file,
      line({ timestamp: T, ordinal: null, type: "session_meta", payload: codexMeta("legacy") }) +
        line({ timestamp: T, ordinal: null, type: "response_item", payload: userMessage("u1") }) +
        env("compacted", { message: { x: 1 }, replacement_history: [] }) +
        env("compacted", { message: "", replacement_history: [null, userMessage("s")] }) +
        env("event_msg", { type: "thread_rolled_back", num_turns: 1.5 }) +
        env("event_msg", { type: "thread_rolled_back", num_turns: 1e308 }),
    );
    const loaded = loadRollout(file);
    assert.deepEqual(loaded.saved.items, [userMessage("u1")]);
    assert.deepEqual(loaded.report.skipped_lines, []);
    assert.equal(loaded.report.history, undefined);
    assert.deepEqual(loaded.report.warnings, [
      "line 3: a compacted record Codex cannot read (its message is not text): kept, no change to the history",
      "line 4: a compacted record Codex cannot read (replacement_history[0] is not an item): kept, no change to the history",
      "line 5: a event_msg record Codex cannot read (its num_turns is no whole number of turns): kept, no change to the history",
      "line 6: a event_msg record Codex cannot read (its num_turns is no whole number of turns): kept, no change to the history",
    ]);
  } finally {
    cleanup();
  }
});

test("repair refuses a .jsonl.zst; list shows a session once when its plain and compressed files lie side by side", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const day = dayFolder(dir);
    const plain = codexFile(day, "paginated", `rollout-2026-08-20T10-00-00-${ID}.jsonl`);
    const packed = `${plain}.zst`;
    fs.writeFileSync(
      packed,
      zlib.zstdCompressSync(Buffer.from(fs.readFileSync(plain, "utf8") + '{"torn')),
    );
    const listed = JSON.parse((await cli(["list", "--home", dir, "--json"])).stdout);
    assert.deepEqual(listed.map((s: { path: string }) => s.path), [plain]);
    const repair = await cli(["repair", packed]);
    assert.equal(repair.code, 1);
    assert.match(repair.stderr, /it is zstd-compressed .*decompress it first/);
    assert.equal(
      zlib.zstdDecompressSync(fs.readFileSync(packed)).toString().endsWith('{"torn'),
      true,
    );
  } finally {
    cleanup();
  }
});

test("a converted meta without a timestamp of its line keeps none rather than the text undefined", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "nots.jsonl");
    fs.writeFileSync(
      file,
      line({ type: "session_meta", payload: codexMeta("legacy") }) +
        line({ timestamp: T, type: "response_item", payload: userMessage("hi") }),
    );
    const copy = path.join(dir, "copy.jsonl");
    assert.equal((await cli(["convert", file, "--to", "jsonl", "-o", copy])).code, 0);
    const first = JSON.parse(fs.readFileSync(copy, "utf8").split("\n")[0]!);
    // The meta's own start stands in for the missing line time.
    assert.equal(first.timestamp, T);
  } finally {
    cleanup();
  }
});

test("a .jsonl.zst that is no readable zstd is named as such, not read", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "bad.jsonl.zst");
    fs.writeFileSync(file, new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5]));
    const result = await cli(["validate", file]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /error: it is not readable zstd \(/);
  } finally {
    cleanup();
  }
});

test("a .jsonl.zst that decompresses past the cap is refused, not unpacked; list reads only its head", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const day = dayFolder(dir);
    const file = path.join(day, `rollout-2026-08-20T10-00-00-${ID}.jsonl.zst`);
    const env = numbered();
    // A session whose one tool output is 3 MiB of the same letter: it packs to a few KiB.
    const plain = env("session_meta", codexMeta("paginated")) +
      env("response_item", userMessage("make it big")) +
      env("response_item", {
        type: "function_call_output",
        call_id: "c",
        output: "a".repeat(3 << 20),
      });
    fs.writeFileSync(file, zlib.zstdCompressSync(Buffer.from(plain)));
    assert.ok(fs.statSync(file).size < 64 * 1024);
    assert.throws(() => loadRollout(file, { zstdMaxBytes: 1 << 20 }), {
      code: "invalid_rollout",
      message:
        `Cannot load rollout "${file}": it decompresses to more than 1 MiB, more than rollout holds in memory; decompress it first (zstd -d "${file}") and read the .jsonl`,
    });
    assert.equal(loadRollout(file).itemCount, 2);
    // Streamed, it is unpacked into a temporary file piece by piece, held to the same kind of cap.
    await assert.rejects(streamRollout(file, { between: () => {}, zstdMaxBytes: 1 << 20 }), {
      code: "invalid_rollout",
      message:
        `Cannot load rollout "${file}": it decompresses to more than 1 MiB, more than the free space of the temporary folder; decompress it where there is room (zstd -d "${file}") and read the .jsonl`,
    });
    const streamed = await streamRollout(file, { between: () => {}, all: true });
    assert.deepEqual(streamed.allItems, loadRollout(file, { all: true }).allItems);
    assert.equal(streamed.compressed, true);
    const list = await cli(["list", "--json", "--home", dir]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(
      JSON.parse(list.stdout)[0].first_user_message ?? JSON.parse(list.stdout)[0].preview,
      "make it big",
    );
  } finally {
    cleanup();
  }
});

test("only a thread_rolled_back event with a number of turns rolls the history back", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "rollbacks.jsonl");
    const env = numbered();
    fs.writeFileSync(
      file,
      env("session_meta", codexMeta("paginated")) +
        env("response_item", userMessage("first")) +
        env("response_item", assistant("one")) +
        env("response_item", userMessage("second")) +
        env("response_item", assistant("two")) +
        // None of these is a rollback: a count as text, another event, no payload object.
        env("event_msg", { type: "thread_rolled_back", num_turns: "1" }) +
        env("event_msg", { type: "thread_rolled_backs", num_turns: 1 }) +
        env("event_msg", { type: "token_count", num_turns: 1 }) +
        env("event_msg", "thread_rolled_back") +
        env("event_msg", { type: "thread_rolled_back" }),
    );
    const kept = loadRollout(file, { timeline: true });
    assert.equal(kept.saved.items.length, 4);
    assert.equal(kept.report.history, undefined);
    // Codex could not decode a rollback without a whole number of turns: said, as elsewhere.
    const undecodable = (n: number) =>
      `line ${n}: a event_msg record Codex cannot read (its num_turns is no whole number of turns): kept, no change to the history`;
    assert.deepEqual(kept.report.warnings, [undecodable(6), undecodable(10)]);
    assert.deepEqual(kept.timeline!.filter((e) => e.kind !== "item"), []);
    // The same file with one that is: the last turn goes.
    fs.appendFileSync(file, env("event_msg", { type: "thread_rolled_back", num_turns: 1 }));
    const rolled = loadRollout(file, { timeline: true });
    assert.deepEqual(rolled.saved.items, [userMessage("first"), assistant("one")]);
    assert.deepEqual(rolled.timeline!.filter((e) => e.kind !== "item"), [
      { kind: "rolled_back", turns: 1, removed: 2 },
    ]);
  } finally {
    cleanup();
  }
});

test("a chain of forks is followed 64 deep; a longer one is read without what lies beyond", () => {
  const { dir, cleanup } = tempDir();
  try {
    const day = dayFolder(dir);
    const idOf = (k: number) => `0199a1b2-0000-7000-8000-${String(k).padStart(12, "0")}`;
    // Session k forks session k - 1 at its end and adds one question of its own.
    const files: string[] = [];
    for (let k = 0; k <= 66; k++) {
      const env = numbered(k);
      const meta = k === 0 ? codexMeta("paginated", { id: idOf(0) }) : codexMeta("paginated", {
        id: idOf(k),
        history_base: {
          thread_id: idOf(k - 1),
          end_ordinal_exclusive: k,
          end_byte_offset: fs.statSync(files[k - 1]!).size,
        },
      });
      const file = path.join(day, `rollout-2026-08-20T10-00-00-${idOf(k)}.jsonl`);
      fs.writeFileSync(
        file,
        env("session_meta", meta) + env("response_item", userMessage(`q${k}`)),
      );
      files.push(file);
    }
    // 64 forks deep: every question since the first session.
    const deep = loadRollout(files[64]!);
    assert.deepEqual(deep.saved.items, Array.from({ length: 65 }, (_, k) => userMessage(`q${k}`)));
    assert.deepEqual(deep.report.warnings, []);
    // 66 deep: the sessions beyond 64 forks up are not read, and the warning of the fork
    // that could not read its parent reaches the session loaded; the rest of it is there.
    const long = loadRollout(files[66]!);
    assert.deepEqual(
      long.saved.items,
      Array.from({ length: 65 }, (_, k) => userMessage(`q${k + 2}`)),
    );
    assert.deepEqual(long.report.warnings, [
      `the history inherited from rollout ${idOf(1)} is missing: the chain of forks is too long`,
    ]);
  } finally {
    cleanup();
  }
});

test("a fork's parent is read with the fork's line cap, and its records kept only when asked", () => {
  const { dir, cleanup } = tempDir();
  try {
    const day = dayFolder(dir);
    const parentId = "0199a1b2-0000-7000-8000-0000000000a2";
    const parentFile = path.join(day, `rollout-2026-08-20T10-00-00-${parentId}.jsonl`);
    const penv = numbered();
    // A line of about 3 KB in the parent, a short one after it.
    const prefix = penv("session_meta", codexMeta("paginated", { id: parentId })) +
      penv("response_item", userMessage("x".repeat(3000))) +
      penv("response_item", assistant("short answer"));
    fs.writeFileSync(parentFile, prefix);
    const childId = "0199a1b2-0000-7000-8000-0000000000c2";
    const childFile = path.join(day, `rollout-2026-08-20T10-05-00-${childId}.jsonl`);
    const cenv = numbered(3);
    const base = { thread_id: parentId, end_ordinal_exclusive: 3, end_byte_offset: prefix.length };
    fs.writeFileSync(
      childFile,
      cenv("session_meta", codexMeta("paginated", { id: childId, history_base: base })) +
        cenv("response_item", userMessage("child question")),
    );
    const whole = loadRollout(childFile, { timeline: true });
    assert.equal(whole.saved.items.length, 3);
    assert.equal("inheritedRecords" in whole, false);
    assert.deepEqual(whole.timeline![0], { kind: "inherited", items: 2, from: parentId });
    // Told not to inherit: the fork's own records, and a warning that the prefix was not read.
    const own = loadRollout(childFile, { inherit: false });
    assert.deepEqual(own.saved.items, [userMessage("child question")]);
    assert.deepEqual(own.report.warnings, [
      `the history inherited from rollout ${parentId} is missing: not read`,
    ]);
    // Under a cap of 2 KB the parent's long line is skipped there as it is in the fork.
    const capped = loadRollout(childFile, { maxLineBytes: 2048 });
    assert.deepEqual(capped.saved.items, [
      assistant("short answer"),
      userMessage("child question"),
    ]);
    // The records of the prefix, asked for by `records` or `inheritedRecords`: the parent's
    // records after its meta, as stored.
    for (const options of [{ records: true }, { inheritedRecords: true }]) {
      const kept = loadRollout(childFile, options);
      assert.deepEqual(
        kept.inheritedRecords!.map((r) => [r.line, r.type, r.ordinal]),
        [[2, "response_item", 1], [3, "response_item", 2]],
        JSON.stringify(options),
      );
    }
  } finally {
    cleanup();
  }
});

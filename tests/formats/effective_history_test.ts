/**
 * EffectiveHistory record by record, against what Codex rebuilds on resume (SPEC §6):
 * compaction with and without a replacement history, rollbacks, an inherited prefix, and the
 * counting and reference modes a large file is read with. Expectations come from Codex's rules.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compactionProblem,
  EffectiveHistory,
  isTurnCount,
} from "../../lib/formats/effective_history.ts";
import type { ResponseItem } from "../../lib/schemas/items.ts";

const user = (text: string) =>
  ({ type: "message", role: "user", content: [{ type: "input_text", text }] }) as ResponseItem;
const assistant = (text: string) =>
  ({
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text }],
  }) as ResponseItem;
const call = (id: string) =>
  ({ type: "function_call", name: "shell", arguments: "{}", call_id: id }) as ResponseItem;
const ghost = { type: "ghost_snapshot", ghost_commit: {} } as unknown as ResponseItem;
const context = user("<environment_context>\n  <cwd>/w</cwd>\n</environment_context>");

test("add() keeps items in order and leaves Codex's legacy ghost snapshots out", () => {
  const history = new EffectiveHistory();
  for (const item of [user("a"), ghost, call("1"), assistant("b")]) history.add(item);
  assert.deepEqual(history.items, [user("a"), call("1"), assistant("b")]);
});

test("a compaction with a replacement history makes that list the history from there on", () => {
  const history = new EffectiveHistory();
  history.add(user("a"));
  history.add(assistant("b"));
  history.add(user("c"));
  const done = history.compact({
    message: "summary",
    replacement_history: [user("c"), ghost, assistant("summary of a and b")],
  });
  assert.deepEqual(done, { replaced: 3, kept: 2 });
  assert.deepEqual(history.items, [user("c"), assistant("summary of a and b")]);
  assert.equal(history.compacted, 3);
  history.add(user("d"));
  assert.deepEqual(history.compact({ message: "", replacement_history: [] }), {
    replaced: 3,
    kept: 0,
  });
  assert.deepEqual(history.items, []);
  assert.equal(history.compacted, 6);
});

test("a compaction Codex cannot decode is refused by its reason and changes nothing", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ replacement_history: [] }, "its message is not text"],
    [{ message: 1 }, "its message is not text"],
    [{ message: "m", replacement_history: {} }, "its replacement_history is not a list"],
    [
      { message: "m", replacement_history: [user("x"), 7] },
      "replacement_history[1] is not an item",
    ],
    [
      { message: "m", replacement_history: [user("x")], replacement_history_metadata: [{}, {}] },
      "its replacement_history_metadata does not match replacement_history",
    ],
  ];
  for (const [payload, why] of cases) {
    assert.equal(compactionProblem(payload), why, JSON.stringify(payload));
    const history = new EffectiveHistory();
    history.add(user("kept"));
    assert.equal(history.compact(payload), why);
    assert.deepEqual([history.items, history.compacted], [[user("kept")], 0]);
  }
  // Metadata of the same length, or none, and a missing or null replacement are fine.
  assert.equal(
    compactionProblem({
      message: "m",
      replacement_history: [user("x")],
      replacement_history_metadata: [{}],
    }),
    null,
  );
  assert.equal(compactionProblem({ message: "m", replacement_history: null }), null);
  assert.equal(compactionProblem({ message: "m" }), null);
});

test("a compaction without a replacement keeps the user's words and the summary", () => {
  const history = new EffectiveHistory();
  history.add(context);
  history.add(user("first"));
  history.add(assistant("answer"));
  history.add(call("1"));
  history.add(user("second"));
  assert.deepEqual(history.compact({ message: "the summary" }), { replaced: 5, kept: 3 });
  // Context and everything not said by the user goes; the summary comes last, as user words.
  assert.deepEqual(history.items, [user("first"), user("second"), user("the summary")]);
  // A later compaction does not keep the earlier summary as words of the user.
  history.add(user("third"));
  history.compact({ message: "" });
  assert.deepEqual(history.items, [
    user("first"),
    user("second"),
    user("third"),
    user("(no summary available)"),
  ]);
});

test("a compaction without a replacement keeps the newest 20,000 tokens of user words", () => {
  const history = new EffectiveHistory();
  // About four bytes a token: 40,000 bytes are 10,000 tokens.
  const old = "o".repeat(60_000);
  const middle = "m".repeat(40_000);
  const last = "l".repeat(40_000);
  for (const text of [old, middle, last]) history.add(user(text));
  history.compact({ message: "s" });
  // 10,000 + 10,000 tokens fill the budget: the oldest is left out whole, as in Codex, which
  // stops once nothing is left of the budget.
  assert.deepEqual(history.items, [user(middle), user(last), user("s")]);
});

test("rollBack(n) removes the last n user turns and all after them", () => {
  const make = () => {
    const history = new EffectiveHistory();
    for (
      const item of [context, user("one"), assistant("1"), user("two"), call("c"), assistant("2")]
    ) history.add(item);
    return history;
  };
  const one = make();
  assert.equal(one.rollBack(1), 3);
  assert.deepEqual(one.items, [context, user("one"), assistant("1")]);
  assert.equal(one.rolledBack, 3);
  // More turns than there are: back to before the first turn; context before it stays.
  const all = make();
  assert.equal(all.rollBack(5), 5);
  assert.deepEqual(all.items, [context]);
  for (const turns of [0, -1]) assert.equal(make().rollBack(turns), 0);
  const none = new EffectiveHistory();
  none.add(assistant("no user turn"));
  assert.equal(none.rollBack(1), 0);
  assert.deepEqual(none.items, [assistant("no user turn")]);
  // An inter-agent message starts a turn too.
  const agent = new EffectiveHistory();
  agent.add(user("u"));
  agent.add({ type: "agent_message" } as unknown as ResponseItem);
  agent.add(assistant("a"));
  assert.equal(agent.rollBack(1), 2);
});

const developer = (...texts: string[]) =>
  ({
    type: "message",
    role: "developer",
    content: texts.map((text) => ({ type: "input_text", text })),
  }) as ResponseItem;

test("a rollback also takes the context its first removed turn began with", () => {
  // Codex's trim_pre_turn_context_updates (context_manager/history.rs:532-560 at 343074d): the
  // developer and user context messages just above the cut go with the turn, up to (never past)
  // the first user turn; any other item stops the walk.
  const permissions = developer("  <PERMISSIONS INSTRUCTIONS>sandbox changed</permissions>");
  const mixed = developer("<model_switch>m</model_switch>", "keep this developer text");
  const plain = developer("You are a careful reviewer.");
  const turnTwo = [permissions, context, mixed, user("two"), assistant("2")];
  for (const options of [{}, { count: true }, { refs: true }]) {
    const history = new EffectiveHistory(options);
    for (const item of [plain, context, user("one"), assistant("1"), ...turnTwo]) {
      history.add(item);
    }
    assert.equal(history.rollBack(1), 5, JSON.stringify(options));
    assert.equal(history.items.length, 4);
    if (!("count" in options) && !("refs" in options)) {
      assert.deepEqual(history.items, [plain, context, user("one"), assistant("1")]);
    }
  }
  // An item that is not context stops the walk: the context above it stays.
  const stopped = new EffectiveHistory();
  for (const item of [user("one"), permissions, call("c"), context, user("two")]) {
    stopped.add(item);
  }
  assert.equal(stopped.rollBack(1), 2);
  assert.deepEqual(stopped.items, [user("one"), permissions, call("c")]);
  // Compared as Codex compares: a byte order mark is no white space to it, and only ASCII
  // letters fold (the Kelvin sign is no "k"): such messages are no context, and stay.
  for (const odd of ["\uFEFF<permissions instructions>x", "<s\u212Aills_instructions>x"]) {
    const kept = new EffectiveHistory();
    for (const item of [user("one"), developer(odd), user("two")]) kept.add(item);
    assert.equal(kept.rollBack(1), 1, JSON.stringify(odd));
  }
  // Never past the first user turn: context before it is the session's, and stays.
  const first = new EffectiveHistory();
  for (const item of [plain, permissions, context, user("one"), assistant("1")]) first.add(item);
  assert.equal(first.rollBack(3), 2);
  assert.deepEqual(first.items, [plain, permissions, context]);
});

test("inherit() puts a fork's prefix first and counts it", () => {
  const history = new EffectiveHistory();
  history.inherit([user("parent"), assistant("p")]);
  history.add(user("child"));
  assert.deepEqual(history.items, [user("parent"), assistant("p"), user("child")]);
  assert.equal(history.inherited, 2);
});

test("with refs, each item says where it is stored; counting keeps only user words", () => {
  const history = new EffectiveHistory({ refs: true });
  history.inherit([assistant("inherited")]);
  history.add(user("u"), 4);
  history.add(call("1"), 5);
  history.add(ghost, 6);
  assert.deepEqual(history.refs, [
    { item: assistant("inherited") },
    { line: 4, index: -1 },
    { line: 5, index: -1 },
  ]);
  // Counting: placeholders for what no compaction or rollback reads.
  assert.deepEqual(history.items, [{ type: "counted" }, user("u"), { type: "counted" }]);
  history.compact({ message: "m", replacement_history: [ghost, user("r"), assistant("s")] }, 9);
  assert.deepEqual(history.refs, [{ line: 9, index: 1 }, { line: 9, index: 2 }]);
  history.add(user("after"), 10);
  assert.equal(history.rollBack(1), 1);
  assert.deepEqual(history.refs, [{ line: 9, index: 1 }, { line: 9, index: 2 }]);
  history.compact({ message: "sum" }, 11);
  assert.deepEqual(history.refs, [{ item: user("r") }, { item: user("sum") }]);
});

test("isTurnCount() takes what Codex decodes as a u32", () => {
  for (const good of [0, 1, 2 ** 32 - 1]) assert.equal(isTurnCount(good), true, `${good}`);
  for (const bad of [-1, 2 ** 32, 1.5, "1", null, Number.NaN]) {
    assert.equal(isTurnCount(bad), false, `${bad}`);
  }
});

test("counting keeps an inter-agent message as the turn it starts, for rollbacks", () => {
  const history = new EffectiveHistory({ count: true });
  history.add(user("u"));
  history.add({ type: "agent_message", content: "from another agent" } as unknown as ResponseItem);
  history.add(assistant("a"));
  assert.equal(history.rollBack(1), 2);
  assert.deepEqual(history.items, [user("u")]);
});

test("a compaction without a replacement keeps only what the user typed", () => {
  const history = new EffectiveHistory();
  // Developer instructions are input text too, but not the user's; nor is an image alone.
  history.add({
    type: "message",
    role: "developer",
    content: [{ type: "input_text", text: "developer rules" }],
  } as unknown as ResponseItem);
  history.add({
    type: "message",
    role: "assistant",
    content: [{ type: "input_text", text: "odd assistant part" }],
  } as unknown as ResponseItem);
  history.add({
    type: "message",
    role: "user",
    content: [{ type: "input_image", image_url: "data:image/png;base64,AA==" }],
  } as unknown as ResponseItem);
  history.add(user("typed"));
  history.compact({ message: "s" });
  assert.deepEqual(history.items, [user("typed"), user("s")]);
});

test("a replacement whose first entry is no item is refused", () => {
  assert.equal(
    compactionProblem({ message: "m", replacement_history: [7, user("x")] }),
    "replacement_history[0] is not an item",
  );
});

test("refs are kept only when asked for; counting keeps placeholders and user words", () => {
  const plain = new EffectiveHistory();
  assert.equal(plain.refs, null);
  plain.add(user("a"));
  plain.compact({ message: "m", replacement_history: [user("r")] });
  assert.equal(plain.refs, null);
  plain.compact({ message: "m" });
  assert.equal(plain.refs, null);
  const counting = new EffectiveHistory({ count: true });
  assert.equal(counting.refs, null);
  counting.add(call("1"));
  counting.add(assistant("b"));
  counting.add({
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "u" }, { type: "input_image", image_url: "x" }],
  } as unknown as ResponseItem);
  assert.deepEqual(counting.items, [{ type: "counted" }, { type: "counted" }, user("u")]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { checkItem, isPersisted, ItemSchemas } from "../../lib/schemas/items.ts";
import { VALID_ITEMS as VALID } from "./fixtures_items.ts";

test("checkItem() accepts a valid item of every persisted type and returns it unchanged", () => {
  assert.deepEqual(Object.keys(VALID).sort(), Object.keys(ItemSchemas).sort());
  for (const [type, item] of Object.entries(VALID)) {
    const check = checkItem(item, "items[0]");
    assert.deepEqual(check, { ok: true, item, persisted: true }, type);
  }
});

test("checkItem() accepts every form of a function call output", () => {
  const outputs = [
    "text",
    [{ type: "input_text", text: "a" }, { type: "input_image", image_url: "u" }],
    { content: "a\nb", success: true },
    { content: [{ type: "input_text", text: "a" }], success: null },
    { content: "x" },
  ];
  for (const output of outputs) {
    const item = { type: "function_call_output", call_id: "c", output };
    assert.deepEqual(checkItem(item, "i"), { ok: true, item, persisted: true });
  }
});

test("checkItem() keeps extra fields and accepts types outside the persistence policy", () => {
  const extra = { ...VALID.function_call, status: "completed", id: "fc_1", x: { y: [1] } };
  assert.deepEqual(checkItem(extra, "i"), { ok: true, item: extra, persisted: true });
  for (const item of [{ type: "reasoning", summary: [] }, { type: "some_future_item", a: 1 }]) {
    assert.deepEqual(checkItem(item, "i"), { ok: true, item, persisted: false });
  }
});

test("checkItem() names the index and field path of what is wrong", () => {
  const cases: [unknown, string][] = [
    ["text", "items[2]: expected an object, got string"],
    [null, "items[2]: expected an object, got null"],
    [[VALID.message], "items[2]: expected an object, got array"],
    [{ role: "user" }, "items[2].type: required string is missing"],
    [{ type: 3 }, "items[2].type: expected string, got number"],
    [{ ...VALID.function_call, call_id: 7 }, "items[2].call_id: expected string, got number"],
    [
      { type: "function_call", name: "shell", call_id: "c" },
      "items[2].arguments: required string is missing",
    ],
    [
      { ...VALID.function_call, arguments: { a: 1 } },
      "items[2].arguments: expected string, got object",
    ],
    [
      { type: "message", role: "user", content: "hi" },
      "items[2].content: expected array, got string",
    ],
    [{ type: "message", content: [] }, "items[2].role: required string is missing"],
    [
      { type: "message", role: "user", content: [{ type: "input_text" }] },
      "items[2].content[0].text: required string is missing",
    ],
    [
      { type: "message", role: "user", content: [{ type: "output_text", text: 1 }] },
      "items[2].content[0].text: expected string, got number",
    ],
    [
      {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "a" }, { type: "input_image" }],
      },
      "items[2].content[1].image_url: required string is missing",
    ],
    [
      { type: "message", role: "user", content: [{ text: "a" }] },
      "items[2].content[0].type: required string is missing",
    ],
    [
      { type: "function_call_output", call_id: "c", output: 5 },
      "items[2].output: expected a string, an array of content parts or {content, success?}, got number",
    ],
    [
      { type: "function_call_output", call_id: "c", output: { content: "x", success: "yes" } },
      "items[2].output.success: expected boolean, got string",
    ],
    [
      { type: "function_call_output", call_id: "c", output: [{ text: "x" }] },
      "items[2].output[0].type: required string is missing",
    ],
    [
      { type: "function_call_output", output: "x" },
      "items[2].call_id: required string is missing",
    ],
    [
      { ...VALID.local_shell_call, status: "done" },
      'items[2].status: expected one of "completed", "in_progress", "incomplete"',
    ],
    [
      { ...VALID.local_shell_call, action: { type: "spawn", command: [] } },
      'items[2].action.type: expected one of "exec"',
    ],
    [
      { ...VALID.local_shell_call, action: { type: "exec", command: ["a", 1] } },
      "items[2].action.command[1]: expected string, got number",
    ],
    [
      { ...VALID.local_shell_call, action: { type: "exec", command: [], env: { A: 1 } } },
      "items[2].action.env.A: expected string, got number",
    ],
    [
      { ...VALID.local_shell_call, id: 5 },
      "items[2].id: expected string, got number",
    ],
    [
      { type: "custom_tool_call", call_id: "c", name: "n", input: 1 },
      "items[2].input: expected string, got number",
    ],
    [
      { type: "custom_tool_call_output", call_id: "c" },
      "items[2].output: required value is missing",
    ],
  ];
  for (const [value, message] of cases) {
    assert.deepEqual(checkItem(value, "items[2]"), { ok: false, message }, message);
  }
});

test("isPersisted() follows the persistence policy of SPEC §2.4", () => {
  for (const type of Object.keys(VALID)) assert.equal(isPersisted(type), true, type);
  for (const type of ["reasoning", "other", "toString", "__proto__", "constructor", ""]) {
    assert.equal(isPersisted(type), false, type);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { formatIssue, formatPath, jsonTypeOf } from "../../lib/schemas/issue_path.ts";
import { parseSubmission } from "../../lib/schemas/protocol.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";

function messageOf(schema: z.ZodType, value: unknown, prefix?: string): string {
  const result = schema.safeParse(value);
  assert.equal(result.success, false);
  return formatIssue(result.error!, value, prefix);
}

test("formatPath() writes indexes in brackets and quotes keys that are not identifiers", () => {
  assert.equal(formatPath([]), "(root)");
  assert.equal(formatPath([], "op"), "op");
  assert.equal(formatPath(["items", 2, "call_id"]), "items[2].call_id");
  assert.equal(formatPath([0, "a"]), "[0].a");
  assert.equal(formatPath(["items", 0], "op"), "op.items[0]");
  assert.equal(formatPath(["env", "A-B", "x y"]), 'env["A-B"]["x y"]');
  assert.equal(formatPath(["é"]), '["é"]');
});

test("jsonTypeOf() names JSON types as users know them", () => {
  assert.deepEqual(
    [null, [], undefined, 1, "s", true, {}].map(jsonTypeOf),
    ["null", "array", "nothing", "number", "string", "boolean", "object"],
  );
});

test("formatIssue() says what was expected and what was found", () => {
  const schema = z.object({
    items: z.array(z.object({ call_id: z.string(), n: z.number().int().min(0).max(9) })),
    kind: z.enum(["a", "b"]),
    name: z.string().min(1).max(3).optional(),
    list: z.array(z.string()).min(2).optional(),
  });
  const ok = { call_id: "c", n: 1 };
  const base = { items: [ok, ok], kind: "a" };
  const cases: [unknown, string][] = [
    [
      { ...base, items: [ok, ok, { call_id: 5, n: 1 }] },
      "items[2].call_id: expected string, got number",
    ],
    [{ ...base, items: [{ n: 1 }] }, "items[0].call_id: required string is missing"],
    [{ kind: "a" }, "items: required array is missing"],
    [{ ...base, items: [{ call_id: "c", n: 1.5 }] }, "items[0].n: expected an integer, got 1.5"],
    [
      { ...base, items: [{ call_id: "c", n: Infinity }] },
      "items[0].n: expected number, got a number too large to hold",
    ],
    [{ ...base, items: [{ call_id: "c", n: -1 }] }, "items[0].n: expected a number >= 0, got -1"],
    [{ ...base, items: [{ call_id: "c", n: 10 }] }, "items[0].n: expected a number <= 9, got 10"],
    [{ ...base, kind: "c" }, 'kind: expected one of "a", "b"'],
    [{ ...base, name: "" }, "name: must not be empty"],
    [{ ...base, name: "abcd" }, "name: expected a string of <= 3 characters, got 4"],
    [{ ...base, list: ["x"] }, "list: expected >= 2 items, got 1"],
    ["x", "(root): expected an object, got string"],
  ];
  for (const [value, message] of cases) assert.equal(messageOf(schema, value), message, message);
  assert.equal(
    messageOf(z.strictObject({ a: z.number() }), { a: 1, b: 2, c: 3 }, "op"),
    'op: unknown field "b", "c"',
  );
  assert.equal(
    messageOf(z.object({ x: z.unknown().refine((v) => v !== 1, "must not be 1") }), { x: 1 }),
    "x: must not be 1",
  );
  assert.equal(
    messageOf(z.union([z.string(), z.number()]), [], "out"),
    "out: matches no allowed shape, got array",
  );
});

test("parseSubmission() failures name the field path under op", () => {
  const cases: [unknown, { id: string; code: string; message: string }][] = [
    [[1], { id: "", code: "invalid_submission", message: "(root): expected an object, got array" }],
    [{ op: { type: "flush" } }, {
      id: "",
      code: "invalid_submission",
      message: "id: required string is missing",
    }],
    [{ id: "1" }, {
      id: "1",
      code: "invalid_submission",
      message: "op: required object is missing",
    }],
    [
      { id: "4", op: { type: "record_state", previous_response_id: 5 } },
      {
        id: "4",
        code: "invalid_submission",
        message: "op.previous_response_id: expected string, got number",
      },
    ],
    [
      { id: "5", op: { type: "warp" } },
      { id: "5", code: "unsupported_op", message: 'op.type: unknown op "warp"' },
    ],
  ];
  for (const [value, expected] of cases) {
    assert.deepEqual(parseSubmission(value), { ok: false, ...expected }, expected.message);
  }
});

test("recordItems() of an op's items rejects the batch naming op.items[i] and the field", async () => {
  const item = { type: "message", role: "user", content: [] };
  const items = [item, item, { type: "function_call", name: "n", arguments: "{}", call_id: 5 }];
  const parsed = parseSubmission({ id: "3", op: { type: "record_items", items } });
  assert.equal(parsed.ok, true);
  const recorder = RolloutRecorder.inMemory({});
  await assert.rejects(recorder.recordItems(items, { where: "op.items" }), {
    code: "invalid_submission",
    message: "op.items[2].call_id: expected string, got number",
  });
  await assert.rejects(
    recorder.recordItems([item, { type: "function_call" }], { where: "op.items" }),
    {
      code: "invalid_submission",
      message: "op.items[1].name: required string is missing",
    },
  );
  assert.deepEqual(recorder.items, []);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { ItemSchemas } from "../../lib/schemas/items.ts";
import { OpSchemas } from "../../lib/schemas/protocol.ts";
import { EnvelopeLine } from "../../lib/schemas/record_lines.ts";
import { guardOf, refinedBy } from "../../lib/schemas/schema_guard.ts";
import { VALID_ITEMS } from "./fixtures_items.ts";
import { prng, randomString, randomValue, runSeed, withSeed } from "../fixtures_random.ts";

/** A valid value of every schema the hot paths guard, each exercising optional/extra fields. */
const VALID: [string, z.ZodType, unknown][] = [
  ...Object.entries(VALID_ITEMS).map(([type, item]): [string, z.ZodType, unknown] => [
    type,
    ItemSchemas[type as keyof typeof ItemSchemas],
    item,
  ]),
  ["function_call_output {content}", ItemSchemas.function_call_output, {
    type: "function_call_output",
    call_id: "c1",
    output: { content: "done", success: true },
  }],
  ["record_items", OpSchemas.record_items, { type: "record_items", items: [{ type: "x" }] }],
  ["configure_session", OpSchemas.configure_session, {
    type: "configure_session",
    model: "m",
    format: "json",
    resume_path: null,
    provider: { name: "p" },
  }],
  ["user_input", OpSchemas.user_input, {
    type: "user_input",
    items: [{ type: "text", text: "hi" }, { type: "local_image", path: "/a.png" }],
  }],
  ["get_history_entry_request", OpSchemas.get_history_entry_request, {
    type: "get_history_entry_request",
    offset: 3,
    log_id: 0,
  }],
  ["load_session", OpSchemas.load_session, { type: "load_session", path: "a.jsonl" }],
  ["envelope", EnvelopeLine, { timestamp: "t", ordinal: 4, type: "state", payload: {} }],
];

test("guardOf() accepts a valid value of every guarded schema", () => {
  for (const [name, schema, value] of VALID) {
    assert.equal(schema.safeParse(value).success, true, `${name} is a valid fixture`);
    assert.equal(guardOf(schema)(value), true, `the guard of ${name} accepts it`);
  }
});

test("guardOf() leaves to the schema what it cannot vouch for", () => {
  const strict = OpSchemas.record_items;
  const cases: [string, z.ZodType, unknown][] = [
    ["extra key of a strict object", strict, { type: "record_items", items: [], more: 1 }],
    ["missing array", strict, { type: "record_items" }],
    [
      "null-prototype object",
      strict,
      Object.assign(Object.create(null), { type: "record_items", items: [] }),
    ],
    [
      "class instance",
      ItemSchemas.web_search_call,
      new (class {
        type = "web_search_call";
      })(),
    ],
    ["negative offset", OpSchemas.get_history_entry_request, {
      type: "get_history_entry_request",
      offset: -1,
      log_id: 0,
    }],
    ["fractional offset", OpSchemas.get_history_entry_request, {
      type: "get_history_entry_request",
      offset: 1.5,
      log_id: 0,
    }],
    ["empty path", OpSchemas.load_session, { type: "load_session", path: "" }],
    ["text part without text", ItemSchemas.message, {
      type: "message",
      role: "u",
      content: [{ type: "input_text" }],
    }],
    ["image part without url", ItemSchemas.message, {
      type: "message",
      role: "u",
      content: [{ type: "input_image", text: "x" }],
    }],
    ["missing output", ItemSchemas.custom_tool_call_output, {
      type: "custom_tool_call_output",
      call_id: "c",
    }],
    ["array where an object goes", ItemSchemas.function_call, ["function_call"]],
    ["sparse array", OpSchemas.user_input, {
      type: "user_input",
      items: [, { type: "text", text: "a" }],
    }],
  ];
  for (const [name, schema, value] of cases) {
    assert.equal(guardOf(schema)(value), false, name);
  }
  // Shapes whose meaning lies outside what a guard reads are never vouched for.
  enum Numeric {
    A = 1,
  }
  const unread: [string, z.ZodType, unknown][] = [
    ["string format", z.email(), "not an address"],
    ["number format", z.int(), 1.5],
    ["numeric enum's reverse name", z.enum(Numeric), "A"],
    ["exclusive union", z.xor([z.string(), z.string().min(1)]), "ab"],
    ["record over fixed keys", z.record(z.enum(["a", "b"]), z.string()), {}],
    ["exact optional", z.looseObject({ a: z.exactOptional(z.string()) }), { a: undefined }],
    ["refined catchall", z.object({}).catchall(z.unknown().refine(() => false)), { x: 1 }],
  ];
  for (const [name, schema, value] of unread) {
    assert.equal(schema.safeParse(value).success, false, `${name}: the schema refuses it`);
    assert.equal(guardOf(schema)(value), false, name);
  }
  // A refinement the guard was not told about is never vouched for.
  const opaque = z.string().refine((s) => s.length > 2);
  assert.equal(guardOf(opaque)("abcd"), false);
  const declared = refinedBy(
    z.string().refine((s) => s.length > 2),
    (s) => (s as string).length > 2,
  );
  assert.equal(guardOf(declared)("abcd"), true);
  assert.equal(guardOf(declared)("ab"), false);
});

/** `value` with one random change somewhere inside it. */
function mutate(rand: () => number, value: unknown, depth = 0): unknown {
  const r = rand();
  if (depth > 0 && r < 0.15) return randomValue(rand, 3);
  if (depth > 0 && r < 0.2) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0 || rand() < 0.2) return [...value, randomValue(rand, 2)];
    const copy = [...value];
    const at = Math.floor(rand() * copy.length);
    copy[at] = mutate(rand, copy[at], depth + 1);
    return copy;
  }
  if (typeof value === "object" && value !== null) {
    const copy: Record<string, unknown> = { ...value };
    const keys = Object.keys(copy);
    const pick = rand();
    if (pick < 0.15) copy[randomString(rand, 6)] = randomValue(rand, 2);
    else if (pick < 0.3 && keys.length > 0) delete copy[keys[Math.floor(rand() * keys.length)]!];
    else if (keys.length > 0) {
      const key = keys[Math.floor(rand() * keys.length)]!;
      copy[key] = mutate(rand, copy[key], depth + 1);
    }
    return copy;
  }
  return randomValue(rand, 2);
}

test("guardOf() never accepts what its schema refuses (seeded mutations)", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    let vouched = 0;
    for (let round = 0; round < 20_000; round++) {
      const [name, schema, valid] = VALID[round % VALID.length]!;
      let value = valid;
      const changes = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < changes; i++) value = mutate(rand, value);
      if (!guardOf(schema)(value)) continue;
      vouched++;
      const parsed = schema.safeParse(value);
      assert.equal(parsed.success, true, `${name}: the guard accepted ${JSON.stringify(value)}`);
    }
    // Many mutations keep the value valid (an extra field, a changed text): the guard must see them.
    assert.ok(vouched > 2_000, `the guards vouched for only ${vouched} of 20,000 values`);
  });
});

/**
 * redactPrepared(): items prepared without redaction (the op stream's parse thread) redacted on
 * the record path: each payload with a secret is prepared again from its redacted value, with
 * its event mirror; the rest pass as they came.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type PreparedItems, prepareItems } from "../../lib/schemas/mod.ts";
import { redactPrepared } from "../../lib/store/redact_prepared.ts";
import { SecretMaker } from "../redaction/secret_samples.ts";
import { userMessage } from "../helpers.ts";

const SECRET = `gh${"p"}_${new SecretMaker(7).chars("abcdefABCDEF0123456789", 36)}`;
const encoder = new TextEncoder();

/** The text of a payload, given as text or as UTF-8 bytes. */
function textOf(payload: string | Uint8Array | null): string | null {
  return payload === null || typeof payload === "string"
    ? payload
    : new TextDecoder().decode(payload);
}

test("a payload with a secret is prepared again, item and mirror redacted; the others pass as they came", () => {
  const prepared = prepareItems(
    [
      userMessage(`deploy with ${SECRET}`),
      userMessage("nothing to hide"),
      { type: "not_persisted_kind", text: SECRET },
    ],
    "items",
    { keepItems: true },
  );
  assert.equal(prepared.items[2]!.payload, null, "the test needs an item that is not written");
  const out = redactPrepared(prepared);
  assert.deepEqual(out.redacted, { github: 1 });
  assert.equal(out.where, "items");
  assert.equal(out.error, null);
  const [first, second, third] = out.items;
  assert.ok(!textOf(first!.payload)!.includes(SECRET));
  assert.ok(textOf(first!.payload)!.includes("deploy with [REDACTED:github]"));
  assert.equal(JSON.stringify(first!.item), textOf(first!.payload));
  assert.ok(first!.mirror !== undefined && first!.mirror !== null);
  assert.ok(!textOf(first!.mirror)!.includes(SECRET), "the event mirror keeps the secret");
  // Nothing found: the very same entries.
  assert.equal(second, prepared.items[1]);
  assert.equal(third, prepared.items[2]);
  // The input is left as it was.
  assert.ok(textOf(prepared.items[0]!.payload)!.includes(SECRET));
});

test("items prepared without their values are redacted from their payloads, text or bytes", () => {
  const prepared = prepareItems([userMessage(`token ${SECRET}`)], "record_items.items", {
    keepItems: false,
  });
  const text = redactPrepared(prepared).items[0]!;
  assert.equal("item" in text, false, "no value is kept where none was");
  assert.ok(textOf(text.payload)!.includes("token [REDACTED:github]"));

  const bytes: PreparedItems = {
    ...prepared,
    items: prepared.items.map((entry) => ({
      ...entry,
      payload: encoder.encode(entry.payload as string),
    })),
  };
  const fromBytes = redactPrepared(bytes);
  assert.deepEqual(fromBytes.redacted, { github: 1 });
  assert.ok(textOf(fromBytes.items[0]!.payload)!.includes("token [REDACTED:github]"));
});

test("an item the caller checked for nesting is redacted however deep it nests", () => {
  let deep: unknown = { text: `deep ${SECRET}` };
  for (let i = 0; i < 1200; i++) deep = [deep];
  const item = { type: "function_call_output", call_id: "c1", output: "x", extra: deep };
  const prepared = prepareItems([item], "items", { keepItems: true, nestingChecked: true });
  assert.equal(prepared.error, null);
  const out = redactPrepared(prepared);
  assert.deepEqual(out.redacted, { github: 1 });
  assert.ok(!textOf(out.items[0]!.payload)!.includes(SECRET));
});

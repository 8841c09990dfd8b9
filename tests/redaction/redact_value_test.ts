import assert from "node:assert/strict";
import { test } from "node:test";
import {
  redactingScrub,
  redactItem,
  redactJsonText,
  Redactor,
  redactText,
  redactValue,
} from "../../lib/redaction/mod.ts";
import { SecretMaker } from "./secret_samples.ts";

const make = new SecretMaker(21);
const GITHUB = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
const NPM = `np${"m"}_${make.chars("abcdefABCDEF0123456789", 36)}`;

test("redactItem() redacts every string of an item, arguments and outputs too, never a key", () => {
  const item = {
    type: "function_call",
    name: "shell",
    call_id: "call_1",
    arguments: JSON.stringify({
      command: ["bash", "-lc", `npm config set //r/:_authToken=${NPM}`],
    }),
    [GITHUB]: "a key that looks like a token stays a key",
  };
  const { item: clean, counts } = redactItem(item);
  assert.deepEqual(counts, { npm: 1 });
  assert.deepEqual(clean, {
    ...item,
    arguments: JSON.stringify({
      command: ["bash", "-lc", "npm config set //r/:_authToken=[REDACTED:npm]"],
    }),
  });
  assert.equal(item.arguments.includes(NPM), true, "the input is not changed");
});

test("redactValue() returns the same object when nothing is redacted, a copy otherwise", () => {
  const quiet = { type: "message", content: [{ type: "output_text", text: "hello" }], n: 3 };
  assert.equal(redactValue(quiet, {}), quiet);
  const loud = { a: { b: [1, `token ${GITHUB}`] }, c: { d: "same" } };
  const clean = redactValue(loud, {});
  assert.notEqual(clean, loud);
  assert.equal(clean.c, loud.c, "an untouched branch is shared, not copied");
  assert.deepEqual(clean.a.b, [1, "token [REDACTED:github]"]);
});

test("redactValue() keeps a __proto__ key an own field and never touches the prototype", () => {
  const value = JSON.parse(`{"__proto__": {"x": "${GITHUB}"}, "y": 1}`) as Record<string, unknown>;
  const clean = redactValue(value, {});
  assert.equal(Object.getPrototypeOf(clean), Object.prototype);
  assert.deepEqual(Object.keys(clean), ["__proto__", "y"]);
  assert.equal(JSON.stringify(clean), '{"__proto__":{"x":"[REDACTED:github]"},"y":1}');
});

test("Redactor counts across every value it redacts", () => {
  const redactor = new Redactor();
  redactor.value({ text: GITHUB });
  redactor.value([NPM, GITHUB]);
  redactor.add({ jwt: 2 });
  assert.deepEqual(redactor.counts, { github: 2, npm: 1, jwt: 2 });
  assert.equal(redactor.total, 5);
});

test("redactingScrub() looks at an item only when its JSON text may hold a secret", () => {
  const counts: Record<string, number> = {};
  let asked = 0;
  const scrub = redactingScrub<Record<string, unknown>>(() => (asked++, counts));
  const quiet = { text: "nothing here" };
  assert.equal(scrub(JSON.stringify(quiet), quiet), null);
  // Found through the JSON text alone: an item whose text does not hold it is not searched.
  const loud = { text: GITHUB };
  assert.equal(scrub('{"text":"nothing"}', loud), null);
  // A keyword without a secret after it: searched, nothing found, nothing counted.
  const near = { text: "the token is stored in the keychain" };
  assert.equal(scrub(JSON.stringify(near), near), null);
  // The counts are asked for only when something was replaced.
  assert.equal(asked, 0);
  assert.deepEqual(scrub(JSON.stringify(loud), loud), { text: "[REDACTED:github]" });
  assert.deepEqual(scrub(JSON.stringify(loud), loud), { text: "[REDACTED:github]" });
  assert.deepEqual(counts, { github: 2 });
  assert.equal(asked, 2);
});

test("redactJsonText() changes only the string values that held a secret, byte for byte", () => {
  const line =
    `{"timestamp":"2026-11-26T11:15:29.000Z","ordinal":7,"type":"x","payload":{"n":1.50,"a":"${GITHUB}",  "${NPM}":"k","b":"\\u00e9"}}`;
  const counts: Record<string, number> = {};
  assert.equal(
    redactJsonText(line, counts),
    `{"timestamp":"2026-11-26T11:15:29.000Z","ordinal":7,"type":"x","payload":{"n":1.50,"a":"[REDACTED:github]",  "${NPM}":"k","b":"\\u00e9"}}`,
  );
  assert.deepEqual(counts, { github: 1 });
  const quiet = '{"a":"https:\\/\\/example.com","b":[1,2]}';
  assert.equal(redactJsonText(quiet, counts), quiet);
});

test("redactJsonText() finds a URL password behind escaped slashes", () => {
  const counts: Record<string, number> = {};
  assert.equal(
    redactJsonText('{"url":"postgres:\\/\\/app:Zx81kq0w@db\\/x"}', counts),
    '{"url":"postgres://app:[REDACTED:url_credentials]@db/x"}',
  );
  assert.deepEqual(counts, { url_credentials: 1 });
});

test("redactValue() and redactJsonText() read a field with its key: {password: x} is a secret", () => {
  const counts: Record<string, number> = {};
  const action = { type: "exec", command: ["psql"], env: { PGPASSWORD: "s3cr3t-pw", HOME: "/h" } };
  assert.deepEqual(redactValue(action, counts), {
    ...action,
    env: { PGPASSWORD: "[REDACTED:secret_assignment]", HOME: "/h" },
  });
  const line = '{"payload":{"client_secret" : "Zq81-kd0Lw","token_count":3,"note":"ok"}}';
  assert.equal(
    redactJsonText(line, counts),
    '{"payload":{"client_secret" : "[REDACTED:secret_assignment]","token_count":3,"note":"ok"}}',
  );
  // Names of a secret's field that hold no secret: a type, a placeholder, a setting.
  const quiet = { password: "string", token: "${TOKEN}", tokenType: "bearer", secretName: "db" };
  assert.equal(redactValue(quiet, counts), quiet);
  assert.deepEqual(counts, { secret_assignment: 2 });
});

test("redactText() never joins two strings of a JSON text: keys and structure stay", () => {
  const make = new SecretMaker(23);
  const body = make.chars("ABCDEFabcdef0123456789+/", 64);
  const text = JSON.stringify({
    a: "-----BEGIN RSA PRIVATE KEY-----",
    b: `${body}\n-----END RSA PRIVATE KEY-----`,
  });
  const out = redactText(text, {});
  assert.deepEqual(Object.keys(JSON.parse(out)), ["a", "b"]);
});

test("redactJsonText() finds a secret or a secret's key spelled with \\u escapes", () => {
  const counts: Record<string, number> = {};
  // `\u0073k-` is `sk-`, `pa\u0073sword` is `password`: neither is in the text as written.
  const key = `\\u0073k-proj-${make.chars("abcdefghijklmnopqrstuvwxyzABCDEF0123456789", 40)}`;
  const line = `{"a":"my key is ${key}","pa\\u0073sword":"hunter2hunter2","n":1.50}`;
  assert.equal(
    redactJsonText(line, counts),
    '{"a":"my key is [REDACTED:openai]","pa\\u0073sword":"[REDACTED:secret_assignment]","n":1.50}',
  );
  assert.deepEqual(counts, { openai: 1, secret_assignment: 1 });
  // The same escapes inside a JSON text held in a string (a tool call's arguments).
  const args = `{"x":"${key}"}`;
  assert.equal(redactText(args, counts), '{"x":"[REDACTED:openai]"}');
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CONTEXT_RULES,
  describeCounts,
  FORMAT_RULES,
  type RedactionCounts,
  redactText,
} from "../../lib/redaction/mod.ts";
import { nearMisses, plantedSecrets, SecretMaker } from "./secret_samples.ts";

const RULES = [...FORMAT_RULES, ...CONTEXT_RULES].map((rule) => rule.name);

test("redactText() replaces a planted secret of every format with [REDACTED:<its rule>]", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    for (const planted of plantedSecrets(new SecretMaker(seed))) {
      const counts: RedactionCounts = {};
      const out = redactText(planted.text, counts);
      const where = `seed ${seed}, ${planted.rule}: ${JSON.stringify(planted.text)}`;
      assert.ok(!out.includes(planted.secret), `the secret stayed (${where}): ${out}`);
      assert.ok(out.includes(`[REDACTED:${planted.rule}]`), `wrong rule (${where}): ${out}`);
      assert.equal(counts[planted.rule], 1, `${where}: ${JSON.stringify(counts)}`);
    }
  }
});

test("redactText() covers every rule with a planted secret", () => {
  const covered = new Set(plantedSecrets(new SecretMaker(1)).map((p) => p.rule));
  assert.deepEqual([...covered].sort(), [...RULES].sort());
});

test("redactText() leaves near misses alone: prose, placeholders, hashes, ids, images, code", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    for (const miss of nearMisses(new SecretMaker(seed))) {
      const counts: RedactionCounts = {};
      assert.equal(redactText(miss.text, counts), miss.text, `${miss.rule}, seed ${seed}`);
      assert.deepEqual(counts, {});
    }
  }
});

test("redactText() keeps what surrounds a secret: the keyword, a URL's user and host", () => {
  const make = new SecretMaker(7);
  const password = make.chars("abcdefghij0123456789", 12);
  const counts: RedactionCounts = {};
  assert.equal(
    redactText(`DB=postgres://app:${password}@db:5432/x and PASSWORD=${password}!`, counts),
    "DB=postgres://app:[REDACTED:url_credentials]@db:5432/x and PASSWORD=[REDACTED:secret_assignment]",
  );
  assert.deepEqual(counts, { url_credentials: 1, secret_assignment: 1 });
});

test("redactText() leaves a redacted token in a URL as it is, and the next field of a query", () => {
  const make = new SecretMaker(12);
  const github = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
  const password = make.chars("abcdefghij0123456789", 12);
  const counts: RedactionCounts = {};
  assert.equal(
    redactText(`git clone https://${github}@github.com/o/r.git`, counts),
    "git clone https://[REDACTED:github]@github.com/o/r.git",
  );
  assert.deepEqual(counts, { github: 1 });
  assert.equal(
    redactText(`curl "https://h/login?password=${password}&user=bob&debug"`, {}),
    'curl "https://h/login?password=[REDACTED:secret_assignment]&user=bob&debug"',
  );
});

test("redactText() names a token of a known format for its format, not for its keyword", () => {
  const make = new SecretMaker(8);
  const github = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
  const counts: RedactionCounts = {};
  assert.equal(
    redactText(`GITHUB_TOKEN="${github}"`, counts),
    'GITHUB_TOKEN="[REDACTED:github]"',
  );
  assert.deepEqual(counts, { github: 1 });
});

test("redactText() keeps a JSON text valid, secrets inside escaped JSON included", () => {
  const make = new SecretMaker(9);
  const lines = Array.from({ length: 4 }, () => make.chars("ABCDEFabcdef0123456789+/", 64));
  const key = `-----BEGIN RSA PRIVATE KEY-----\n${lines.join("\n")}\n-----END RSA PRIVATE KEY-----`;
  const args = JSON.stringify({
    command: ["bash", "-lc", `echo '${JSON.stringify({ password: "pa55word!", key })}'`],
  });
  const counts: RedactionCounts = {};
  const out = redactText(args, counts);
  assert.deepEqual(counts, { private_key: 1, secret_assignment: 1 });
  const decoded = JSON.parse(out) as { command: string[] };
  assert.ok(!out.includes("pa55word!") && !out.includes(lines[0]!));
  assert.deepEqual(JSON.parse(decoded.command[2]!.slice(6, -1)), {
    password: "[REDACTED:secret_assignment]",
    key: "[REDACTED:private_key]",
  });
});

test("redactText() passes over a data URL of an image without looking inside", () => {
  const make = new SecretMaker(10);
  const hidden = `AK${"IA"}${make.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
  // After a `+` (a base64 character, but not one of a token's), as text it would be found.
  const url = `data:image/png;base64,${make.chars("ABCDEFabcdef0123456789+/", 500)}+${hidden}/`;
  assert.notEqual(redactText(url.slice(5), {}), url.slice(5));
  const counts: RedactionCounts = {};
  assert.equal(redactText(url, counts), url);
  assert.deepEqual(counts, {});
});

test("describeCounts() lists the rules by count, most first, then by name", () => {
  assert.equal(
    describeCounts({ jwt: 1, openai: 2, aws_access_key_id: 1 }),
    "openai 2, aws_access_key_id 1, jwt 1",
  );
  assert.equal(describeCounts({}), "");
});

test("redactText() looks past a candidate that fails its check to the next one after a keyword", () => {
  const make = new SecretMaker(11);
  const random = make.chars("ABCDEFGHJKabcdefghjk0123456789", 28);
  const counts: RedactionCounts = {};
  assert.equal(
    redactText(`the token 0123456789abcdef0123 then ${random}.`, counts),
    "the token 0123456789abcdef0123 then [REDACTED:high_entropy].",
  );
  assert.deepEqual(counts, { high_entropy: 1 });
});

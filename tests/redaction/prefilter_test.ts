import assert from "node:assert/strict";
import { test } from "node:test";
import { mayHoldSecret } from "../../lib/redaction/mod.ts";

test("mayHoldSecret() is false for ordinary prose and true where a rule could match", () => {
  assert.equal(mayHoldSecret("The quick brown fox jumps over the lazy dog; ls -la /tmp."), false);
  assert.equal(mayHoldSecret("Set the PASSWORD first"), true);
  assert.equal(mayHoldSecret("see https://example.com"), true);
});

test("mayHoldSecret() passes every keyword in the forms the rules take, and escaped URLs", () => {
  const forms = [
    "password|passwd|passphrase|Password|PASSWORD|PASSWD|passWord|secret|Secret|SECRET",
    "token|Token|TOKEN|api_key|apiKey|api-key|api key|ApiKey|API_KEY|API-KEY",
    "access_key|accessKey|AccessKey|ACCESS_KEY|private_key|privateKey|PRIVATE KEY",
    "auth_key|authKey|AUTH_KEY|credential|Credentials|CREDENTIALS|db_pwd|DB_PWD",
    "authorization|Authorization|AUTHORIZATION|bearer|Bearer|BEARER|https://h|postgres:\\/\\/h",
  ].join("|").split("|");
  for (const form of forms) assert.equal(mayHoldSecret(`x ${form} y`), true, form);
});

test("mayHoldSecret() finds an anchor wherever it stands in a long text, across its quarters", () => {
  const anchors = ["authorization", "sk-", "eyJ", "://", "TOKEN", "hooks.slack", "github_pat_"];
  for (let n = 240; n < 700; n += 37) {
    const base = "q".repeat(n);
    assert.equal(mayHoldSecret(base), false);
    for (const anchor of anchors) {
      for (let at = 0; at + anchor.length <= n; at++) {
        const text = base.slice(0, at) + anchor + base.slice(at + anchor.length);
        assert.equal(mayHoldSecret(text), true, `${anchor} at ${at} of ${n}`);
      }
    }
  }
});

test("mayHoldSecret() finds anchors after characters of two, three and four UTF-8 bytes", () => {
  // The automaton runs over UTF-8: an anchor's place in bytes is not its place in the text.
  for (const filler of ["é", "漢", "😀", "\u{10FFFF}", "\uD800"]) {
    for (let n = 0; n < 400; n += 53) {
      const before = filler.repeat(n);
      assert.equal(mayHoldSecret(`${before} and more ${before}`), false, `${filler} × ${n}`);
      for (const anchor of ["sk-", "Bearer", "://"]) {
        const text = `${before}${anchor}${before}`;
        assert.equal(mayHoldSecret(text), true, `${anchor} after ${filler} × ${n}`);
      }
    }
  }
  // Characters whose code units end in an anchor's bytes are not those bytes.
  assert.equal(mayHoldSecret("\u0173\u016B\u012D".repeat(200)), false);
  assert.equal(mayHoldSecret("\u1E73\u1E6B\u1E2D"), false);
});

test("mayHoldSecret() finds an anchor anywhere in a text longer than one scanned piece", () => {
  // A long text is encoded and scanned in pieces of about 32,000 characters that overlap.
  const n = 200_000;
  const base = "lorem ipsum ".repeat(n / 12 + 1).slice(0, n);
  assert.equal(mayHoldSecret(base), false);
  const places = [0, 1, n];
  for (let at = 32_700; at < n - 20; at += 32_758) {
    for (let d = -14; d <= 14; d++) places.push(at + d);
  }
  for (const place of places) {
    for (const anchor of ["sk-", "authorization"]) {
      const at = Math.min(place, n - anchor.length);
      const text = base.slice(0, at) + anchor + base.slice(at + anchor.length);
      assert.equal(mayHoldSecret(text), true, `${anchor} at ${at}`);
    }
  }
  // A surrogate pair cut by a piece's border, with an anchor right after it.
  const pairs = "😀".repeat(40_000);
  assert.equal(mayHoldSecret(pairs), false);
  for (let at = 32_740; at < 32_780; at++) {
    assert.equal(mayHoldSecret(`${pairs.slice(0, at)}eyJ${pairs.slice(at)}`), true, `at ${at}`);
  }
});

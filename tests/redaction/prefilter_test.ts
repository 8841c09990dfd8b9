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

import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import {
  historyPath,
  parseSessionFileName,
  resolveHome,
  sessionPath,
  sessionsDir,
} from "../../lib/store/paths.ts";

test("resolveHome() takes --home, else $CODEX_HOME, else ~/.codex", () => {
  const env = { CODEX_HOME: "/ch", HOME: "/home/u" };
  assert.equal(resolveHome({ home: "/h", env }), "/h");
  assert.equal(resolveHome({ home: "rel/h", env }), path.resolve("rel/h"));
  assert.equal(resolveHome({ home: "", env }), "/ch");
  assert.equal(resolveHome({ home: undefined, env }), "/ch");
  assert.equal(resolveHome({ env: { CODEX_HOME: "", HOME: "/home/u" } }), "/home/u/.codex");
  assert.equal(resolveHome({ env: { HOME: "/home/u/" } }), "/home/u/.codex");
  assert.equal(resolveHome({ env: { USERPROFILE: "/win/u" } }), "/win/u/.codex");
  // Without HOME (`env -i`): the password database's home, never a relative folder.
  assert.equal(resolveHome({ env: {}, passwdHome: "/home/pw" }), "/home/pw/.codex");
  assert.equal(resolveHome({ env: { HOME: "" }, passwdHome: "/home/pw" }), "/home/pw/.codex");
  assert.equal(resolveHome({ env: { HOME: "rel" }, passwdHome: "/home/pw" }), "/home/pw/.codex");
  assert.throws(() => resolveHome({ env: {} }), {
    code: "invalid_argument",
    message:
      "Cannot tell where sessions live: neither CODEX_HOME nor HOME is set and the user has no home folder; set CODEX_HOME or pass --home DIR",
  });
});

test("sessionsDir() and historyPath() live in the home", () => {
  assert.equal(sessionsDir("/h"), "/h/sessions");
  assert.equal(historyPath("/h"), "/h/history.jsonl");
});

test("sessionPath() names the file by its UTC creation time and id (SPEC §1)", () => {
  const id = "019abc00-0000-7000-8000-000000000001";
  assert.equal(
    sessionPath("/h", { id, created: new Date("2026-01-02T03:04:05.678Z"), extension: "jsonl" }),
    `/h/sessions/2026/01/02/rollout-2026-01-02T03-04-05-${id}.jsonl`,
  );
  assert.equal(
    sessionPath("/h", {
      id,
      created: new Date("2026-12-31T23:59:59.999+00:00"),
      extension: "json",
    }),
    `/h/sessions/2026/12/31/rollout-2026-12-31T23-59-59-${id}.json`,
  );
  assert.equal(
    sessionPath("/h", { id, created: new Date("2027-01-01T01:30:00+05:00"), extension: "jsonl" }),
    `/h/sessions/2026/12/31/rollout-2026-12-31T20-30-00-${id}.jsonl`,
  );
});

test("parseSessionFileName() reads the id and creation time back, or null", () => {
  const id = "019abc00-0000-7000-8000-000000000001";
  assert.deepEqual(parseSessionFileName(`rollout-2026-01-02T03-04-05-${id}.jsonl`), {
    id,
    created: "2026-01-02T03:04:05Z",
  });
  assert.deepEqual(parseSessionFileName(`rollout-2025-04-18T10-01-02-${id}.json`), {
    id,
    created: "2025-04-18T10:01:02Z",
  });
  for (
    const name of [
      `rollout-2026-01-02T03-04-05-${id}.txt`,
      `rollout-2026-01-02-${id}.jsonl`,
      `x-rollout-2026-01-02T03-04-05-${id}.jsonl`,
      `rollout-2026-01-02T03-04-05-.jsonl`,
      "history.jsonl",
    ]
  ) {
    assert.equal(parseSessionFileName(name), null, name);
  }
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT, tempDir } from "../helpers.ts";
import { ASSISTANT, CALL, OUTPUT, USER } from "./fixtures.ts";

const BINARY = path.join(ROOT, "dist", "rollout");

function rollout(
  args: string[],
  input = "",
): { code: number | null; stdout: string; stderr: string } {
  assert.ok(fs.existsSync(BINARY), `${BINARY} is missing: run "npm run build" first`);
  const result = spawnSync(BINARY, args, {
    input,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: "/nonexistent" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("dist/rollout --version and usage errors exit with the right status", () => {
  assert.deepEqual(rollout(["--version"]), { code: 0, stdout: "rollout 0.1.0\n", stderr: "" });
  assert.deepEqual(rollout(["list", "--bogus"]), {
    code: 2,
    stdout: "",
    stderr:
      'rollout list: unknown option "--bogus"\nUsage: rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
  });
});

test("dist/rollout new, append from stdin, state, show, validate, list on a fresh home", () => {
  const { dir, cleanup } = tempDir();
  try {
    const created = rollout(["new", "--home", dir, "--json", "--cwd", "/repo"]);
    assert.equal(created.code, 0, created.stderr);
    const { session_id: id, path: file } = JSON.parse(created.stdout);
    const stdin = [USER, CALL, OUTPUT, ASSISTANT].map((i) => JSON.stringify(i)).join("\n") + "\n";
    assert.deepEqual(rollout(["append", id.slice(0, 13), "--home", dir], stdin), {
      code: 0,
      stdout: `Appended 4 items to session ${id} (4 in all)\n`,
      stderr: "",
    });
    assert.equal(
      rollout(["state", "--last", "--home", dir, "--previous-response-id", "r1"]).code,
      0,
    );
    const shown = rollout(["show", file]);
    assert.equal(shown.code, 0);
    assert.ok(
      shown.stdout.endsWith("assistant\n  Two files: a and b.\n\nprevious_response_id r1\n"),
    );
    assert.deepEqual(rollout(["validate", "--json", dir]), {
      code: 0,
      stdout: `${
        JSON.stringify(
          [{ path: file, ok: true, format: "journal", items: 4, errors: [], warnings: [] }],
          null,
          2,
        )
      }\n`,
      stderr: "",
    });
    const listed = JSON.parse(rollout(["list", "--home", dir, "--json"]).stdout);
    assert.deepEqual(
      listed.map((s: { id: string; items: number; preview: string }) => [s.id, s.items, s.preview]),
      [[id, 4, "list files"]],
    );
    fs.appendFileSync(file, "garbage\n");
    const invalid = rollout(["validate", file]);
    assert.equal(invalid.code, 1);
    // Meta, 4 items, 2 event_msg mirrors (user and assistant messages), a state: line 9.
    assert.match(invalid.stdout, /^INVALID {2}.*\n {9}error: line 9 \(byte \d+\): not JSON\n/);
  } finally {
    cleanup();
  }
});

test("dist/rollout shows the bundled Codex 2025 example", () => {
  const result = rollout(["show", path.join(ROOT, "examples", "codex-2025.jsonl")]);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.startsWith("Session 5973b6c0-94b8-487b-a530-2aeb6098ae0e\n"));
  assert.ok(result.stdout.endsWith("previous_response_id resp_2025_b\n"));
});

test("dist/rollout says in one line why its output failed (stdout on /dev/full), and exits 1", () => {
  const { dir, cleanup } = tempDir();
  const full = fs.openSync("/dev/full", "w");
  try {
    const sample = path.join(ROOT, "examples", "codex-2025.jsonl");
    const ops = ['{"id":"c","op":{"type":"configure_session"}}'];
    for (let i = 0; i < 1000; i++) ops.push(`{"id":"${i}","op":{"type":"flush"}}`);
    const cases: [string[], string, string][] = [
      [["validate", sample], "", 'rollout: Cannot write the output of "rollout validate": ENOSPC'],
      [
        ["export", sample, "--to", "md"],
        "",
        'rollout: Cannot write the output of "rollout export": ENOSPC',
      ],
      [["--version"], "", 'rollout: Cannot write the output of "rollout": ENOSPC'],
      [
        ["proto", "--home", dir],
        `${ops.join("\n")}\n`,
        "rollout proto: Cannot write events to standard output: ENOSPC",
      ],
    ];
    for (const [args, input, start] of cases) {
      const result = spawnSync(BINARY, args, {
        input,
        encoding: "utf8",
        stdio: ["pipe", full, "pipe"],
        env: { PATH: process.env.PATH, HOME: dir },
      });
      assert.equal(result.status, 1, `${args.join(" ")}: ${result.stderr}`);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0]!.startsWith(start), result.stderr);
    }
  } finally {
    fs.closeSync(full);
    cleanup();
  }
});

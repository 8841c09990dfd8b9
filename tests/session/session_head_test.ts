/**
 * readSessionHead() on files that are no rollout: the reason names what the file is, so that
 * `list`, `search` and `du` say the same as `validate` and `load`.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { readSessionHead } from "../../lib/session/session_head.ts";
import { inTempDir } from "../helpers.ts";

test(
  "readSessionHead() tells JSON lines without a meta from a file that is not JSON at all",
  () =>
    inTempDir((dir) => {
      const cases: [string, string][] = [
        // Another tool's JSON lines (the shape of a real sample): JSON, but no session meta.
        [
          '{"created_at":"2025-09-10T12:00:00Z","role":"user","message":"hi"}\n' +
          '{"created_at":"2025-09-10T12:00:01Z","role":"assistant","content":"hola"}\n',
          "not a rollout (line 1 is not a session meta)",
        ],
        // One JSON value that is no document.
        ['{"created_at":"2025-09-10T12:00:00Z"}', "not a rollout (line 1 is not a session meta)"],
        ["this is no rollout\n", "not a rollout (neither JSON lines nor a JSON document)"],
        ['{\n  "session": {', "not a rollout (neither JSON lines nor a JSON document)"],
      ];
      for (const [index, [text, message]] of cases.entries()) {
        const file = path.join(dir, `case${index}.jsonl`);
        fs.writeFileSync(file, text);
        assert.deepEqual(readSessionHead(file), { ok: false, message }, text);
      }
    }),
);

test("readSessionHead() refuses a FIFO or a folder at once instead of waiting on it", () =>
  inTempDir((dir) => {
    const fifo = path.join(dir, "pipe.jsonl");
    const made = process.getBuiltinModule("node:child_process").spawnSync("mkfifo", [fifo]);
    assert.equal(made.status, 0, String(made.stderr));
    assert.deepEqual(readSessionHead(fifo), {
      ok: false,
      message: "it is not a regular file (a FIFO, a device or a socket) (ENOTREG)",
    });
    fs.mkdirSync(path.join(dir, "folder.jsonl"));
    assert.deepEqual(readSessionHead(path.join(dir, "folder.jsonl")), {
      ok: false,
      message: "it is a folder (EISDIR)",
    });
  }));

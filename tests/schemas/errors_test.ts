import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { ioError, isSystemError, plainError } from "../../lib/schemas/errors.ts";
import { cli } from "../cli/cli_io.ts";

const system = (code: string, syscall: string) =>
  Object.assign(new Error(`${code}: raw text, ${syscall} '/x'`), { code, syscall });

test("ioError() says what failed, on which path, why in plain words, and keeps the code", () => {
  assert.equal(
    ioError("write rollout", "/h/a.jsonl", system("EACCES", "open")).message,
    'Cannot write rollout "/h/a.jsonl": permission denied: this user may not do that there (check the owner and mode) (EACCES in open)',
  );
  assert.equal(
    ioError("create folder", "/h/file/sub", system("ENOTDIR", "mkdir")).message,
    'Cannot create folder "/h/file/sub": a part of the path is a file, not a folder (ENOTDIR in mkdir)',
  );
  assert.equal(ioError("read", "/h/gone", system("ENOENT", "open")).code, "not_found");
  assert.equal(
    plainError(system("ENOSPC", "write")),
    "the disk is full: free some space and try again (ENOSPC in write)",
  );
  // A code it has no words for keeps the system's own text.
  assert.equal(plainError(system("EXDEV", "link")), "EXDEV: raw text, link '/x'");
});

test("whole-number options say what is wrong with a negative or an overlarge value", async () => {
  assert.deepEqual(
    (await cli(["fork", "x", "--at", "-1"])).stderr.split("\n")[0],
    'rollout fork: option "--at" cannot be negative, got "-1"',
  );
  assert.deepEqual(
    (await cli(["proto", "--max-line-bytes", "99999999999999999999"])).stderr.split("\n")[0],
    `rollout proto: option "--max-line-bytes" can be at most ${Number.MAX_SAFE_INTEGER}, got "99999999999999999999"`,
  );
  assert.deepEqual(
    (await cli(["list", "--limit", "ten"])).stderr.split("\n")[0],
    'rollout list: option "--limit" needs a whole number, got "ten"',
  );
});

test("a /proc file is no rollout, said as such; a folder that takes no lock file is named", {
  skip: process.platform === "linux" ? false : "needs /proc",
}, async () => {
  assert.deepEqual(await cli(["show", "/proc/version"]), {
    code: 1,
    stdout: "",
    stderr:
      'rollout: Cannot load rollout "/proc/version": it reports no size but has content (a /proc or /sys file), so it is no rollout\n',
  });
  assert.deepEqual(await cli(["repair", "/proc/version"]), {
    code: 1,
    stdout: "",
    stderr:
      'rollout: Cannot write rollout "/proc/version": its lock file "/proc/version.lock" cannot be created there: the folder does not take new files\n',
  });
});

test("isSystemError() tells a system call's failure from any other error with a code", () => {
  for (const code of ["ENOENT", "EACCES", "E2BIG", "ENOTDIR"]) {
    assert.equal(isSystemError(Object.assign(new Error(code), { code })), true, code);
  }
  for (
    const error of [{ code: "ERR_SQLITE_ERROR" }, { code: "io_error" }, new Error("x"), null, "EIO"]
  ) {
    assert.equal(isSystemError(error), false, String(error));
  }
});

/**
 * `rollout sync` refuses a home that is not there before it connects: a mistyped --home in a
 * CI step fails, rather than pushing a home of no sessions and passing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";

test("rollout sync refuses a home that does not exist or is no folder, before connecting", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // Nothing listens on port 1: a command that connected would say so instead.
    const url = "postgres://rollout@127.0.0.1:1/none";
    const missing = path.join(dir, "no-such-home");
    for (const watch of [[], ["--watch"]]) {
      const run = await cli(["sync", "--to", url, "--home", missing, ...watch]);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(
        run.stderr,
        `rollout: No home at "${missing}": the folder does not exist (give --home DIR, or set CODEX_HOME)\n`,
      );
      assert.equal(fs.existsSync(missing), false);
    }
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "");
    const notFolder = await cli(["sync", "--to", url, "--home", file]);
    assert.equal(notFolder.code, 1);
    assert.equal(notFolder.stderr, `rollout: The home "${file}" is not a folder\n`);
  } finally {
    cleanup();
  }
});

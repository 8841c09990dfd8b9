/**
 * A session file edited in place with its size and times put back (`cp --preserve=timestamps`,
 * an editor that restores them) is read again: its status change time moved. Run through the
 * compiled binary, whose runtime gives that time to the nanosecond (Deno's node:fs gives it
 * to the second, so an edit in the same second as the last read would look unchanged). And
 * an index the binary wrote reads as up to date for the runtime running the tests.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { test } from "node:test";
import { openIndex } from "../../lib/index/mod.ts";
import { BINARY_PATH, tempDir } from "../helpers.ts";
import { idOf, writeSession } from "./fixtures.ts";

test("search reads again a file edited in place with its size and times kept", (t) => {
  if (!fs.existsSync(BINARY_PATH)) {
    t.skip(`${BINARY_PATH} is missing (npm run build)`);
    return;
  }
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(1) });
    const hits = (word: string) => {
      const run = spawnSync(BINARY_PATH, ["search", word, "--home", dir, "--json"], {
        encoding: "utf8",
      });
      assert.equal(run.status, 0, run.stderr);
      return (JSON.parse(run.stdout) as unknown[]).length;
    };
    assert.equal(hits("files"), 2);
    const before = fs.statSync(file, { bigint: true });
    const text = fs.readFileSync(file, "utf8");
    assert.ok(text.includes("list files"));
    // One word for another of its length, the times put back to the nanosecond (`touch -r`
    // from a copy that kept them).
    const kept = `${dir}/times`;
    assert.equal(spawnSync("cp", ["--preserve=timestamps", file, kept]).status, 0);
    fs.writeFileSync(file, text.replace("list files", "list fyles"));
    assert.equal(spawnSync("touch", ["-r", kept, file]).status, 0);
    const after = fs.statSync(file, { bigint: true });
    assert.deepEqual(
      [after.size, after.mtimeNs, after.ino],
      [before.size, before.mtimeNs, before.ino],
    );
    assert.equal(hits("fyles"), 1);
    assert.equal(hits("files"), 1);
  } finally {
    cleanup();
  }
});

test("an index the binary wrote is up to date for the other runtime: nothing read again", async (t) => {
  if (!fs.existsSync(BINARY_PATH)) {
    t.skip(`${BINARY_PATH} is missing (npm run build)`);
    return;
  }
  const { dir, cleanup } = tempDir();
  try {
    for (let n = 1; n <= 3; n++) {
      writeSession(dir, { id: idOf(n), stamp: `2026-11-26T11-15-2${n}` });
    }
    const run = spawnSync(BINARY_PATH, ["search", "files", "--home", dir, "--json"], {
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    // This runtime's clock reads the files' times at its own precision.
    const index = await openIndex(dir, { refresh: false });
    try {
      const report = await index.refresh();
      assert.deepEqual([report.read, report.grown, report.unchanged], [0, 0, 3]);
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

/**
 * A session file that cannot be read (no permission) is reported, never taken as read: once
 * it can be read, with its size, mtime and inode unchanged (a chmod), the next command finds
 * what it holds. Run as the user `nobody` through the compiled binary, since root reads any
 * file.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { lockedHome, tempDir } from "../helpers.ts";
import { idOf, writeSession } from "./fixtures.ts";

test("search and list retry a file they could not read, once a chmod makes it readable", () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    const home = lockedHome("tests/cli/unreadable_test.ts", dir, "zanquorix");
    if (home === null) return;
    const search = () => home.asNobody(["search", "zanquorix", "--home", dir, "--json"]);
    for (let run = 1; run <= 2; run++) {
      const missed = search();
      assert.equal(missed.code, 0, missed.stderr);
      assert.deepEqual(JSON.parse(missed.stdout), [], `run ${run}`);
      assert.match(missed.stderr, /not searched: cannot be read \(EACCES/, `run ${run}`);
    }
    const before = fs.statSync(home.locked);
    home.unlock();
    const after = fs.statSync(home.locked);
    assert.deepEqual(
      [after.size, after.mtimeMs, after.ino],
      [before.size, before.mtimeMs, before.ino],
    );
    for (let run = 1; run <= 2; run++) {
      const found = search();
      assert.equal(found.code, 0, found.stderr);
      assert.equal(found.stderr, "", `run ${run}`);
      const hits = JSON.parse(found.stdout) as { path: string }[];
      assert.deepEqual(hits.map((h) => h.path), [home.locked], `run ${run}`);
    }
    const listed = home.asNobody(["list", "--home", dir, "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stderr, "");
    assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 2);
  } finally {
    cleanup();
  }
});

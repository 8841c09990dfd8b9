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

// `list` brings up to date only the files it shows, `search` the whole home: each is tried
// as the first command after the chmod.
for (const first of ["list", "search"] as const) {
  test(`${first} retries a file it could not read, once a chmod makes it readable`, () => {
    const { dir, cleanup } = tempDir();
    try {
      const other = writeSession(dir, { id: idOf(1) });
      const home = lockedHome("tests/cli/unreadable_test.ts", dir, "zanquorix");
      if (home === null) return;
      const search = () => home.asNobody(["search", "zanquorix", "--home", dir, "--json"]);
      const list = () => home.asNobody(["list", "--home", dir, "--json"]);
      const listed = (run: ReturnType<typeof list>) =>
        (JSON.parse(run.stdout) as { path: string }[]).map((s) => s.path).sort();
      for (let run = 1; run <= 2; run++) {
        const missed = search();
        assert.equal(missed.code, 0, missed.stderr);
        assert.deepEqual(JSON.parse(missed.stdout), [], `run ${run}`);
        assert.match(
          missed.stderr,
          /not searched: cannot be read: permission denied: .* \(EACCES/,
          `run ${run}`,
        );
        const short = list();
        assert.deepEqual(listed(short), [other]);
        assert.match(
          short.stderr,
          /not listed: cannot be read: permission denied: .* \(EACCES/,
          `run ${run}`,
        );
      }
      const before = fs.statSync(home.locked);
      home.unlock();
      const after = fs.statSync(home.locked);
      assert.deepEqual(
        [after.size, after.mtimeMs, after.ino],
        [before.size, before.mtimeMs, before.ino],
      );
      const runs = first === "list" ? ["list", "search", "list"] : ["search", "list", "search"];
      for (const command of runs) {
        if (command === "list") {
          const all = list();
          assert.equal(all.code, 0, all.stderr);
          assert.equal(all.stderr, "", command);
          assert.deepEqual(listed(all), [home.locked, other].sort());
        } else {
          const found = search();
          assert.equal(found.code, 0, found.stderr);
          assert.equal(found.stderr, "", command);
          const hits = JSON.parse(found.stdout) as { path: string }[];
          assert.deepEqual(hits.map((h) => h.path), [home.locked]);
        }
      }
    } finally {
      cleanup();
    }
  });
}

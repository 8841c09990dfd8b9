/**
 * A folder of the home that cannot be read (no permission) is said, and the commands go on
 * with the rest of the home: nothing stops at it, nothing of it is silently left out. Once it
 * can be read, its session is found again. A home that may be read but not written is read
 * into an index in memory. Run as the user `nobody` through the compiled binary, since root
 * reads and writes any folder.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { lockedHome, tempDir } from "../helpers.ts";
import { idOf, writeSession } from "./fixtures.ts";

test("every home command says a folder it cannot read, and goes on with the rest", () => {
  const { dir, cleanup } = tempDir();
  try {
    const other = writeSession(dir, { id: idOf(1), mtime: Date.parse("2026-01-02") / 1000 });
    const home = lockedHome("tests/cli/unreadable_folder_test.ts", dir, "zanquorix", {
      lock: "folder",
    });
    if (home === null) return;
    const folder = path.dirname(home.locked);
    const run = (...args: string[]) => home.asNobody([...args, "--home", dir]);
    const said = (what: string) =>
      new RegExp(
        `warning: "${folder}": ${what}: cannot read the folder: permission denied: .* \\(EACCES`,
      );

    const list = run("list", "--json");
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { path: string }[]).map((s) => s.path), [other]);
    assert.match(list.stderr, said("not listed"));

    const search = run("search", "list files", "--json");
    assert.equal(search.code, 0, search.stderr);
    assert.deepEqual((JSON.parse(search.stdout) as { path: string }[]).map((h) => h.path), [
      other,
    ]);
    assert.match(search.stderr, said("not searched"));

    const du = run("du", "--json");
    assert.equal(du.code, 0, du.stderr);
    const report = JSON.parse(du.stdout) as {
      total: { files: number };
      skipped_folders: { path: string; message: string }[];
    };
    assert.equal(report.total.files, 1);
    assert.deepEqual(report.skipped_folders.map((f) => f.path), [folder]);
    assert.match(du.stderr, said("not counted"));
    const duText = run("du");
    assert.match(duText.stdout, /1 folder could not be read: not counted \(listed on stderr\)/);

    const usage = run("usage", "--json");
    assert.equal(usage.code, 0, usage.stderr);
    assert.match(usage.stderr, said("not counted"));

    // Its id names a session in the folder: not found, and the message says where it did not look.
    const shown = run("show", path.basename(home.locked).slice(28, -6));
    assert.equal(shown.code, 1);
    assert.match(shown.stderr, /no session id starts with it/);
    assert.ok(shown.stderr.includes(`not looked in: "${folder}" (cannot read the folder`));

    const last = run("show", "--last");
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stdout, new RegExp(idOf(1)));
    assert.match(last.stderr, said("not looked in"));

    const prune = run("prune", "--older-than", "1d", "--json");
    assert.equal(prune.code, 0, prune.stderr);
    const pruned = JSON.parse(prune.stdout) as {
      sessions: { files: string[] }[];
      skipped_folders: { path: string }[];
    };
    assert.deepEqual(pruned.sessions.map((s) => s.files), [[other]]);
    assert.deepEqual(pruned.skipped_folders.map((f) => f.path), [folder]);
    assert.match(prune.stderr, said("not looked at"));

    const archive = run("archive", "--dry-run", "--older-than", "1d", "--json");
    assert.equal(archive.code, 0, archive.stderr);
    const archived = JSON.parse(archive.stdout) as {
      sessions: { path: string; status: string }[];
      skipped_folders: { path: string }[];
    };
    assert.deepEqual(archived.sessions.map((s) => [s.path, s.status]), [
      [other, "would_archive"],
    ]);
    assert.deepEqual(archived.skipped_folders.map((f) => f.path), [folder]);

    home.unlock();
    const all = run("list", "--json");
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stderr, "");
    assert.deepEqual(
      (JSON.parse(all.stdout) as { path: string }[]).map((s) => s.path).sort(),
      [home.locked, other].sort(),
    );
    const found = run("search", "zanquorix", "--json");
    assert.equal(found.stderr, "");
    assert.deepEqual((JSON.parse(found.stdout) as { path: string }[]).map((h) => h.path), [
      home.locked,
    ]);
  } finally {
    cleanup();
  }
});

test("a home that may be read but not written is listed and searched from an index in memory", () => {
  const { dir, cleanup } = tempDir();
  try {
    const other = writeSession(dir, { id: idOf(1) });
    const home = lockedHome("tests/cli/unreadable_folder_test.ts", dir, "zanquorix");
    if (home === null) return;
    // All of it root's again, and readable by others: nobody may read it, not write in it.
    const open = (at: string) => {
      fs.chownSync(at, 0, 0);
      fs.chmodSync(at, fs.statSync(at).isDirectory() ? 0o755 : 0o644);
      if (fs.statSync(at).isDirectory()) {
        for (const name of fs.readdirSync(at)) open(path.join(at, name));
      }
    };
    open(dir);
    const run = (...args: string[]) => home.asNobody([...args, "--home", dir]);
    const notice =
      /notice: Cannot open the session index .*permission denied.*; the home is read into an index in memory, which is not kept/;
    const list = run("list", "--json");
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { path: string }[]).map((s) => s.path).sort(),
      [home.locked, other].sort(),
    );
    assert.match(list.stderr, notice);
    const found = run("search", "zanquorix", "--json");
    assert.equal(found.code, 0, found.stderr);
    assert.deepEqual((JSON.parse(found.stdout) as { path: string }[]).map((h) => h.path), [
      home.locked,
    ]);
    assert.equal(fs.existsSync(path.join(dir, "rollout")), false);
  } finally {
    cleanup();
  }
});

/**
 * Where a fork's parent is looked for: the sessions folder above a rollout, and the file of an
 * id in it (Codex's lookup by file name: `-<id>` or `_<id>`, plain before compressed).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { findRolloutById, sessionsRootOf } from "../../lib/formats/rollout_files.ts";
import { tempDir } from "../helpers.ts";

const ID = "019abc00-0000-7000-8000-0000000000f1";

function touch(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "");
  return file;
}

test("sessionsRootOf() finds sessions/ or archived_sessions/ up to the dated depth", () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const root of ["sessions", "archived_sessions"]) {
      const top = path.join(dir, root);
      assert.equal(sessionsRootOf(path.join(top, "2026", "11", "20", "r.jsonl")), top);
      assert.equal(sessionsRootOf(path.join(top, "r.jsonl")), top);
      assert.equal(sessionsRootOf(path.join(top, "a", "b", "c", "r.jsonl")), top);
    }
    // Deeper than a dated folder, or under no sessions folder: the file's own folder.
    const deep = path.join(dir, "sessions", "a", "b", "c", "d", "r.jsonl");
    assert.equal(sessionsRootOf(deep), path.dirname(deep));
    assert.equal(sessionsRootOf(path.join(dir, "loose", "r.jsonl")), path.join(dir, "loose"));
    assert.equal(sessionsRootOf("/r.jsonl"), "/");
    // Relative paths are taken from the current folder.
    assert.equal(sessionsRootOf("r.jsonl"), process.cwd());
  } finally {
    cleanup();
  }
});

test("findRolloutById() finds the file of an id in the dated folders, the plain one first", () => {
  const { dir, cleanup } = tempDir();
  try {
    const day = path.join(dir, "2026", "11", "20");
    assert.equal(findRolloutById(dir, ID), null);
    const packed = touch(path.join(day, `rollout-2026-11-20T09-00-00-${ID}.jsonl.zst`));
    assert.equal(findRolloutById(dir, ID), packed);
    const plain = touch(
      path.join(dir, "2026", "11", "21", `rollout-2026-11-21T09-00-00-${ID}.jsonl`),
    );
    assert.equal(findRolloutById(dir, ID), plain, "the plain file, even in another folder");
    assert.equal(findRolloutById(path.join(dir, "missing"), ID), null);
  } finally {
    cleanup();
  }
});

test("findRolloutById() matches -<id> and _<id> endings only, and looks three folders down", () => {
  const { dir, cleanup } = tempDir();
  try {
    touch(path.join(dir, `rollout-${ID}.json`));
    touch(path.join(dir, `rollout-${ID}x.jsonl`));
    touch(path.join(dir, `rollout${ID}.jsonl`));
    fs.mkdirSync(path.join(dir, `folder-${ID}.jsonl`));
    assert.equal(findRolloutById(dir, ID), null);
    const under = touch(path.join(dir, "a", "b", "c", `thread_${ID}.jsonl`));
    assert.equal(findRolloutById(dir, ID), under);
    fs.rmSync(under);
    touch(path.join(dir, "a", "b", "c", "d", `rollout-${ID}.jsonl`));
    assert.equal(findRolloutById(dir, ID), null, "four folders down is too deep");
  } finally {
    cleanup();
  }
});

test("findRolloutById() prefers the plain file beside its .zst whatever order the folder lists", () => {
  const { dir, cleanup } = tempDir();
  try {
    // Ten sessions kept both ways, the .zst written after: the listing order of a folder is
    // the file system's, so across ten pairs both orders come up on any of them.
    for (let n = 0; n < 10; n++) {
      const id = `019abc00-0000-7000-8000-0000000001${String(n).padStart(2, "0")}`;
      const plain = touch(path.join(dir, `rollout-2026-11-20T09-00-0${n}-${id}.jsonl`));
      touch(`${plain}.zst`);
      assert.equal(findRolloutById(dir, id), plain, id);
    }
  } finally {
    cleanup();
  }
});

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { findSessionFiles, newestFirst } from "../../lib/session/mod.ts";
import { tempDir } from "../helpers.ts";

test("findSessionFiles({ once }) leaves out a .jsonl.zst beside its own .jsonl file, and nothing else", () => {
  const { dir, cleanup } = tempDir();
  try {
    const day = path.join(dir, "sessions", "2026", "11", "27");
    const flat = path.join(dir, "sessions");
    fs.mkdirSync(day, { recursive: true });
    const made = [
      // The same session both ways: the plain file stands for it.
      path.join(day, "rollout-2026-11-27T10-00-00-a.jsonl"),
      path.join(day, "rollout-2026-11-27T10-00-00-a.jsonl.zst"),
      // Only compressed: listed.
      path.join(day, "rollout-2026-11-27T11-00-00-b.jsonl.zst"),
      // Its "plain" twin is a folder, not a file: listed.
      path.join(day, "rollout-2026-11-27T12-00-00-c.jsonl.zst"),
      // A twin in another folder does not count.
      path.join(flat, "rollout-2026-11-27T13-00-00-d.jsonl"),
      path.join(day, "rollout-2026-11-27T13-00-00-d.jsonl.zst"),
      // Placed flat in sessions/, both ways.
      path.join(flat, "rollout-2026-11-27T14-00-00-e.jsonl"),
      path.join(flat, "rollout-2026-11-27T14-00-00-e.jsonl.zst"),
    ];
    for (const file of made) fs.writeFileSync(file, "x");
    fs.mkdirSync(path.join(day, "rollout-2026-11-27T12-00-00-c.jsonl"));
    const all = findSessionFiles(dir).map((f) => f.path).sort();
    assert.deepEqual(all, [...made].sort());
    const once = findSessionFiles(dir, { once: true }).map((f) => f.path).sort();
    const twins = [made[1], made[7]];
    assert.deepEqual(once, made.filter((f) => !twins.includes(f)).sort());
    for (const found of findSessionFiles(dir, { once: true })) {
      assert.equal(found.name, path.basename(found.path));
    }
    // `list`'s walk, newest first, takes the same files for the same sessions as the index's.
    assert.deepEqual([...newestFirst(dir)].map((f) => f.path).sort(), once);
  } finally {
    cleanup();
  }
});

test("findSessionFiles({ once }) of a home without sessions/ finds nothing; of a sessions/ that is a file it fails", () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.deepEqual(findSessionFiles(dir, { once: true }), []);
    fs.writeFileSync(path.join(dir, "sessions"), "not a folder");
    assert.throws(() => findSessionFiles(dir, { once: true }), /sessions/);
    assert.throws(() => findSessionFiles(dir), /sessions/);
  } finally {
    cleanup();
  }
});

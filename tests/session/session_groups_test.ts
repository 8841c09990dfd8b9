import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { nodeFileSystem } from "../../lib/runtime/file_system.ts";
import { pruneSession } from "../../lib/session/prune_session.ts";
import { sessionGroups } from "../../lib/session/session_groups.ts";
import { markFixture, setup, tempDir } from "../helpers.ts";

const NAME = "rollout-2026-08-01T10-00-00-019abc00-0000-7000-8000-000000000001";

test("sessionGroups() gathers a session's files: archive first, then document, then journal; rollout's own files beside; locks and strangers left out", () => {
  const { dir, cleanup } = tempDir();
  try {
    const day = path.join(dir, "sessions", "2026", "08", "01");
    fs.mkdirSync(day, { recursive: true });
    const files: Record<string, number> = {
      [`${NAME}.jsonl`]: 10,
      [`${NAME}.json`]: 20,
      [`${NAME}.jsonl.zst`]: 5,
      [`${NAME}.jsonl.zst.tmp-k1ll3d`]: 3,
      [`${NAME}.jsonl.corrupt-20260801T100000Z`]: 7,
      [`${NAME}.jsonl.lock`]: 4,
      "notes.txt": 1,
      "orphan.jsonl.tmp-abc": 2,
    };
    for (const [name, size] of Object.entries(files)) {
      markFixture(path.join(day, name));
      fs.writeFileSync(path.join(day, name), "x".repeat(size));
    }
    const flat = path.join(dir, "sessions", "loose.jsonl");
    fs.writeFileSync(markFixture(flat), "y");
    const when = new Date("2026-08-02T00:00:00.000Z");
    fs.utimesSync(path.join(day, `${NAME}.json`), when, when);
    const groups = sessionGroups(dir);
    const at = (name: string) => path.join(day, name);
    assert.deepEqual(groups.map((g) => g.stem), [
      path.join(dir, "sessions", "2026", "08", "01", NAME),
      path.join(dir, "sessions", "loose"),
    ]);
    const [first] = groups;
    assert.deepEqual(first!.rollouts.map((f) => [f.path, f.bytes]), [
      [at(`${NAME}.jsonl.zst`), 5],
      [at(`${NAME}.json`), 20],
      [at(`${NAME}.jsonl`), 10],
    ]);
    assert.deepEqual(first!.sidecars.map((f) => f.path).sort(), [
      at(`${NAME}.jsonl.corrupt-20260801T100000Z`),
      at(`${NAME}.jsonl.zst.tmp-k1ll3d`),
    ]);
    assert.equal(first!.bytes, 5 + 20 + 10 + 3 + 7);
    assert.equal(
      first!.mtimeMs,
      Math.max(...first!.rollouts.map((f) => fs.statSync(f.path).mtimeMs)),
    );
    assert.deepEqual(sessionGroups(path.join(dir, "nowhere")), []);
  } finally {
    cleanup();
  }
});

test("pruneSession() removes the archive before the journal it shadows, then the rest, then syncs the folder", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const day = path.join(dir, "sessions", "2026", "08", "01");
    fs.mkdirSync(day, { recursive: true });
    for (const ext of [".jsonl", ".jsonl.zst", ".json", ".jsonl.zst.tmp-k1ll3d"]) {
      fs.writeFileSync(markFixture(path.join(day, `${NAME}${ext}`)), "z");
    }
    const calls: string[] = [];
    const logged = {
      ...nodeFileSystem,
      unlink: (file: string) => {
        calls.push(`unlink ${path.basename(file).slice(NAME.length)}`);
        nodeFileSystem.unlink(file);
      },
      fsync: (fd: number) => {
        calls.push("fsync");
        nodeFileSystem.fsync(fd);
      },
    };
    const [group] = sessionGroups(dir);
    const outcome = pruneSession(group!, { fs: logged });
    assert.equal(outcome.status, "deleted");
    assert.deepEqual(calls, [
      "unlink .jsonl.zst",
      "unlink .json",
      "unlink .jsonl",
      "unlink .jsonl.zst.tmp-k1ll3d",
      "fsync",
    ]);
    assert.deepEqual(fs.readdirSync(day), []);
  } finally {
    cleanup();
  }
});

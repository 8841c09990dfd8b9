/**
 * The atomic replace's own contract, call by call: which files count as its temporary files,
 * what a failed write leaves (nothing), what it syncs, and what it says of an existing target.
 * Written from StrykerJS's survivors in atomic_replace.ts.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/file_system.ts";
import {
  assertAbsent,
  atomicReplace,
  atomicWrite,
  isTempOf,
  removeStaleTemps,
} from "../../lib/store/atomic_replace.ts";
import { tempDir } from "../helpers.ts";

/** The real file system, its fsyncs counted: `file` for an open file, `folder` for a folder. */
function syncCounting(): FileSystem & { syncs: string[] } {
  const syncs: string[] = [];
  const folders = new Set<number>();
  return {
    ...nodeFileSystem,
    syncs,
    open(path, mode) {
      const fd = nodeFileSystem.open(path, mode);
      if (mode === "directory") folders.add(fd);
      return fd;
    },
    fsync(fd) {
      syncs.push(folders.has(fd) ? "folder" : "file");
      nodeFileSystem.fsync(fd);
    },
    close(fd) {
      folders.delete(fd);
      nodeFileSystem.close(fd);
    },
  };
}

test("isTempOf knows its own temporary files and nothing else", () => {
  const target = "/h/sessions/rollout-a.jsonl";
  const yes = ["rollout-a.jsonl.tmp-k3j9x0q2ab", "rollout-a.jsonl.tmp-0"];
  const no = [
    "rollout-a.jsonl",
    "rollout-a.jsonl.tmp-",
    "rollout-a.jsonl.tmp-AB1",
    "rollout-a.jsonl.tmp-abc.x",
    "rollout-a.jsonl.tmp-abc-1",
    "x-rollout-a.jsonl.tmp-abc",
    "rollout-b.jsonl.tmp-abc",
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
  ];
  for (const name of yes) assert.equal(isTempOf(target, name), true, name);
  for (const name of no) assert.equal(isTempOf(target, name), false, name);
  const { dir, cleanup } = tempDir();
  try {
    for (const name of [...yes, ...no.filter((n) => !n.includes("/"))]) {
      fs.writeFileSync(`${dir}/${name}`, "x");
    }
    const removed = removeStaleTemps(nodeFileSystem, `${dir}/rollout-a.jsonl`, { sync: false });
    assert.deepEqual(removed.sort(), [...yes].sort());
    assert.deepEqual(fs.readdirSync(dir).sort(), no.filter((n) => !n.includes("/")).sort());
  } finally {
    cleanup();
  }
});

test("atomicWrite returns the bytes it wrote; a failing writer leaves the target as it was and no temporary file", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = `${dir}/copy.jsonl`;
    const text = "é".repeat(300_000) + "\n";
    const written = await atomicWrite(nodeFileSystem, target, { sync: false }, (put) => {
      for (let i = 0; i < text.length; i += 1000) put(text.slice(i, i + 1000));
    });
    assert.equal(written, fs.statSync(target).size);
    assert.equal(fs.readFileSync(target, "utf8"), text);
    await assert.rejects(
      atomicWrite(nodeFileSystem, target, { sync: false }, (put) => {
        put("half of a new copy\n".repeat(50_000));
        throw new Error("the source went away");
      }),
      /the source went away/,
    );
    assert.equal(fs.readFileSync(target, "utf8"), text, "the target untouched");
    assert.deepEqual(fs.readdirSync(dir), ["copy.jsonl"], "no temporary file left");
  } finally {
    cleanup();
  }
});

test("atomicReplace syncs the file and its folder when asked, and nothing when not", () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = `${dir}/doc.json`;
    for (const sync of [true, false]) {
      const fsys = syncCounting();
      atomicReplace(fsys, target, { bytes: new TextEncoder().encode(`{"sync":${sync}}`), sync });
      assert.deepEqual(fsys.syncs, sync ? ["file", "folder"] : [], `sync: ${sync}`);
      assert.equal(fs.readFileSync(target, "utf8"), `{"sync":${sync}}`);
    }
  } finally {
    cleanup();
  }
});

test("assertAbsent: a missing target is fine, an existing one is invalid_argument, any other failure an io_error", () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = `${dir}/rollout.jsonl`;
    assertAbsent(nodeFileSystem, target);
    fs.writeFileSync(target, "");
    assert.throws(() => assertAbsent(nodeFileSystem, target), {
      code: "invalid_argument",
      message: `Cannot create rollout "${target}": it exists`,
    });
    const denied: FileSystem = {
      ...nodeFileSystem,
      open() {
        throw Object.assign(new Error("EACCES: permission denied, open"), { code: "EACCES" });
      },
    };
    assert.throws(() => assertAbsent(denied, `${dir}/other.jsonl`), { code: "io_error" });
  } finally {
    cleanup();
  }
});

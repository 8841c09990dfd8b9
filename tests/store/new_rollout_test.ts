/**
 * What a new rollout starts with: the meta of a new session (`buildMeta`), a copied meta made
 * fit for a Codex paginated rollout (`codexMetaOf`, used by convert and fork), and new folders
 * made durable (`makeFolders`: the parent of each folder it created is synced).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { VERSION } from "../../lib/base/mod.ts";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/mod.ts";
import { buildMeta, codexMetaOf, makeFolders } from "../../lib/store/new_rollout.ts";
import { tempDir } from "../helpers.ts";

const NOW = new Date("2026-11-20T09:00:00.000Z");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("buildMeta: id and start first, our originator and version, Codex's fields for a line file", () => {
  const doc = buildMeta(undefined, NOW, { lines: false });
  assert.match(doc.id, UUID);
  assert.deepEqual(Object.keys(doc).slice(0, 2), ["id", "timestamp"]);
  assert.equal(doc.timestamp, NOW.toISOString());
  assert.equal(doc.originator, "rollout");
  assert.equal(doc.cli_version, VERSION);
  // A document has no Codex fields of its own.
  assert.equal("history_mode" in doc, false);
  assert.equal("source" in doc, false);
  assert.equal("cwd" in doc, false);

  const line = buildMeta({ model: "m" }, NOW, { lines: true });
  assert.equal(line.history_mode, "paginated");
  assert.equal(line.source, "cli");
  assert.equal(line.cwd, process.cwd());
  assert.equal(line.model, "m");

  // What the caller gives wins, the history mode aside (a line file is always paginated).
  const given = buildMeta(
    {
      id: "019a0000-0000-7000-8000-000000000001",
      timestamp: "2025-01-01T00:00:00.000Z",
      originator: "codex_cli_rs",
      cli_version: "0.99.0",
      cwd: "/repo",
      source: "exec",
    },
    NOW,
    { lines: true },
  );
  assert.equal(given.id, "019a0000-0000-7000-8000-000000000001");
  assert.equal(given.timestamp, "2025-01-01T00:00:00.000Z");
  assert.equal(given.originator, "codex_cli_rs");
  assert.equal(given.cli_version, "0.99.0");
  assert.equal(given.cwd, "/repo");
  assert.equal(given.source, "exec");
});

test("codexMetaOf keeps a whole Codex meta and names nothing filled", () => {
  const meta = {
    id: "019a0000-0000-7000-8000-000000000002",
    timestamp: "2026-01-01T00:00:00.000Z",
    cwd: "/repo",
    originator: "codex_cli_rs",
    cli_version: "0.150.0",
    source: { subagent: "review" },
    history_mode: "legacy",
    history_base: { thread_id: "x", end_ordinal_exclusive: 3, end_byte_offset: 10 },
    subagent_history_start_ordinal: 2,
    model: "gpt",
  };
  const { meta: out, filled } = codexMetaOf(meta, { now: NOW, cwd: "/here" });
  assert.deepEqual(filled, []);
  const { history_base: _base, subagent_history_start_ordinal: _start, ...kept } = meta;
  assert.deepEqual(out, { ...kept, history_mode: "paginated" });
  // The source is left as it was (not a copy that lost what it inherits).
  assert.equal("history_base" in meta, true);
});

test("codexMetaOf fills what Codex requires and names each field it filled", () => {
  const { meta: out, filled } = codexMetaOf({ id: "not-a-uuid", model: "m" }, {
    now: NOW,
    cwd: "/here",
  });
  assert.deepEqual(filled, [
    'id (a new UUID; the old id "not-a-uuid" is kept as legacy_id)',
    "timestamp",
    "cwd (/here)",
    "originator",
    "cli_version",
    "source",
  ]);
  assert.match(out.id as string, UUID);
  assert.equal(out.legacy_id, "not-a-uuid");
  assert.equal(out.timestamp, NOW.toISOString());
  assert.equal(out.cwd, "/here");
  assert.equal(out.originator, "rollout");
  assert.equal(out.cli_version, VERSION);
  assert.equal(out.source, "cli");
  assert.equal(out.history_mode, "paginated");
  assert.equal(out.model, "m");

  // Each UUID part is checked: one character short anywhere, or not hex, is no UUID.
  const good = "019a0000-0000-7000-8000-000000000003";
  assert.deepEqual(
    codexMetaOf({ id: good.toUpperCase() }, { now: NOW, cwd: "/" }).meta.id,
    good.toUpperCase(),
  );
  const parts = good.split("-");
  for (let i = 0; i < parts.length; i++) {
    for (const bad of [parts[i]!.slice(1), `${"g"}${parts[i]!.slice(1)}`]) {
      const id = parts.map((p, j) => (j === i ? bad : p)).join("-");
      const { meta: fixed, filled: named } = codexMetaOf({ id }, { now: NOW, cwd: "/" });
      assert.equal(fixed.legacy_id, id, id);
      assert.match(named[0]!, /^id \(a new UUID/, id);
    }
  }
  for (const id of [`x${good}`, `${good}x`, 42]) {
    assert.equal(codexMetaOf({ id }, { now: NOW, cwd: "/" }).meta.legacy_id, id, String(id));
  }

  // A source that is not text is Codex's own (an object): kept, not filled.
  const { meta: sourced, filled: none } = codexMetaOf(
    { id: good, timestamp: "t", cwd: "/r", originator: "o", cli_version: "v", source: null },
    { now: NOW, cwd: "/" },
  );
  assert.equal(sourced.source, null);
  assert.deepEqual(none, []);
  // Other fields that are not text are filled.
  const { filled: numbers } = codexMetaOf(
    { id: good, timestamp: "t", cwd: 1, originator: 2, cli_version: 3 },
    { now: NOW, cwd: "/c" },
  );
  assert.deepEqual(numbers, ["cwd (/c)", "originator", "cli_version", "source"]);
});

test("codexMetaOf for a fork: a new id and start, first, and the rest made whole", () => {
  const parent = {
    id: "019a0000-0000-7000-8000-000000000004",
    timestamp: "2026-01-01T00:00:00.000Z",
    model: "m",
    history_base: { thread_id: "y", end_ordinal_exclusive: 1, end_byte_offset: 1 },
  };
  const { meta: out, filled } = codexMetaOf(parent, { now: NOW, cwd: "/fork", fresh: true });
  assert.deepEqual(Object.keys(out).slice(0, 2), ["id", "timestamp"]);
  assert.match(out.id as string, UUID);
  assert.notEqual(out.id, parent.id);
  assert.equal(out.timestamp, NOW.toISOString());
  assert.equal(out.model, "m");
  assert.equal(out.cwd, "/fork");
  assert.equal("history_base" in out, false);
  assert.equal("legacy_id" in out, false);
  assert.deepEqual(filled, ["cwd (/fork)", "originator", "cli_version", "source"]);
});

test("makeFolders syncs the parent of every folder it made, and nothing when none or unsynced", () => {
  const { dir, cleanup } = tempDir();
  try {
    const synced: string[] = [];
    const recording: FileSystem = {
      ...nodeFileSystem,
      open: (file, mode) => {
        if (mode === "directory") synced.push(file);
        return nodeFileSystem.open(file, mode);
      },
    };
    const deep = path.join(dir, "a", "b", "c");
    makeFolders(recording, deep, true);
    assert.ok(fs.statSync(deep).isDirectory());
    assert.deepEqual(synced, [path.join(dir, "a", "b"), path.join(dir, "a"), dir]);
    synced.length = 0;
    makeFolders(recording, deep, true);
    assert.deepEqual(synced, [], "no folder was made, none to sync");
    makeFolders(recording, path.join(dir, "x", "y"), false);
    assert.deepEqual(synced, [], "unsynced");
    assert.ok(fs.statSync(path.join(dir, "x", "y")).isDirectory());
    // A folder that cannot be made names itself.
    fs.writeFileSync(path.join(dir, "file"), "");
    assert.throws(() => makeFolders(recording, path.join(dir, "file", "sub"), true), {
      code: "io_error",
      message: new RegExp(`^Cannot create folder "${path.join(dir, "file", "sub")}": `),
    });
  } finally {
    cleanup();
  }
});

/**
 * createStreamedRollout(): a new rollout written whole from a stream (convert, export -o, fork):
 * where it goes, the meta it is given, its writer lock while it is written, its syncs, and what
 * a failed write leaves (nothing) and says.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/mod.ts";
import { RolloutError } from "../../lib/schemas/mod.ts";
import { createStreamedRollout, WriterLock } from "../../lib/store/mod.ts";
import { FaultyFileSystem } from "../reliability/faulty_fs.ts";
import { inTempDir } from "../helpers.ts";

const NOW = new Date("2026-11-20T09:00:00.000Z");
const clock = () => NOW;
const ID = "019a0000-0000-7000-8000-0000000000c1";

/** A line file's first line: its meta, as Codex writes it. */
function metaLine(meta: unknown): string {
  return `${
    JSON.stringify({
      timestamp: NOW.toISOString(),
      ordinal: 0,
      type: "session_meta",
      payload: meta,
    })
  }\n`;
}

/** The node file system, counting its syncs (a FaultyFileSystem that never fails). */
function countingSyncs(): { fsys: FileSystem; syncs: () => number } {
  const fsys = new FaultyFileSystem(nodeFileSystem, {
    failAt: Infinity,
    code: "EIO",
    sticky: false,
  });
  return { fsys, syncs: () => fsys.syncs };
}

test("a line file goes to the dated folder under its id, with a Codex meta; a document gets a plain one", async () => {
  await inTempDir(async (home) => {
    const metas: Array<Record<string, unknown>> = [];
    const lines = await createStreamedRollout({
      home,
      format: "jsonl",
      clock,
      meta: { id: ID },
      write: (meta, put) => {
        metas.push({ ...meta });
        put(metaLine(meta));
      },
    });
    assert.equal(lines.id, ID);
    assert.equal(
      lines.path,
      path.join(home, "sessions", "2026", "11", "20", `rollout-2026-11-20T09-00-00-${ID}.jsonl`),
    );
    assert.equal(metas[0]!.timestamp, NOW.toISOString());
    assert.equal(metas[0]!.history_mode, "paginated");
    assert.equal(metas[0]!.source, "cli");
    assert.ok(fs.readFileSync(lines.path, "utf8").includes(ID));

    const doc = await createStreamedRollout({
      home,
      format: "json",
      clock,
      write: (meta, put) => {
        metas.push({ ...meta });
        put(JSON.stringify({ session: meta, items: [] }));
      },
    });
    assert.match(doc.path, /\.json$/);
    assert.equal(path.dirname(doc.path), path.dirname(lines.path));
    assert.equal(metas[1]!.id, doc.id);
    assert.notEqual(doc.id, ID);
    assert.equal("history_mode" in metas[1]!, false, "a document's meta has no Codex fields");
    assert.equal("source" in metas[1]!, false);
  });
});

test("the copy is locked by the given process while it is written, and free after", async () => {
  await inTempDir(async (home) => {
    const target = path.join(home, "copy.jsonl");
    let holder: string | null = null;
    await createStreamedRollout({
      home,
      format: "jsonl",
      path: target,
      pid: 424242,
      clock,
      write: (meta, put) => {
        holder = WriterLock.heldBy(target);
        put(metaLine(meta));
      },
    });
    assert.equal(holder, "process 424242");
    assert.equal(WriterLock.heldBy(target), null);
    // Without a pid, this process holds it.
    await createStreamedRollout({
      home,
      format: "jsonl",
      path: path.join(home, "mine.jsonl"),
      write: (meta, put) => {
        holder = WriterLock.heldBy(path.join(home, "mine.jsonl"));
        put(metaLine(meta));
      },
    });
    assert.equal(holder, `process ${process.pid}`);
  });
});

test("the copy and its new folders are synced unless sync is false", async () => {
  await inTempDir(async (home) => {
    const write = (meta: unknown, put: (text: string) => void) => put(metaLine(meta));
    // In a folder that exists: the file and its folder after the rename.
    const inPlace = countingSyncs();
    await createStreamedRollout({
      home,
      format: "jsonl",
      path: path.join(home, "copy.jsonl"),
      fs: inPlace.fsys,
      write,
    });
    assert.ok(inPlace.syncs() >= 2, `${inPlace.syncs()} syncs`);
    // Under the dated folders it makes: their parents too.
    const dated = countingSyncs();
    await createStreamedRollout({ home, format: "jsonl", clock, fs: dated.fsys, write });
    assert.ok(dated.syncs() > inPlace.syncs(), `${dated.syncs()} syncs`);
    const unsynced = countingSyncs();
    await createStreamedRollout({
      home: path.join(home, "other"),
      format: "jsonl",
      clock,
      fs: unsynced.fsys,
      sync: false,
      write,
    });
    assert.equal(unsynced.syncs(), 0);
  });
});

test("a copy is never written over a file, and a failed write leaves nothing and says where", async () => {
  await inTempDir(async (home) => {
    const target = path.join(home, "taken.jsonl");
    fs.writeFileSync(target, "mine\n");
    await assert.rejects(
      createStreamedRollout({
        home,
        format: "jsonl",
        path: target,
        write: (_meta, put) => put("theirs\n"),
      }),
      (error: unknown) =>
        error instanceof RolloutError && error.code === "invalid_argument" &&
        error.message === `Cannot create rollout "${target}": it exists`,
    );
    assert.equal(fs.readFileSync(target, "utf8"), "mine\n");
    assert.equal(WriterLock.heldBy(target), null, "the lock is released after a refusal");

    // A writer failing with its own error: said as an I/O error of this file.
    const fresh = path.join(home, "fresh.jsonl");
    await assert.rejects(
      createStreamedRollout({
        home,
        format: "jsonl",
        path: fresh,
        write: (_meta, put) => {
          put("half\n");
          throw new Error("the source went away");
        },
      }),
      (error: unknown) =>
        error instanceof RolloutError && error.code === "io_error" &&
        error.message.includes(fresh) && error.message.includes("the source went away") &&
        error.message.includes("create rollout"),
    );
    // A RolloutError of the writer passes as it is.
    const own = new RolloutError("invalid_rollout", "line 3 is damaged");
    await assert.rejects(
      createStreamedRollout({
        home,
        format: "jsonl",
        path: fresh,
        write: () => {
          throw own;
        },
      }),
      (error: unknown) => error === own,
    );
    assert.deepEqual(fs.readdirSync(home).sort(), ["taken.jsonl"]);
  });
});

test("a copy whose file cannot be written says so of the copy, also when its reader passed the failure on as its own", async () => {
  await inTempDir(async (home) => {
    const full = () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), {
        code: "ENOSPC",
      });
    };
    const fullAway = () => Promise.reject(Object.assign(new Error("ENOSPC"), { code: "ENOSPC" }));
    // Writes made in turn, and writes on their way (failing the copy through `between`).
    for (
      const fsys of [{ ...nodeFileSystem, write: full, writeAt: full }, {
        ...nodeFileSystem,
        writeAt: full,
        writeAtAsync: fullAway,
      }] as FileSystem[]
    ) {
      const target = path.join(home, "copy.jsonl");
      await assert.rejects(
        createStreamedRollout({
          home,
          format: "jsonl",
          path: target,
          fs: fsys,
          // As the rollout reader does: a failure in `put` or `between` is said as its own.
          write: async (_meta, put, between) => {
            try {
              for (let i = 0; i < 8; i++) {
                put(`${"x".repeat(1024 * 1024)}\n`);
                await between();
              }
            } catch (error) {
              throw new RolloutError("io_error", `Cannot load rollout "/src.jsonl": ${error}`);
            }
          },
        }),
        (error: unknown) =>
          error instanceof RolloutError && error.code === "io_error" &&
          error.message.startsWith(`Cannot create rollout "${target}": the disk is full`),
      );
      assert.deepEqual(fs.readdirSync(home), []);
    }
  });
});

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { zstdCompressSync } from "node:zlib";
import { DatabaseSync } from "node:sqlite";
import {
  indexPath,
  listIndexed,
  openIndex,
  search,
  unreadableFiles,
  usageRows,
} from "../../lib/index/mod.ts";
import { tempDir } from "../helpers.ts";
import { FORMATS, idOf, writeSession } from "../cli/fixtures.ts";

const env = (type: string, payload: unknown, timestamp = "2026-11-26T11:15:29.000Z") =>
  JSON.stringify({ timestamp, type, payload }) + "\n";
const user = (text: string) => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});
const assistant = (text: string) => ({
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text }],
});
const meta = (id: string, cwd = "/repo") =>
  env("session_meta", { id, timestamp: "2026-11-26T11:15:28.000Z", cwd });

function hitsOf(
  home: string,
  query: string,
  options: Parameters<typeof search>[2] = { limit: 100 },
) {
  return openIndex(home).then((index) => {
    try {
      return search(index, query, options);
    } finally {
      index.close();
    }
  });
}

test("every format is indexed: items numbered as the file holds them, roles and kinds", async () => {
  const { dir, cleanup } = tempDir();
  try {
    FORMATS.forEach((format, n) => writeSession(dir, { id: idOf(n + 1), format }));
    const hits = await hitsOf(dir, "files");
    // "list files" (item 1, user) and "Two files: a and b." (item 4, assistant) in each.
    assert.equal(hits.length, 2 * FORMATS.length);
    for (let n = 1; n <= FORMATS.length; n++) {
      const own = hits.filter((h) => h.session_id === idOf(n)).map((h) => [h.item, h.role]);
      assert.deepEqual(own.sort(), [[1, "user"], [4, "assistant"]]);
    }
    const calls = await hitsOf(dir, "shell", { limit: 100, role: "tool" });
    assert.equal(calls.length, FORMATS.length);
    assert.ok(calls.every((h) => h.item === 2 && h.kind === "call"));
    const outputs = await hitsOf(dir, "b", { limit: 100, role: "tool" });
    assert.ok(outputs.some((h) => h.item === 3 && h.kind === "output"));
  } finally {
    cleanup();
  }
});

test("a grown journal is read on from where the index stopped; the torn tail waits", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(1);
    const file = writeSession(dir, { id, text: meta(id) + env("response_item", user("alpha")) });
    let index = await openIndex(dir);
    index.close();
    fs.appendFileSync(file, env("response_item", assistant("bravo")) + '{"timestamp":"x","ty');
    index = await openIndex(dir);
    index.close();
    const report = await (await openIndex(dir)).refresh();
    assert.deepEqual([report.read, report.grown], [0, 0], "nothing changed since");
    assert.equal((await hitsOf(dir, "alpha")).length, 1, "alpha is not indexed twice");
    assert.deepEqual((await hitsOf(dir, "bravo")).map((h) => h.item), [2]);
    // The torn line is completed: read once, where it starts.
    fs.appendFileSync(
      file,
      'pe":"response_item","payload":' + JSON.stringify(assistant("charlie")) + "}\n",
    );
    const again = await openIndex(dir);
    try {
      const hits = search(again, "charlie OR bravo OR alpha", { limit: 10 });
      assert.deepEqual(hits.map((h) => h.item).sort(), [1, 2, 3]);
    } finally {
      again.close();
    }
  } finally {
    cleanup();
  }
});

test("refresh reports a grown file as grown and reads only its tail", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(1);
    const file = writeSession(dir, { id, text: meta(id) + env("response_item", user("one")) });
    const index = await openIndex(dir);
    try {
      const before = fs.statSync(file).size;
      const added = env("response_item", user("two"));
      fs.appendFileSync(file, added);
      const report = await index.refresh();
      assert.equal(report.grown, 1);
      assert.equal(report.read, 0);
      assert.equal(report.bytes, Buffer.byteLength(added), `only the ${before}+ bytes`);
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("a file rewritten in place, replaced or deleted is read again or dropped", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = idOf(1);
    const b = idOf(2);
    const fileA = writeSession(dir, { id: a, text: meta(a) + env("response_item", user("old")) });
    const fileB = writeSession(dir, {
      id: b,
      format: "document",
      text: JSON.stringify({
        session: { id: b, timestamp: "2026-11-26T11:15:28.000Z" },
        items: [user("docold")],
        state: {},
      }),
    });
    assert.equal((await hitsOf(dir, "old")).length, 1);
    // Same inode, longer, but its start changed: not a tail to read on from.
    fs.writeFileSync(
      fileA,
      meta(a) + env("response_item", user("new")) + env("response_item", user("more")),
    );
    // A document replaced by rename, as its writer does.
    const temp = `${fileB}.tmp-1`;
    fs.writeFileSync(
      temp,
      JSON.stringify({
        session: { id: b, timestamp: "2026-11-26T11:15:28.000Z" },
        items: [user("docnew")],
        state: {},
      }),
    );
    fs.renameSync(temp, fileB);
    assert.equal((await hitsOf(dir, "old")).length, 0);
    assert.equal((await hitsOf(dir, "docold")).length, 0);
    assert.deepEqual((await hitsOf(dir, "new")).map((h) => h.item), [1]);
    assert.equal((await hitsOf(dir, "docnew")).length, 1);
    fs.unlinkSync(fileA);
    const index = await openIndex(dir);
    try {
      assert.equal(search(index, "new", { limit: 5 }).length, 0);
      assert.deepEqual((await listIndexed(index, {})).sessions.map((s) => s.id), [b]);
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("a compressed rollout is indexed; beside its own .jsonl only the .jsonl counts", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const id = idOf(3);
    const text = meta(id) + env("response_item", user("zebra crossing"));
    const plain = writeSession(dir, { id, text });
    fs.writeFileSync(`${plain}.zst`, zstdCompressSync(Buffer.from(text)));
    assert.equal((await hitsOf(dir, "zebra")).length, 1, "one hit, not two");
    fs.unlinkSync(plain);
    const hits = await hitsOf(dir, "zebra");
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.path, `${plain}.zst`);
  } finally {
    cleanup();
  }
});

test("list shows a session kept as .jsonl and .jsonl.zst once, in any folder of sessions/", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const folders = ["", "imported", "imported/2025"].map((f) => path.join(dir, "sessions", f));
    const plains: string[] = [];
    folders.forEach((folder, n) => {
      const id = idOf(40 + n);
      const text = meta(id) + env("response_item", user(`session ${n}`));
      fs.mkdirSync(folder, { recursive: true });
      const plain = path.join(folder, `rollout-2026-11-2${n}T10-00-00-${id}.jsonl`);
      fs.writeFileSync(plain, text);
      fs.writeFileSync(`${plain}.zst`, zstdCompressSync(Buffer.from(text)));
      plains.push(plain);
    });
    // One dated session too, so the loose ones are merged with the dated walk.
    writeSession(dir, { id: idOf(49) });
    const index = await openIndex(dir);
    try {
      const { sessions, unreadable } = await listIndexed(index, {});
      assert.deepEqual(unreadable, []);
      assert.deepEqual(sessions.map((s) => s.id).sort(), [idOf(40), idOf(41), idOf(42), idOf(49)]);
      for (const plain of plains) {
        assert.ok(sessions.some((s) => s.path === plain), `${plain} is listed by its .jsonl`);
      }
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("the index is 0600 in a 0700 folder, its WAL too", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    const index = await openIndex(dir);
    try {
      const file = indexPath(dir);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
      assert.equal(fs.statSync(`${file}-wal`).mode & 0o777, 0o600);
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("a damaged index is rebuilt with a notice; a deleted one is rebuilt silently", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    (await openIndex(dir)).close();
    const file = indexPath(dir);
    for (const suffix of ["-wal", "-shm"]) fs.rmSync(file + suffix, { force: true });
    const bytes = fs.readFileSync(file);
    bytes.fill(0x55, 100, Math.min(bytes.length, 8192));
    fs.writeFileSync(file, bytes);
    const notices: string[] = [];
    const index = await openIndex(dir, { notice: (m) => notices.push(m) });
    try {
      assert.equal(search(index, "files", { limit: 10 }).length, 2);
    } finally {
      index.close();
    }
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /damaged.*rebuilt/);
    fs.writeFileSync(file, "not a database at all, just text ".repeat(200));
    const notices2: string[] = [];
    (await openIndex(dir, { notice: (m) => notices2.push(m) })).close();
    assert.equal(notices2.length, 1);
    fs.rmSync(path.dirname(file), { recursive: true });
    const notices3: string[] = [];
    const rebuilt = await openIndex(dir, { notice: (m) => notices3.push(m) });
    rebuilt.close();
    assert.deepEqual(notices3, []);
  } finally {
    cleanup();
  }
});

test("an index missing a table or a column is rebuilt with a notice, not a failing query", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    for (
      const damage of [
        "DROP TABLE usage",
        "ALTER TABLE files DROP COLUMN preview",
        "DROP TABLE names_text",
        "DROP TABLE entries_text",
        "DROP TABLE meta",
      ]
    ) {
      (await openIndex(dir)).close();
      const db = new DatabaseSync(indexPath(dir));
      db.exec(damage);
      db.close();
      const notices: string[] = [];
      const index = await openIndex(dir, { notice: (m) => notices.push(m) });
      try {
        assert.equal(search(index, "files", { limit: 10 }).length, 2, damage);
      } finally {
        index.close();
      }
      assert.equal(notices.length, 1, damage);
      assert.match(
        notices[0]!,
        /damaged \(its table ".*" is not as this version makes it .*rebuilt/,
      );
    }
  } finally {
    cleanup();
  }
});

test("a session archived or restored while the index reads the home is read as its twin", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const first = writeSession(dir, { id: idOf(1), mtime: 1_000 });
    const second = writeSession(dir, { id: idOf(2), mtime: 2_000 });
    const archive = (file: string) => {
      fs.writeFileSync(`${file}.zst`, zstdCompressSync(fs.readFileSync(file)));
      fs.unlinkSync(file);
    };
    // The files are read oldest first: while the first is read, the second is archived.
    let moved = false;
    const index = await openIndex(dir, { refresh: false });
    try {
      await index.refresh(() => {
        if (!moved) archive(second);
        moved = true;
      });
      assert.ok(moved);
      const rows = index.sql("SELECT path, error FROM files ORDER BY path").all();
      assert.deepEqual(rows.map((r) => [r.path, r.error]), [[first, null], [
        `${second}.zst`,
        null,
      ]]);
      // `list` brings up to date the files its walk found: the first, archived since.
      archive(first);
      await index.refreshFiles([first]);
      const after = index.sql("SELECT path, error FROM files ORDER BY path").all();
      assert.deepEqual(after.map((r) => [r.path, r.error]), [
        [`${first}.zst`, null],
        [`${second}.zst`, null],
      ]);
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("a reader is never blocked by a process writing the index", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    (await openIndex(dir)).close();
    // Another connection holds the write lock, as a refreshing process does.
    const writer = new DatabaseSync(indexPath(dir));
    writer.exec("BEGIN IMMEDIATE");
    writer.exec("DELETE FROM entries");
    try {
      const index = await openIndex(dir);
      try {
        assert.equal(search(index, "files", { limit: 10 }).length, 2, "the last committed state");
      } finally {
        index.close();
      }
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
  } finally {
    cleanup();
  }
});

test("a refresh with nothing changed trusts the last scan's digest; any change reads rows again", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const files = [1, 2, 3].map((n) => writeSession(dir, { id: idOf(n) }));
    (await openIndex(dir)).close();
    // Damage one row behind the index's back: a refresh comparing rows would read it again.
    const db = new DatabaseSync(indexPath(dir));
    db.prepare("UPDATE files SET size = 1 WHERE path = ?").run(files[1]!);
    db.close();
    let index = await openIndex(dir, { refresh: false });
    let report = await index.refresh();
    index.close();
    assert.deepEqual([report.read, report.grown, report.unchanged], [0, 0, 3], "digest trusted");
    // A changed time on another file: the scan differs, every row is compared, and both files
    // are looked at again (read on from where the index stopped: their starts are unchanged).
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(files[2]!, later, later);
    index = await openIndex(dir, { refresh: false });
    report = await index.refresh();
    index.close();
    assert.deepEqual([report.read + report.grown, report.unchanged], [2, 1]);
    // A file added, then one renamed: each is seen.
    const added = writeSession(dir, { id: idOf(4) });
    index = await openIndex(dir, { refresh: false });
    assert.equal((await index.refresh()).read, 1);
    index.close();
    fs.renameSync(added, added.replace(".jsonl", "-moved.jsonl"));
    index = await openIndex(dir, { refresh: false });
    report = await index.refresh();
    index.close();
    assert.deepEqual([report.read, report.dropped], [1, 1]);
  } finally {
    cleanup();
  }
});

test("a digest kept before rows were written is never trusted: forgotten rows, a late save", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const [a, b] = [1, 2].map((n) => writeSession(dir, { id: idOf(n) }));
    const count = async () => {
      const index = await openIndex(dir);
      try {
        const row = index.db.prepare("SELECT count(*) AS n FROM files").get() as { n: number };
        return Number(row.n);
      } finally {
        index.close();
      }
    };
    assert.equal(await count(), 2);
    // A row dropped while its file stays (as `prune` forgets a session it is deleting):
    // the files are as the digest says, the rows are not.
    let index = await openIndex(dir);
    index.forget([a!]);
    index.close();
    assert.equal(await count(), 2, "the forgotten file is read again");
    // A late save: the digest of a scan taken before a row was dropped, kept after it.
    const db = new DatabaseSync(indexPath(dir));
    const before = db.prepare("SELECT value FROM meta WHERE key = 'scan'").get() as {
      value: string;
    };
    const moved = `${dir}/elsewhere.jsonl`;
    fs.renameSync(b!, moved);
    assert.equal(await count(), 1);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'scan'").run(before.value);
    db.close();
    // The file comes back as it was (same inode, size and time): the digest matches the
    // old scan, but rows were written since it was taken.
    fs.renameSync(moved, b!);
    index = await openIndex(dir, { refresh: false });
    const report = await index.refresh();
    index.close();
    assert.equal(report.read, 1);
    assert.equal(await count(), 2);
  } finally {
    cleanup();
  }
});

test("a refresh does not wait for another writer to keep its scan's digest", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    (await openIndex(dir)).close();
    const writer = new DatabaseSync(indexPath(dir));
    writer.exec("DELETE FROM meta WHERE key = 'scan'");
    writer.exec("BEGIN IMMEDIATE");
    try {
      // Nothing to index, a digest to keep, the write lock taken: it returns at once.
      const started = Date.now();
      const index = await openIndex(dir);
      index.close();
      assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
    } finally {
      writer.exec("ROLLBACK");
    }
    const kept = () => writer.prepare("SELECT count(*) AS n FROM meta WHERE key = 'scan'").get();
    assert.equal(Number((kept() as { n: number }).n), 0, "not kept while locked");
    (await openIndex(dir)).close();
    assert.equal(Number((kept() as { n: number }).n), 1, "kept by the next refresh");
    writer.close();
  } finally {
    cleanup();
  }
});

test("an unreadable file under sessions/ is listed as such, never skipped silently", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    const bad = writeSession(dir, { id: idOf(2), text: "this is no rollout\n" });
    // A document cut short: said the same way, and (its content being the cause) not read
    // again until it changes.
    const cut = writeSession(dir, {
      id: idOf(3),
      format: "document",
      stamp: "2026-11-26T11-15-27",
      text: `{"session": {"id": "${idOf(3)}", "timestamp": "2026-11-26T11:15:27Z"}, "items": [`,
    });
    const index = await openIndex(dir);
    try {
      const { sessions, unreadable } = await listIndexed(index, {});
      assert.deepEqual(sessions.map((s) => s.id), [idOf(1)]);
      const why = "not a rollout (neither JSON lines nor a JSON document)";
      assert.deepEqual(unreadable, [{ path: bad, message: why }, { path: cut, message: why }]);
      // A new session makes the next refresh compare every row: only it is read.
      writeSession(dir, { id: idOf(4), stamp: "2026-11-26T11-15-29" });
      const again = await index.refresh();
      assert.deepEqual([again.read, again.unchanged], [1, 3], "nothing else is read again");
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("titles from session_index.jsonl: the newest wins, matched by search, shown by list", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    const names = path.join(dir, "session_index.jsonl");
    fs.writeFileSync(
      names,
      JSON.stringify({
        id: idOf(1),
        thread_name: "first draft",
        updated_at: "2026-11-27T00:00:00Z",
      }) + "\n",
    );
    assert.equal((await hitsOf(dir, "draft")).length, 1);
    fs.appendFileSync(
      names,
      JSON.stringify({
        id: idOf(1),
        thread_name: "payment refactor",
        updated_at: "2026-11-28T00:00:00Z",
      }) + "\n",
    );
    assert.equal((await hitsOf(dir, "draft")).length, 0);
    const hits = await hitsOf(dir, "refactor");
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.role, "title");
    const index = await openIndex(dir);
    try {
      assert.equal((await listIndexed(index, {})).sessions[0]!.title, "payment refactor");
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("the unreadable files are asked through their own index, added to an index made without it, with no write lock once there", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    const broken = path.join(
      dir,
      "sessions",
      "2026",
      "11",
      "27",
      `rollout-2026-11-27T10-00-00-${idOf(2)}.jsonl`,
    );
    fs.mkdirSync(path.dirname(broken), { recursive: true });
    fs.writeFileSync(broken, "not a rollout\n");
    (await openIndex(dir)).close();
    const plan = (db: DatabaseSync) =>
      (db.prepare(
        "EXPLAIN QUERY PLAN SELECT path, error AS message FROM files WHERE error IS NOT NULL ORDER BY sort_key DESC",
      ).all() as { detail: string }[]).map((row) => row.detail).join("; ");
    // An index of this version from before the unreadable files had their own index.
    const older = new DatabaseSync(indexPath(dir));
    older.exec("DROP INDEX files_unreadable");
    assert.doesNotMatch(plan(older), /files_unreadable/);
    older.close();
    // Opened while another process writes: it does not wait to add the index; the question
    // is answered without it.
    const busy = new DatabaseSync(indexPath(dir));
    busy.exec("BEGIN IMMEDIATE");
    try {
      const waiting = await openIndex(dir, { refresh: false });
      assert.doesNotMatch(plan(waiting.db), /files_unreadable/);
      assert.deepEqual(unreadableFiles(waiting).map((f) => f.path), [broken]);
      waiting.close();
    } finally {
      busy.exec("ROLLBACK");
      busy.close();
    }
    const index = await openIndex(dir);
    try {
      assert.match(plan(index.db), /USING INDEX files_unreadable/);
      assert.deepEqual(unreadableFiles(index).map((f) => f.path), [broken]);
    } finally {
      index.close();
    }
    // Opened while another process writes: the index is there, nothing waits for the lock.
    const writer = new DatabaseSync(indexPath(dir));
    writer.exec("BEGIN IMMEDIATE");
    try {
      const again = await openIndex(dir, { refresh: false });
      assert.deepEqual(unreadableFiles(again).map((f) => f.path), [broken]);
      again.close();
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
  } finally {
    cleanup();
  }
});

test("usageRows() reads a count above 2^53 that an older index may hold, instead of throwing", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const meta = {
      timestamp: "2026-11-26T11:15:28.000Z",
      type: "session_meta",
      payload: { id: idOf(1), timestamp: "2026-11-26T11:15:28.000Z", cwd: "/w" },
    };
    const usage = { input_tokens: 10, cached_input_tokens: 0, output_tokens: 2 };
    const count = {
      timestamp: "2026-11-26T11:15:29.000Z",
      type: "event_msg",
      payload: { type: "token_count", info: { total_token_usage: usage, last_token_usage: usage } },
    };
    writeSession(dir, {
      id: idOf(1),
      text: [meta, count].map((r) => JSON.stringify(r) + "\n").join(""),
    });
    (await openIndex(dir)).close();
    const db = new DatabaseSync(indexPath(dir));
    db.prepare("UPDATE usage SET input = ?").run(9007199254740993n);
    db.close();
    const index = await openIndex(dir, { refresh: false });
    try {
      const { rows } = usageRows(index);
      assert.deepEqual(rows.map((r) => [r.input, r.output]), [[9007199254740992, 2]]);
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

test("openIndex() refuses a FIFO or a folder where the index file goes, by name", async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    const file = indexPath(dir);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const made = process.getBuiltinModule("node:child_process").spawnSync("mkfifo", [file]);
    assert.equal(made.status, 0, String(made.stderr));
    await assert.rejects(openIndex(dir), {
      code: "io_error",
      message:
        `Cannot open the session index "${file}": it is not a regular file (a FIFO, a device or a socket) (ENOTREG)`,
    });
    fs.rmSync(file);
    fs.mkdirSync(file);
    await assert.rejects(openIndex(dir), {
      code: "io_error",
      message: new RegExp(`^Cannot open the session index "${file}": it is a folder \\(EISDIR`),
    });
  } finally {
    cleanup();
  }
});

/**
 * The item numbers of the index are the ones `show --at N` takes: for every file, the index
 * counts the same items as the loader's timeline, and each hit's item holds the words found.
 * Checked on the fixtures of every format and on the real Codex samples when they are here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/mod.ts";
import { itemText, openIndex, search } from "../../lib/index/mod.ts";
import type { ResponseItem } from "../../lib/schemas/mod.ts";
import { ROOT, tempDir } from "../helpers.ts";
import { FORMATS, idOf, writeSession } from "../cli/fixtures.ts";

const SAMPLES = path.join(ROOT, "..", "shared", "samples", "codex");

/** The file's own items in the order `show` numbers them, from 1. */
function timelineItems(file: string): ResponseItem[] {
  const loaded = loadRollout(file, { timeline: true });
  return (loaded.timeline ?? []).flatMap((entry) => entry.kind === "item" ? [entry.item] : []);
}

test("the index numbers items as show does, in every format and in real Codex files", async () => {
  const { dir, cleanup } = tempDir();
  try {
    FORMATS.forEach((format, n) => writeSession(dir, { id: idOf(n + 1), format }));
    let samples = 0;
    if (fs.existsSync(SAMPLES)) {
      const target = path.join(dir, "sessions", "samples");
      fs.mkdirSync(target, { recursive: true });
      for (const name of fs.readdirSync(SAMPLES)) {
        if (!/\.jsonl?$/.test(name)) continue;
        fs.copyFileSync(path.join(SAMPLES, name), path.join(target, name));
        samples++;
      }
    }
    const index = await openIndex(dir);
    try {
      const rows = index.sql("SELECT path, items, error FROM files").all() as Array<
        { path: string; items: number; error: string | null }
      >;
      assert.ok(rows.length >= FORMATS.length + samples - 2, `${rows.length} files indexed`);
      let compared = 0;
      for (const row of rows) {
        if (row.error !== null) continue;
        const items = timelineItems(row.path);
        assert.equal(row.items, items.length, row.path);
        compared++;
        // Every entry of the file is the item show gives that number, with its text.
        const entries = index.sql(
          "SELECT e.item, t.text FROM entries e JOIN entries_text t ON t.rowid = e.id JOIN files f ON f.id = e.file_id WHERE f.path = ?",
        ).all(row.path) as Array<{ item: number; text: string }>;
        for (const entry of entries) {
          const item = items[entry.item - 1];
          assert.ok(item !== undefined, `${row.path}: item ${entry.item}`);
          assert.equal(itemText(item)?.text, entry.text, `${row.path}: item ${entry.item}`);
        }
      }
      assert.ok(compared >= FORMATS.length, `${compared} files compared`);
      const hits = search(index, "files", { limit: 100 });
      for (const hit of hits) {
        const item = timelineItems(hit.path)[hit.item! - 1]!;
        assert.match(JSON.stringify(item).toLowerCase(), /files/, `${hit.path} item ${hit.item}`);
      }
    } finally {
      index.close();
    }
  } finally {
    cleanup();
  }
});

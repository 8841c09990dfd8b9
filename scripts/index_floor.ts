/**
 * The floor of a first index (B9): how long SQLite's FTS5 alone takes to index the text of a
 * home, beside `rg` reading the same home. Nothing of the session files is read or parsed: the
 * text is taken from the home's own index (`rollout search` or `du` once made it), and put into
 * a fresh full-text table with the index's tokenizer, in one transaction, with no journal and no
 * sync (the best case). A first index does at least this, so when this alone takes more than
 * twice `rg`, so does every first index on the machine.
 *
 *   bun scripts/index_floor.ts HOME [--word zanquorix]   (Deno: deno run -A scripts/index_floor.ts)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { ensureTool, timeRun } from "./bench_tools.ts";

/** The tokenizer of the index's own `entries_text` (lib/index/session_index.ts). */
const TOKENIZE = "unicode61 remove_diacritics 2";

/** Rows handed to SQLite at a time: memory stays small whatever the home. */
const BATCH = 2_000;

function fail(message: string): never {
  process.stderr.write(`index_floor: ${message}\n`);
  process.exit(2);
}

/** Milliseconds of `rg -c -z WORD DIR` (warm: run once before); rg installed when missing. */
function timeRg(word: string, dir: string): number | string {
  const missing = ensureTool("rg", "ripgrep");
  if (missing !== null) return missing;
  // rg exits 1 when nothing matches.
  const args = ["-c", "-z", word, dir];
  timeRun("rg", args, { ok: [0, 1] });
  return timeRun("rg", args, { ok: [0, 1] }).ms;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { word: { type: "string", default: "zanquorix" } },
  });
  const home = positionals[0];
  if (home === undefined || positionals.length > 1) {
    fail("usage: bun scripts/index_floor.ts HOME [--word WORD]");
  }
  const indexFile = path.join(home, "rollout", "index.sqlite");
  if (!fs.existsSync(indexFile)) {
    fail(`"${indexFile}" does not exist: run "rollout du --home ${home}" once to make it`);
  }
  const source = new DatabaseSync(indexFile, { readOnly: true });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-index-floor-"));
  const target = new DatabaseSync(path.join(scratch, "floor.sqlite"));
  try {
    target.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");
    target.exec(`CREATE VIRTUAL TABLE t USING fts5(text, tokenize = '${TOKENIZE}')`);
    const insert = target.prepare("INSERT INTO t (text) VALUES (?)");
    const page = source.prepare(
      "SELECT rowid, text FROM entries_text WHERE rowid > ? ORDER BY rowid LIMIT ?",
    );
    let last = 0;
    let rows = 0;
    let bytes = 0;
    let inserting = 0;
    target.exec("BEGIN");
    for (;;) {
      const batch = page.all(last, BATCH) as Array<{ rowid: number; text: string }>;
      if (batch.length === 0) break;
      const start = performance.now();
      for (const row of batch) {
        insert.run(row.text);
        bytes += Buffer.byteLength(row.text);
      }
      inserting += performance.now() - start;
      rows += batch.length;
      last = batch[batch.length - 1]!.rowid;
    }
    const commit = performance.now();
    target.exec("COMMIT");
    inserting += performance.now() - commit;
    const rg = timeRg(values.word!, path.join(home, "sessions"));
    const mb = bytes / 1e6;
    const lines = [
      `text of the index: ${rows.toLocaleString("en-US")} entries, ${mb.toFixed(1)} MB`,
      `FTS5 alone (${TOKENIZE}, one transaction, no journal): ${(inserting / 1000).toFixed(2)} s, ${
        (mb / (inserting / 1000)).toFixed(1)
      } MB/s`,
    ];
    if (typeof rg === "string") lines.push(`rg: ${rg}`);
    else {
      lines.push(`rg -c -z ${values.word} <home>/sessions (warm): ${(rg / 1000).toFixed(2)} s`);
      lines.push(
        `FTS5 alone / rg: ${
          (inserting / rg).toFixed(2)
        } × (the B9 goal for a whole first index: ≤ 2)`,
      );
    }
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    source.close();
    target.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

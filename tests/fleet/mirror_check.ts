/**
 * Whether a fleet store mirrors a home's line files exactly (SPEC §10): each file has its row,
 * finished, whose records are the file's lines in order, none missing, none twice. Test-only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { Sql } from "postgres";

/** The `.jsonl` and `.jsonl.zst` files under `<home>/sessions`, sorted. */
export function lineFiles(home: string): string[] {
  const dir = path.join(home, "sessions");
  const names = fs.readdirSync(dir, { recursive: true, encoding: "utf8" });
  const other = names.filter((n) => /\.json$/.test(n));
  if (other.length > 0) {
    throw new TypeError(`mirrorProblems() compares line files only, found "${other[0]}"`);
  }
  return names.filter((n) => /\.jsonl(\.zst)?$/.test(n)).map((n) => path.join(dir, n)).sort();
}

/** The lines of a line file (decompressed when it is a `.zst`), without the last empty one. */
export function fileLines(file: string): string[] {
  const bytes = fs.readFileSync(file);
  const text = (file.endsWith(".zst") ? zlib.zstdDecompressSync(bytes) : bytes).toString("utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

interface StoredSession {
  id: string;
  path: string;
  records: string;
  mtime_ms: number;
  error: string | null;
}

/**
 * What differs between the files of `home` and the store's copy for `machine`, one sentence
 * each; empty when the store holds exactly the files' lines.
 */
export async function mirrorProblems(
  sql: Sql,
  options: { home: string; machine: string },
): Promise<string[]> {
  const problems: string[] = [];
  const rows = new Map<string, StoredSession>();
  for (
    const row of await sql<StoredSession[]>`SELECT id::text, path, records::text, mtime_ms, error
      FROM rollout.sessions WHERE machine = ${options.machine}`
  ) rows.set(row.path, row);
  const files = lineFiles(options.home);
  for (const file of files) {
    const known = file.endsWith(".zst") ? file.slice(0, -4) : file;
    const row = rows.get(known);
    rows.delete(known);
    if (row === undefined) {
      problems.push(`"${known}" has no row in rollout.sessions`);
      continue;
    }
    const lines = fileLines(file);
    if (row.mtime_ms < 0) problems.push(`"${known}": its push is unfinished (mtime_ms -1)`);
    if (row.error !== null) problems.push(`"${known}": error ${JSON.stringify(row.error)}`);
    if (Number(row.records) !== lines.length) {
      problems.push(`"${known}": records ${row.records}, the file has ${lines.length} lines`);
    }
    let count = 0;
    let first: string | null = null;
    const stored = sql`SELECT line, raw FROM rollout.records WHERE session = ${row.id}
      ORDER BY line`.cursor(256);
    for await (const batch of stored) {
      for (const { line, raw } of batch) {
        if (first === null && (line !== count + 1 || raw !== lines[count])) {
          first = `row ${count} is line ${line}, ${
            raw === lines[count] ? "same text" : "other text"
          } than line ${count + 1} of the file`;
        }
        count++;
      }
    }
    if (count !== lines.length) {
      problems.push(`"${known}": ${count} record rows, the file has ${lines.length} lines`);
    }
    if (first !== null) problems.push(`"${known}": ${first}`);
  }
  for (const gone of rows.keys()) problems.push(`"${gone}" has a row but no file`);
  const twice = await sql`SELECT r.session, r.line, count(*)::int AS n FROM rollout.records r
    JOIN rollout.sessions s ON s.id = r.session WHERE s.machine = ${options.machine}
    GROUP BY r.session, r.line HAVING count(*) > 1 LIMIT 5`;
  for (const t of twice) problems.push(`session ${t.session} line ${t.line} is there ${t.n} times`);
  return problems;
}

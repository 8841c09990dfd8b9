/**
 * What the commands ask the session index (SPEC §8): full-text hits, the session list, usage
 * rows and byte counts. Reads only; the index is brought up to date before.
 */
import { BadQuery } from "../base/mod.ts";
import { newestFirst, realPathOf, type SkippedFolder } from "../session/mod.ts";
import { movedTo, type SessionIndex, ZERO_WIDTH_SPACE } from "./session_index.ts";
import type { UsageTurn } from "./usage_tracker.ts";
import type { SessionUsageTurn } from "./usage_report.ts";

/** Filters of `search`. */
export interface SearchOptions {
  /** Only sessions recorded in this folder (absolute). */
  cwd?: string;
  /** ISO times: hits at or after `since`, before `until`. */
  since?: string;
  until?: string;
  role?: "user" | "assistant" | "tool";
  limit: number;
}

/** One hit of `search`. */
export interface SearchHit {
  session_id: string;
  /** The session's title, if it was given one (`rollout name`). */
  title: string | null;
  path: string;
  time: string | null;
  cwd: string | null;
  /** The item's number in the file (what `show SESSION --at N` takes); null for a title hit. */
  item: number | null;
  line: number | null;
  role: string;
  kind: string;
  /** The text around the match, on one line. */
  snippet: string;
  /** Where the matched words are in `snippet`: [start, end) pairs of UTF-16 offsets. */
  highlights: Array<[number, number]>;
}

const OPEN = "\u0002";
const CLOSE = "\u0003";

/** Turns SQLite's marked snippet into text and highlight ranges. */
function unmark(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  let snippet = "";
  const highlights: Array<[number, number]> = [];
  let start = -1;
  for (const ch of marked.replace(/\s+/g, " ")) {
    // (What the index put between Chinese and Japanese characters: not the text's own.)
    if (ch === ZERO_WIDTH_SPACE) continue;
    if (ch === OPEN) start = snippet.length;
    else if (ch === CLOSE) {
      if (start >= 0) highlights.push([start, snippet.length]);
      start = -1;
    } else snippet += ch;
  }
  return { snippet, highlights };
}

function badQuery(error: unknown, query: string): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/fts5|syntax error|no such column|unterminated|unknown special query/i.test(message)) {
    throw new BadQuery(
      `the query ${
        JSON.stringify(query)
      } is not valid search syntax (${message}); words, "a phrase", prefix*, AND, OR, NOT and (...) are understood`,
    );
  }
  throw error;
}

/**
 * Hits for `query`, newest first, by the time of their records: the index grows in the order
 * files were read, which is not the order of time (a session moved in, or read late), so the
 * matches are sorted by time before the page is taken, and snippets made for that page only
 * (`the` in a home of 300 sessions, 200 MB: 165 ms, against 1,230 ms with a snippet made for
 * every match before the sort).
 */
export function search(index: SessionIndex, query: string, options: SearchOptions): SearchHit[] {
  const where: string[] = ["entries_text MATCH ?"];
  const params: Array<string | number> = [query];
  if (options.cwd !== undefined) {
    where.push("f.cwd = ?");
    params.push(options.cwd);
  }
  if (options.since !== undefined) {
    where.push("e.time >= ?");
    params.push(options.since);
  }
  if (options.until !== undefined) {
    where.push("e.time < ?");
    params.push(options.until);
  }
  if (options.role !== undefined) {
    where.push("e.role = ?");
    params.push(options.role);
  }
  params.push(options.limit, query);
  let rows: Array<Record<string, unknown>>;
  try {
    // The page is chosen first (the newest matches, no text made), then a snippet is made for
    // each hit of it only: made for every match before the sort, a common word cost seconds.
    rows = index.sql(
      `SELECT e.session_id, n.name AS title, f.path, e.time, f.cwd, e.item, e.line, e.role, e.kind,
        snippet(entries_text, 0, char(2), char(3), '…', 16) AS marked
      FROM entries_text JOIN entries e ON e.id = entries_text.rowid
        JOIN files f ON f.id = e.file_id
        LEFT JOIN names n ON n.session_id = e.session_id
      WHERE entries_text.rowid IN (
        SELECT e.id FROM entries_text JOIN entries e ON e.id = entries_text.rowid
          JOIN files f ON f.id = e.file_id
        WHERE ${where.join(" AND ")}
        ORDER BY e.time DESC, e.id DESC LIMIT ?
      ) AND entries_text MATCH ?
      ORDER BY e.time DESC, e.id DESC`,
    ).all(...params) as Array<Record<string, unknown>>;
  } catch (error) {
    badQuery(error, query);
  }
  const hits: SearchHit[] = rows.map((row) => ({
    session_id: String(row.session_id),
    title: row.title === null ? null : String(row.title),
    path: String(row.path),
    time: row.time === null ? null : String(row.time),
    cwd: row.cwd === null ? null : String(row.cwd),
    item: Number(row.item),
    line: row.line === null ? null : Number(row.line),
    role: String(row.role),
    kind: String(row.kind),
    ...unmark(String(row.marked)),
  }));
  if (options.role === undefined) hits.push(...titleHits(index, query, options));
  hits.sort((a, b) =>
    (a.time ?? "") < (b.time ?? "") ? 1 : (a.time ?? "") > (b.time ?? "") ? -1 : 0
  );
  return hits.slice(0, options.limit);
}

/** Sessions whose title matches. */
function titleHits(index: SessionIndex, query: string, options: SearchOptions): SearchHit[] {
  let rows: Array<Record<string, unknown>>;
  try {
    rows = index.sql(
      `SELECT t.session_id, n.updated_at, highlight(names_text, 0, char(2), char(3)) AS marked,
        (SELECT f.path FROM files f WHERE f.session_id = t.session_id ORDER BY f.compressed, f.id LIMIT 1) AS path,
        (SELECT f.cwd FROM files f WHERE f.session_id = t.session_id LIMIT 1) AS cwd,
        n.name
      FROM names_text t JOIN names n ON n.session_id = t.session_id
      WHERE names_text MATCH ? LIMIT ?`,
    ).all(query, options.limit) as Array<Record<string, unknown>>;
  } catch (error) {
    badQuery(error, query);
  }
  const hits: SearchHit[] = [];
  for (const row of rows) {
    const time = row.updated_at === null ? null : String(row.updated_at);
    const match = { ...row, time, ...unmark(String(row.marked)) } as unknown as TitleMatch;
    const hit = titleHit(match, options);
    if (hit !== null) hits.push(hit);
  }
  return hits;
}

/** What a title match found: the title's session, where it is, when it was named. */
export interface TitleMatch {
  session_id: unknown;
  name: unknown;
  path: unknown;
  cwd: unknown;
  time: string | null;
  snippet: string;
  highlights: Array<[number, number]>;
}

/**
 * A title match as a hit, or null when it is left out: no file of the session, or outside the
 * folder or the times `options` ask for (a title's time is when it was given).
 */
export function titleHit(match: TitleMatch, options: SearchOptions): SearchHit | null {
  if (match.path === null) return null;
  const cwd = match.cwd === null ? null : String(match.cwd);
  if (options.cwd !== undefined && cwd !== options.cwd) return null;
  const time = match.time;
  if (options.since !== undefined && (time === null || time < options.since)) return null;
  if (options.until !== undefined && (time === null || time >= options.until)) return null;
  return {
    session_id: String(match.session_id),
    title: String(match.name),
    path: String(match.path),
    time,
    cwd,
    item: null,
    line: null,
    role: "title",
    kind: "title",
    snippet: match.snippet,
    highlights: match.highlights,
  };
}

/** One session as `list` shows it. */
export interface ListedSession {
  id: string;
  title: string | null;
  path: string;
  created: string;
  updated: string;
  cwd: string | null;
  items: number;
  preview: string | null;
  format: string;
  size: number;
}

/** A file the index could not read, and why. */
export interface UnreadableFile {
  path: string;
  message: string;
}

/** Sessions newest first (by start time), and the files that could not be read. */
export async function listIndexed(
  index: SessionIndex,
  options: { limit?: number; cwd?: string },
): Promise<{ sessions: ListedSession[]; unreadable: UnreadableFile[] }> {
  const limit = options.limit ?? Infinity;
  const sessions: ListedSession[] = [];
  const unreadable: UnreadableFile[] = [];
  const rowsOf = index.sql(
    `SELECT f.session_id AS id, n.name AS title, f.path, f.created, f.updated, f.cwd, f.items,
      f.preview, f.format, f.size, f.error, f.inode
    FROM files f LEFT JOIN names n ON n.session_id = f.session_id
    WHERE f.path IN (SELECT value FROM json_each(?))`,
  );
  // The dated folders are walked newest first and only as far as needed: the files of each
  // step are brought up to date in the index, then shown from it.
  const skipped: SkippedFolder[] = [];
  const files = newestFirst(index.home, skipped);
  // One file under two names (a link into the home to a session it holds) is listed once.
  const listed = new Map<number, string>();
  let step = 32;
  while (sessions.length < limit) {
    const batch: string[] = [];
    for (let next = files.next(); !next.done; next = files.next()) {
      batch.push(next.value.path);
      if (batch.length >= step) break;
    }
    if (batch.length === 0) break;
    step = Math.min(step * 2, 4096);
    await index.refreshFiles(batch);
    type Row = ListedSession & { error: string | null; inode: number | null };
    const rows = new Map<string, Row>();
    for (const row of rowsOf.all(JSON.stringify(batch)) as unknown as Row[]) {
      rows.set(row.path, row);
    }
    for (const walked of batch) {
      let path = walked;
      let row = rows.get(path);
      if (row === undefined) {
        // Archived or restored since the walk found it: listed as its twin, read now if no
        // process has yet (another's refresh may have dropped the row this one wrote). Gone
        // with no twin (deleted): not listed.
        const twin = movedTo(path);
        if (twin === null) continue;
        path = twin.path;
        row = (rowsOf.all(JSON.stringify([path])) as unknown as Row[])[0];
        if (row === undefined) {
          await index.refreshFiles([path]);
          row = (rowsOf.all(JSON.stringify([path])) as unknown as Row[])[0];
        }
        if (row === undefined) continue;
      }
      if (row.error !== null) {
        unreadable.push({ path, message: row.error });
        continue;
      }
      if (row.inode !== null) {
        const other = listed.get(row.inode);
        // (The same inode on another file system is another file: told apart by real path.)
        if (other !== undefined && realPathOf(other) === realPathOf(path)) continue;
        listed.set(row.inode, path);
      }
      if (options.cwd !== undefined && row.cwd !== options.cwd) continue;
      const { error: _error, inode: _inode, ...session } = row;
      sessions.push({ ...session });
      if (sessions.length >= limit) break;
    }
  }
  // The folders the walk could not read (as far as it went) are said too.
  return { sessions, unreadable: [...unreadable, ...skipped] };
}

/**
 * The files under sessions/ that are no readable rollout, newest first, and why; then the
 * folders the last refresh could not read.
 */
export function unreadableFiles(index: SessionIndex): UnreadableFile[] {
  const files = index.sql(
    "SELECT path, error AS message FROM files WHERE error IS NOT NULL ORDER BY sort_key DESC",
  ).all() as unknown as UnreadableFile[];
  return [...files, ...index.skipped];
}

/** A session's token counts in a shape not understood: not counted. */
export interface UnreadableCounts {
  session_id: string;
  records: number;
}

/** The turns `usage` sums, the sessions with none, and those with counts it could not read. */
export interface UsageRows {
  rows: SessionUsageTurn[];
  without: string[];
  unreadable: UnreadableCounts[];
}

/**
 * Every counted turn at or after `since`, the sessions with no token counts at all, and the
 * sessions with token counts in a shape not understood (how many each). A
 * session kept in two files (after `convert`) is counted from one of them, the one with the
 * most turns.
 */
export function usageRows(index: SessionIndex, since?: string): UsageRows {
  // (A file's state holds its usage tracker's, with what became of each token_count.)
  const files = index.sql(
    `SELECT f.id, f.session_id, f.cwd, (SELECT count(*) FROM usage u WHERE u.file_id = f.id) AS turns,
      json_extract(f.state, '$.usage.counts.unreadable') AS unreadable
    FROM files f WHERE f.error IS NULL ORDER BY f.session_id, turns DESC, f.id`,
  ).all() as Array<
    { id: number; session_id: string; cwd: string | null; turns: number; unreadable: unknown }
  >;
  const chosen = new Map<string, { id: number; cwd: string | null; turns: number }>();
  const unreadable: UnreadableCounts[] = [];
  for (const file of files) {
    if (chosen.has(file.session_id)) continue;
    chosen.set(file.session_id, file);
    const records = Number(file.unreadable ?? 0);
    if (records > 0) unreadable.push({ session_id: file.session_id, records });
  }
  const rows: SessionUsageTurn[] = [];
  const without: string[] = [];
  const turns = index.sql(
    // As REAL: an index written before counts were bounded may hold one above 2^53, which
    // node:sqlite refuses to read as a number.
    `SELECT turn, time, model, CAST(input AS REAL) AS input,
      CAST(cached_input AS REAL) AS cached_input, CAST(output AS REAL) AS output,
      CAST(reasoning_output AS REAL) AS reasoning_output, CAST(total AS REAL) AS total FROM usage
    WHERE file_id = ? AND (? IS NULL OR time >= ?) ORDER BY turn`,
  );
  for (const [sessionId, file] of chosen) {
    if (Number(file.turns) === 0) {
      without.push(sessionId);
      continue;
    }
    for (const row of turns.all(file.id, since ?? null, since ?? null) as unknown as UsageTurn[]) {
      rows.push({
        ...row,
        session_id: sessionId,
        cwd: file.cwd,
        day: (row.time ?? "").slice(0, 10),
      });
    }
  }
  return { rows, without, unreadable };
}

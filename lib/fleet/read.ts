/**
 * What the reading commands ask the fleet store (SPEC §10): the session list, full-text hits,
 * usage rows, byte counts, and one session's records in order, across every machine or one
 * (`--machine`). The answers have the shapes the session index gives, so that the commands
 * print them the same way.
 */
import * as fs from "node:fs";
import type { Sql } from "postgres";
import { isCjk, RolloutError } from "../base/mod.ts";
import type {
  ListedSession,
  SearchHit,
  SearchOptions,
  SessionUsageTurn,
  TitleMatch,
  UnreadableCounts,
  UsageRows,
} from "../index/mod.ts";
import type { Fleet } from "./connect.ts";
import { snippetOf } from "./snippet.ts";
import { parseQuery, type SearchedWord } from "./tsquery.ts";

/** Filters every reading command takes. */
export interface FleetFilter {
  /** Only this machine's sessions. */
  machine?: string;
}

/** A session row as the reading commands use it. */
export interface FleetSession {
  id: number;
  machine: string;
  path: string;
  month: string;
  session_id: string;
  format: string;
  records: number;
  /** Whether the file on its machine is a `.jsonl.zst` (named `path` + `.zst`). */
  compressed: boolean;
  /**
   * The other files of its machine the store holds this session from (a file moved or copied
   * in its home): this one was updated last.
   */
  others: string[];
}

const OPEN = "\u0002";
const CLOSE = "\u0003";

/** Turns ts_headline's marked text into text and highlight ranges. */
function unmark(marked: string): { snippet: string; highlights: Array<[number, number]> } {
  let snippet = "";
  const highlights: Array<[number, number]> = [];
  let start = -1;
  for (const ch of marked.replace(/\s+/g, " ").trim()) {
    if (ch === OPEN) start = snippet.length;
    else if (ch === CLOSE) {
      if (start >= 0) highlights.push([start, snippet.length]);
      start = -1;
    } else snippet += ch;
  }
  return { snippet, highlights };
}

/** A time of the database in milliseconds, or null. */
function msOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.getTime() : Date.parse(String(value));
}

/** A time of the database as ISO text, or null. */
function iso(value: unknown): string | null {
  const ms = msOf(value);
  return ms === null ? null : new Date(ms).toISOString();
}

/** Newest first as search pages: by time (untimed last), then session and line, descending. */
function newestRowFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const [at, bt] = [msOf(a.time), msOf(b.time)];
  if (at !== bt) return at === null ? 1 : bt === null ? -1 : bt - at;
  return Number(b.session) - Number(a.session) || Number(b.line) - Number(a.line);
}

/** Characters of a hit's text its snippet is made from, and how many of them before a match. */
const SNIPPET_WINDOW = 2048;
const SNIPPET_BEFORE = 256;
/** Searched words looked for to place a snippet's window (the first ones of the query). */
const SNIPPET_SEEK = 8;

/**
 * A PostgreSQL pattern whose first group is the text before `word` where it first stands as a
 * word, in any case of ASCII letters: after the start or a character that is no letter or
 * digit, and (unless a prefix) before one or the end. A word that starts (ends) with a CJK
 * character needs nothing before (after) it: such characters are words of their own.
 */
export function wordPattern(word: SearchedWord): string {
  const literal = word.word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const chars = [...word.word];
  const before = isCjk(chars[0] ?? "") ? "" : "(?:^|[^[:alnum:]])";
  const after = word.prefix || isCjk(chars.at(-1) ?? "") ? "" : "(?:[^[:alnum:]]|$)";
  return `(?i)^(.*?)${before}${literal}${after}`;
}

/** The oids of PostgreSQL's `text`, `bigint` and `date`. */
const TEXT_OID = 25;
const BIGINT_OID = 20;
const DATE_OID = 1082;

/**
 * The values the readers send, each with its type named: the driver then sends a query and its
 * values in one round trip (a value of no named type makes it ask the server to describe the
 * parameters first, a round trip more), and queries asked at once go out together.
 */
function typedValues(sql: Sql) {
  return {
    text: (value: string | null) => sql.typed(value, TEXT_OID),
    count: (value: number | null) => sql.typed(value, BIGINT_OID),
    // A month sent as a date, not as text cast in the query: a text cast is no constant to the
    // planner, which then plans every month's partition and prunes them only when running
    // (about 1 ms more planning per month asked, measured on 13 months).
    day: (value: string) => sql.typed(new Date(`${value}T00:00:00Z`), DATE_OID),
  };
}

/** Hits for `query` (search syntax of the session index, as far as it maps), newest first. */
export async function fleetSearch(
  fleet: Fleet,
  query: string,
  options: SearchOptions & FleetFilter,
): Promise<Array<SearchHit & { machine: string }>> {
  const sql = fleet.sql;
  const { text, count, day } = typedValues(sql);
  const parsed = parseQuery(query);
  const tsquery = text(parsed.tsquery);
  const machine = options.machine === undefined ? null : text(options.machine);
  // The title hits are asked at the same time, on the same connection.
  const titles = options.role === undefined
    ? titleHits(sql, parsed.tsquery, options)
    : Promise.resolve([]);
  // Awaited at the end; a failure of the months' queries first must not leave it unhandled.
  titles.catch(() => {});
  // Each month's partition, with the time of its newest record: no record of a month is newer,
  // so months are asked newest first, each for a page of its own newest hits, until the page
  // is full and no month left can hold anything newer than its last hit. Every machine's
  // months come from one look into the month index per month (a fleet's millions of sessions
  // are not read), one machine's from its rows.
  const known = machine === null
    ? sql`WITH RECURSIVE m AS (
        SELECT max(month) AS month FROM rollout.sessions
        UNION ALL
        SELECT (SELECT max(s.month) FROM rollout.sessions s WHERE s.month < m.month)
        FROM m WHERE m.month IS NOT NULL)
      SELECT month FROM m WHERE month IS NOT NULL`
    : sql`SELECT DISTINCT month FROM rollout.sessions WHERE machine = ${machine}`;
  const months = await sql`SELECT to_char(m.month, 'YYYY-MM-DD') AS month,
      (SELECT r.time FROM rollout.records r WHERE r.month = m.month
        ORDER BY r.time DESC NULLS LAST LIMIT 1) AS newest
    FROM (${known}) AS m
    ORDER BY newest DESC NULLS LAST`;
  // Only the filters given are in the query: each one more costs the planner of every month.
  const where = [
    options.machine === undefined ? null : sql`AND s.machine = ${machine}`,
    options.cwd === undefined ? null : sql`AND s.cwd = ${text(options.cwd)}`,
    options.since === undefined ? null : sql`AND r.time >= ${text(options.since)}::timestamptz`,
    options.until === undefined ? null : sql`AND r.time < ${text(options.until)}::timestamptz`,
    options.role === undefined ? null : sql`AND r.role = ${text(options.role)}`,
  ].reduce((all, part) => part === null ? all : sql`${all} ${part}`, sql``);
  const bySession = options.machine !== undefined || options.cwd !== undefined;
  // Where a hit's snippet is cut from its text: a little before the first place one of the
  // searched words stands as a word (not inside another: `log` in `catalog`), found by a
  // pattern whose first group is the text before it (`least` passes over the words not found).
  // The snippet is made from that window here (snippet.ts), not by ts_headline, which parses
  // the whole text it is given (about 7 MB/s: a page of long tool outputs took 28 ms).
  const seek = parsed.words.slice(0, SNIPPET_SEEK);
  const windowStart = seek.length === 0 ? sql`1` : sql`greatest(1, coalesce(least(${
    seek.reduce(
      (all, w, i) =>
        sql`${all}${i === 0 ? sql`` : sql`, `}length(substring(h.body from ${
          text(wordPattern(w))
        }))`,
      sql``,
    )
  }), 1) - ${count(SNIPPET_BEFORE)})`;
  // One month's hits, planned for this word and month: a common word is read along the
  // month's time index until the page is full, a rare one found through the words index.
  const ask = (month: string) =>
    sql`
    SELECT s.machine, s.session_id, n.name AS title,
      (CASE WHEN s.compressed THEN s.path || '.zst' ELSE s.path END) AS path, s.format, h.time,
      s.cwd, h.session, h.item, h.line, h.role, h.kind,
      substr(h.body, p.start::integer, ${count(SNIPPET_WINDOW)}::integer) AS window,
      p.start AS window_start, length(h.body) AS body_length
    FROM (
      SELECT r.session, r.line, r.item, r.time, r.role, r.kind, r.body
      FROM rollout.records r ${bySession ? sql`JOIN rollout.sessions s ON s.id = r.session` : sql``}
      WHERE r.month = ${day(month)} AND r.words @@ to_tsquery('simple', ${tsquery})
        ${where}
      ORDER BY r.time DESC NULLS LAST, r.session DESC, r.line DESC
      LIMIT ${count(options.limit)}
    ) AS h JOIN rollout.sessions s ON s.id = h.session
      LEFT JOIN rollout.names n ON n.machine = s.machine AND n.session_id = s.session_id
      -- Computed once (OFFSET 0 keeps it from being copied into each use).
      CROSS JOIN LATERAL (SELECT ${windowStart} AS start OFFSET 0) AS p`;
  const rows: Record<string, unknown>[] = [];
  const sinceMs = options.since === undefined ? null : Date.parse(options.since);
  // Months come newest first: none from the first older than --since on holds a record at or
  // after it.
  const older = sinceMs === null ? -1 : months.findIndex((m) => {
    const newest = msOf(m.newest);
    return newest === null || newest < sinceMs;
  });
  const candidates = older === -1 ? months.length : older;
  // The months are asked in batches of 1, 4, 16, ... sent at once on the connection (one round
  // trip per batch, not per month): a common word's page fills in the newest month, a rare one
  // reads a year of months in three round trips (a round trip costs more than a month's query
  // on a warm server), and no batch asks more than four times the months an exact stop would
  // have.
  for (let i = 0, batch = 1; i < candidates; i += batch, batch *= 4) {
    const asked = months.slice(i, Math.min(candidates, i + batch));
    for (const page of await Promise.all(asked.map((m) => ask(String(m.month))))) {
      rows.push(...page);
    }
    rows.sort(newestRowFirst);
    rows.length = Math.min(rows.length, options.limit);
    const last = rows.length === options.limit ? msOf(rows[rows.length - 1]!.time) : null;
    const next = i + asked.length < candidates ? msOf(months[i + asked.length]!.newest) : null;
    // The page is full and no month left holds a record as new as its last hit: done.
    if (last !== null && (next === null || next < last)) break;
  }
  const hits: Array<SearchHit & { machine: string }> = rows.map((row) => ({
    machine: String(row.machine),
    session_id: String(row.session_id),
    title: row.title === null ? null : String(row.title),
    path: String(row.path),
    time: iso(row.time),
    cwd: row.cwd === null ? null : String(row.cwd),
    item: Number(row.item),
    line: String(row.format).endsWith("_document") ? null : Number(row.line),
    role: String(row.role),
    kind: String(row.kind),
    ...snippetOf(row.window === null ? "" : String(row.window), parsed, {
      start: Number(row.window_start) > 1,
      end: Number(row.window_start) + SNIPPET_WINDOW - 1 < Number(row.body_length),
    }),
  }));
  hits.push(...await titles);
  hits.sort((a, b) =>
    (a.time ?? "") < (b.time ?? "") ? 1 : (a.time ?? "") > (b.time ?? "") ? -1 : 0
  );
  return hits.slice(0, options.limit);
}

async function titleHits(
  sql: Sql,
  query: string,
  options: SearchOptions & FleetFilter,
): Promise<Array<SearchHit & { machine: string }>> {
  const { text, count } = typedValues(sql);
  const tsquery = text(query);
  const machine = text(options.machine ?? null);
  const rows = await sql`
    SELECT n.machine, n.session_id, n.name, n.updated_at,
      ts_headline('simple', n.name, to_tsquery('simple', ${tsquery}),
        'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', HighlightAll=true') AS marked,
      (SELECT (CASE WHEN s.compressed THEN s.path || '.zst' ELSE s.path END) FROM rollout.sessions s
        WHERE s.machine = n.machine AND s.session_id = n.session_id
        ORDER BY s.compressed, s.id LIMIT 1) AS path,
      (SELECT s.cwd FROM rollout.sessions s WHERE s.machine = n.machine AND s.session_id = n.session_id
        LIMIT 1) AS cwd
    FROM rollout.names n
    WHERE to_tsvector('simple', regexp_replace(n.name, '[[:punct:][:space:]]+', ' ', 'g'))
        @@ to_tsquery('simple', ${tsquery})
      AND (${machine}::text IS NULL OR n.machine = ${machine})
    LIMIT ${count(options.limit)}`;
  const hits: Array<SearchHit & { machine: string }> = [];
  if (rows.length === 0) return hits;
  // The session index's code (and its schemas) only when a title matches: a search loads
  // nothing more than it needs (SPEC §10, a search per process).
  const { titleHit } = await import("../index/mod.ts");
  for (const row of rows) {
    const match = { ...row, time: iso(row.updated_at), ...unmark(String(row.marked)) };
    const hit = titleHit(match as unknown as TitleMatch, options);
    if (hit !== null) hits.push({ machine: String(row.machine), ...hit });
  }
  return hits;
}

/** A file of the store that is no readable rollout, and why. */
export interface FleetUnreadable {
  machine: string;
  path: string;
  message: string;
}

/** Sessions newest first (by start time), and the files that could not be read. */
export async function fleetList(
  fleet: Fleet,
  options: { limit?: number; cwd?: string } & FleetFilter,
): Promise<
  { sessions: Array<ListedSession & { machine: string }>; unreadable: FleetUnreadable[] }
> {
  const { text, count } = typedValues(fleet.sql);
  const machine = text(options.machine ?? null);
  const cwd = text(options.cwd ?? null);
  const limit = count(options.limit ?? null);
  const rows = await fleet.sql`
    SELECT s.machine, s.session_id AS id, n.name AS title,
      (CASE WHEN s.compressed THEN s.path || '.zst' ELSE s.path END) AS path, s.created,
      s.updated, s.cwd, s.items, s.preview, s.format, s.size
    FROM rollout.sessions s
      LEFT JOIN rollout.names n ON n.machine = s.machine AND n.session_id = s.session_id
    WHERE s.error IS NULL AND s.format IS NOT NULL
      AND (${machine}::text IS NULL OR s.machine = ${machine})
      AND (${cwd}::text IS NULL OR s.cwd = ${cwd})
    ORDER BY s.sort_key DESC, s.machine
    LIMIT ${limit}`;
  const sessions = rows.map((row) => ({
    machine: String(row.machine),
    id: String(row.id),
    title: row.title === null ? null : String(row.title),
    path: String(row.path),
    created: String(row.created),
    updated: iso(row.updated)!,
    cwd: row.cwd === null ? null : String(row.cwd),
    items: Number(row.items),
    preview: row.preview === null ? null : String(row.preview),
    format: String(row.format),
    size: Number(row.size),
  }));
  return { sessions, unreadable: await fleetUnreadable(fleet, options) };
}

/** The files of the store that are no readable rollout, newest first, and why. */
export async function fleetUnreadable(
  fleet: Fleet,
  options: FleetFilter,
): Promise<FleetUnreadable[]> {
  const machine = typedValues(fleet.sql).text(options.machine ?? null);
  const rows = await fleet.sql`
    SELECT machine, (CASE WHEN compressed THEN path || '.zst' ELSE path END) AS path, error
    FROM rollout.sessions
    WHERE error IS NOT NULL AND (${machine}::text IS NULL OR machine = ${machine})
    ORDER BY sort_key DESC`;
  return rows.map((row) => ({
    machine: String(row.machine),
    path: String(row.path),
    message: String(row.error),
  }));
}

/**
 * Every counted turn at or after `since`, and the sessions with no token counts at all; a
 * session kept in two files is counted from the one with the most turns (as the index does).
 */
export async function fleetUsageRows(
  fleet: Fleet,
  options: { since?: string } & FleetFilter,
): Promise<UsageRows> {
  const { text } = typedValues(fleet.sql);
  const machine = text(options.machine ?? null);
  const since = text(options.since ?? null);
  const files = await fleet.sql`
    SELECT s.id, s.session_id, s.cwd, (SELECT count(*) FROM rollout.usage u WHERE u.session = s.id) AS turns,
      s.state->'usage'->'counts'->>'unreadable' AS unreadable
    FROM rollout.sessions s
    WHERE s.error IS NULL AND s.session_id IS NOT NULL
      AND (${machine}::text IS NULL OR s.machine = ${machine})
    ORDER BY s.session_id, turns DESC, s.id`;
  const chosen = new Map<string, { id: number; cwd: string | null; turns: number }>();
  const unreadable: UnreadableCounts[] = [];
  for (const file of files) {
    const key = String(file.session_id);
    if (chosen.has(key)) continue;
    chosen.set(key, {
      id: Number(file.id),
      cwd: file.cwd === null ? null : String(file.cwd),
      turns: Number(file.turns),
    });
    const records = Number(file.unreadable ?? 0);
    if (records > 0) unreadable.push({ session_id: key, records });
  }
  const ids = [...chosen.values()].filter((f) => f.turns > 0).map((f) => f.id);
  const turns = ids.length === 0 ? [] : await fleet.sql`
    SELECT session, turn, time, model, input, cached_input, output, reasoning_output, total
    FROM rollout.usage WHERE session = ANY(${ids}::bigint[])
      AND (${since}::timestamptz IS NULL OR time >= ${since}::timestamptz)
    ORDER BY session, turn`;
  const bySession = new Map<number, Array<Record<string, unknown>>>();
  for (const turn of turns as Array<Record<string, unknown>>) {
    const list = bySession.get(Number(turn.session)) ?? [];
    list.push(turn);
    bySession.set(Number(turn.session), list);
  }
  const rows: SessionUsageTurn[] = [];
  const without: string[] = [];
  for (const [sessionId, file] of chosen) {
    if (file.turns === 0) {
      without.push(sessionId);
      continue;
    }
    for (const turn of bySession.get(file.id) ?? []) {
      const time = turn.time === null ? null : iso(turn.time);
      rows.push({
        turn: Number(turn.turn),
        time,
        model: turn.model === null ? null : String(turn.model),
        input: Number(turn.input),
        cached_input: Number(turn.cached_input),
        output: Number(turn.output),
        reasoning_output: Number(turn.reasoning_output),
        total: Number(turn.total),
        session_id: sessionId,
        cwd: file.cwd,
        day: (time ?? "").slice(0, 10),
      });
    }
  }
  return { rows, without, unreadable };
}

/** The rows `du` reads, in the shape of the index's `files` rows, biggest first. */
export async function fleetDuRows(
  fleet: Fleet,
  options: FleetFilter,
): Promise<Array<Record<string, unknown>>> {
  const machine = typedValues(fleet.sql).text(options.machine ?? null);
  const rows = await fleet.sql`
    SELECT machine, session_id, (CASE WHEN compressed THEN path || '.zst' ELSE path END) AS path,
      size, CASE WHEN compressed THEN 1 ELSE 0 END AS compressed, updated, created, cwd,
      bytes_images, bytes_tool_output, bytes_compaction, bytes_other, error
    FROM rollout.sessions WHERE (${machine}::text IS NULL OR machine = ${machine})
    ORDER BY size DESC, path, machine`;
  return rows.map((row) => ({ ...row, updated: iso(row.updated) }));
}

/**
 * `--last` with `--from`: the session of the store updated last (of machine `options.machine`
 * if given), resolved as its id would be.
 */
export async function lastFleetSession(
  fleet: Fleet,
  options: FleetFilter,
): Promise<FleetSession> {
  const { text } = typedValues(fleet.sql);
  const machine = text(options.machine ?? null);
  const [row] = await fleet.sql`
    SELECT s.machine, s.session_id FROM rollout.sessions s
    WHERE s.error IS NULL AND s.format IS NOT NULL AND s.session_id IS NOT NULL
      AND (${machine}::text IS NULL OR s.machine = ${machine})
    ORDER BY s.updated DESC NULLS LAST, s.id DESC LIMIT 1`;
  if (row === undefined) {
    const where = options.machine === undefined
      ? "in the database"
      : `of machine "${options.machine}"`;
    throw new RolloutError("not_found", `No session ${where} to take as --last`);
  }
  return await resolveFleetSession(fleet, String(row.session_id), {
    machine: String(row.machine),
  });
}

/**
 * The session `name` stands for: a session id, a unique prefix of one (at least 4
 * characters), a title, or the path a session had on its machine.
 */
export async function resolveFleetSession(
  fleet: Fleet,
  name: string,
  options: FleetFilter,
): Promise<FleetSession> {
  const { text } = typedValues(fleet.sql);
  const machine = text(options.machine ?? null);
  const prefix = text(name.length >= 4 ? `${name.replace(/[\\%_]/g, "\\$&")}%` : name);
  const named = text(name);
  const rows = await fleet.sql`
    SELECT DISTINCT s.id, s.machine, s.path, to_char(s.month, 'YYYY-MM-DD') AS month, s.session_id,
      s.format, s.records, s.compressed, s.updated
    FROM rollout.sessions s
      LEFT JOIN rollout.names n ON n.machine = s.machine AND n.session_id = s.session_id
    WHERE s.error IS NULL AND s.format IS NOT NULL
      AND (${machine}::text IS NULL OR s.machine = ${machine})
      AND (s.session_id LIKE ${prefix} OR s.path = ${named} OR n.name = ${named}
        OR (s.compressed AND s.path || '.zst' = ${named}))
    ORDER BY s.machine, s.updated DESC NULLS LAST, s.compressed, s.id`;
  const where = options.machine === undefined
    ? "in the database"
    : `of machine "${options.machine}"`;
  if (rows.length === 0) {
    throw new RolloutError(
      "not_found",
      `No session ${
        JSON.stringify(name)
      } ${where}: give a session id (or its first characters), a title or its path; rollout list --from URL shows them`,
    );
  }
  const sessions = new Set(rows.map((r) => `${r.machine}\u0000${r.session_id}`));
  if (sessions.size > 1) {
    const names = [...sessions].slice(0, 5).map((s) => s.replace("\u0000", ": ")).join(", ");
    throw new RolloutError(
      "invalid_argument",
      `${JSON.stringify(name)} matches ${sessions.size} sessions ${where} (${names}${
        sessions.size > 5 ? ", …" : ""
      }): give more of the id, or --machine`,
    );
  }
  // One session in several files of its machine (moved in its home, or copied): the store
  // keeps a row for each path it was pushed from. The one updated last is read, the others
  // named, as a home names them.
  const row = rows[0]!;
  const shown = (r: Record<string, unknown>) => `${r.path}${r.compressed === true ? ".zst" : ""}`;
  const others = [...new Set(rows.filter((r) => r.path !== row.path).map(shown))];
  return {
    id: Number(row.id),
    machine: String(row.machine),
    path: String(row.path),
    month: String(row.month),
    session_id: String(row.session_id),
    format: String(row.format),
    records: Number(row.records),
    compressed: row.compressed === true,
    others,
  };
}

/** What a damaged line is written back as: bytes the reader finds damaged in the same way. */
const DAMAGE_BYTES: Record<string, Uint8Array> = {
  invalid_utf8: new Uint8Array([0xff]),
  too_long: new Uint8Array([0xff]),
  nul: new Uint8Array([0]),
};

/**
 * Writes the session's records, in order, to the file `dest` (created 0600): a line file's
 * lines each ended by `\n`, a document's text. Read 2,000 records at a time (bounded memory).
 */
export async function writeFleetSession(
  fleet: Fleet,
  session: FleetSession,
  dest: string,
): Promise<void> {
  const { day, count } = typedValues(fleet.sql);
  const fd = fs.openSync(dest, "wx", 0o600);
  const document = session.format.endsWith("_document");
  const newline = new Uint8Array([10]);
  let written = 0;
  try {
    const cursor = fleet.sql`
      SELECT line, raw, damage FROM rollout.records
      WHERE month = ${day(session.month)} AND session = ${count(session.id)}
        AND (raw IS NOT NULL OR damage IS NOT NULL) ${
      document ? fleet.sql`AND line = 0` : fleet.sql``
    }
      ORDER BY line`.cursor(2000);
    for await (const rows of cursor) {
      for (const row of rows) {
        if (row.raw !== null) fs.writeSync(fd, String(row.raw));
        else fs.writeSync(fd, DAMAGE_BYTES[String(row.damage)] ?? DAMAGE_BYTES.invalid_utf8!);
        if (!document) fs.writeSync(fd, newline);
        written++;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  const expected = document ? 1 : session.records;
  if (written < expected) {
    throw new RolloutError(
      "not_found",
      `The database holds ${written} of the ${expected} records of session ${session.session_id} (machine "${session.machine}"): its month (${
        session.month.slice(0, 7)
      }) was dropped from rollout.records, or is being pushed again right now`,
    );
  }
}

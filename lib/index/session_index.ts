/**
 * The session index (SPEC §8): `<home>/rollout/index.sqlite`, a cache of every session under
 * `<home>/sessions`, never the source of truth. Brought up to date before each use, reading
 * only what changed: a grown journal from where the index stopped, a replaced or rewritten
 * file again, a deleted one dropped. SQLite's WAL lets readers go on while one process writes;
 * writers take turns. A corrupt index file is deleted and rebuilt.
 *
 * The tables use plain columns and stable keys (machine, session id, file path, line) so that
 * they can be mirrored to another database; the full-text tables are SQLite's FTS5 and are
 * derived from them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { splitCjk } from "../base/mod.ts";
import {
  describe as describeError,
  errnoOf,
  ioError,
  isDocument,
  isSystemError,
  plainError,
} from "../schemas/mod.ts";
import {
  assertHome,
  endsAt,
  findSessionFiles,
  type IndexPosition,
  isLink,
  nameStamp,
  readSessionHead,
  readThreadNames,
  sessionIndexPath,
  shorten,
  type SkippedFolder,
  stampOf,
  statSession,
  TAIL_BYTES,
  tailBefore,
} from "../session/mod.ts";
import { type FoundEntry, readRollout, type ReadState, UnreadableRollout } from "./file_reader.ts";
import type { UsageTurn } from "./usage_tracker.ts";
import { ScanHash } from "./scan_hash.ts";

/** The status of a file the walk found (see {@linkcode statSession}). */

/**
 * Bumped whenever the tables change, or what a reading puts in them: an index of another
 * version is rebuilt. 3: a fork rollout made counts its own token usage, record times are kept
 * in UTC to the millisecond, Chinese and Japanese characters are words of their own, and a
 * file's status change time is kept.
 */
export const SCHEMA_VERSION = 3;

/**
 * The files no reading could use, in list order: every command that refreshes asks for them,
 * and without it that question read all 10,000 rows of a home (15 ms). Added to an index of
 * this version made before it, when opened (no rebuild: only the question gets faster).
 */
const UNREADABLE_INDEX =
  "CREATE INDEX IF NOT EXISTS files_unreadable ON files(sort_key) WHERE error IS NOT NULL";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  machine TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE,
  session_id TEXT,
  format TEXT,
  compressed INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  ctime_ms REAL NOT NULL DEFAULT 0,
  inode TEXT NOT NULL,
  sort_key TEXT NOT NULL,
  indexed_bytes INTEGER NOT NULL DEFAULT 0,
  tail TEXT,
  created TEXT,
  updated TEXT NOT NULL,
  cwd TEXT,
  model TEXT,
  forked_from TEXT,
  items INTEGER NOT NULL DEFAULT 0,
  preview TEXT,
  bytes_images INTEGER NOT NULL DEFAULT 0,
  bytes_tool_output INTEGER NOT NULL DEFAULT 0,
  bytes_compaction INTEGER NOT NULL DEFAULT 0,
  bytes_other INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  state TEXT
);
CREATE INDEX IF NOT EXISTS files_session ON files(session_id);
CREATE INDEX IF NOT EXISTS files_order ON files(sort_key);
${UNREADABLE_INDEX};
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  item INTEGER NOT NULL,
  line INTEGER,
  time TEXT,
  role TEXT NOT NULL,
  kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_file ON entries(file_id);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_text
  USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS usage (
  file_id INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  turn INTEGER NOT NULL,
  time TEXT,
  model TEXT,
  input INTEGER NOT NULL,
  cached_input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  reasoning_output INTEGER NOT NULL,
  total INTEGER NOT NULL,
  PRIMARY KEY (file_id, turn)
);
CREATE TABLE IF NOT EXISTS names (
  session_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  updated_at TEXT
);
CREATE VIRTUAL TABLE IF NOT EXISTS names_text
  USING fts5(name, session_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
`;

/** A row of `files`. */
export interface FileRow {
  id: number;
  machine: string;
  path: string;
  session_id: string | null;
  format: string | null;
  compressed: number;
  size: number;
  mtime_ms: number;
  /** The file's status change time: an edit in place that kept size and mtime changes it. */
  ctime_ms: number;
  inode: string;
  /** `YYYY-MM-DDThh-mm-ss <path>`: the start time in the file name, else its mtime. */
  sort_key: string;
  indexed_bytes: number;
  tail: string | null;
  created: string | null;
  updated: string;
  cwd: string | null;
  model: string | null;
  forked_from: string | null;
  items: number;
  preview: string | null;
  bytes_images: number;
  bytes_tool_output: number;
  bytes_compaction: number;
  bytes_other: number;
  error: string | null;
  state: string | null;
}

/** What bringing the index up to date did. */
export interface RefreshReport {
  /** Files read from the start (new, replaced or rewritten). */
  read: number;
  /** Journals read on from where the index stopped. */
  grown: number;
  /** Files gone from the home whose rows were dropped. */
  dropped: number;
  /** Files already up to date. */
  unchanged: number;
  /** Bytes read. */
  bytes: number;
}

/** Options of {@linkcode openIndex}. */
export interface OpenOptions {
  /** Told once when a corrupt index was deleted to be rebuilt. */
  notice?: (message: string) => void;
  /** Told the bytes read of the bytes to read while the index is brought up to date. */
  progress?: ((read: number, total: number, lines: number) => void) | null;
  /** Bring every row up to date when opening (default); false leaves it to the caller. */
  refresh?: boolean;
}

/** How long a process waits for another one writing the index before giving up. */
const BUSY_MS = 120_000;
/** The bytes read before the writes so far are committed (and other writers get a turn). */
const BATCH_BYTES = 32 * 1024 * 1024;
const BATCH_FILES = 500;

/** Where a home's index lives. */
export function indexPath(home: string): string {
  return nodePath.join(home, "rollout", "index.sqlite");
}

/** Whether an error says the database file is damaged or no database at all. */
/** An index whose tables are not the ones this version makes (a table or column dropped). */
class DamagedSchema extends Error {}

/**
 * The tables and columns of {@linkcode SCHEMA}, each looked up once as the index is opened:
 * a table or column missing (an index edited by hand, or by another tool) is a damaged index,
 * rebuilt like a corrupt one, not a query failing later with SQLite's words.
 */
function checkSchema(db: DatabaseSync): void {
  const tables = /CREATE (?:VIRTUAL )?TABLE IF NOT EXISTS (\w+)\s*(?:USING fts5)?\(([^;]*)\);/g;
  for (const [, table, body] of SCHEMA.matchAll(tables)) {
    const columns = body!.split(",").map((part) => part.trim().split(/\s+/)[0]!)
      .filter((word) => /^[a-z_]+$/.test(word) && !["tokenize", "PRIMARY"].includes(word));
    try {
      db.prepare(`SELECT ${columns.join(", ")} FROM ${table} LIMIT 0`).all();
    } catch (error) {
      throw new DamagedSchema(
        `its table "${table}" is not as this version makes it (${
          error instanceof Error ? error.message : String(error)
        })`,
      );
    }
  }
}

function isCorruption(error: unknown): boolean {
  if (error instanceof DamagedSchema) return true;
  const e = error as { errcode?: unknown; code?: unknown; message?: unknown };
  const primary = typeof e.errcode === "number" ? e.errcode & 0xff : -1;
  if (primary === 11 || primary === 26) return true;
  const message = typeof e.message === "string" ? e.message : "";
  return /database disk image is malformed|file is not a database|file is encrypted|malformed database schema/i
    .test(message);
}

function removeIndexFiles(file: string): void {
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      fs.unlinkSync(file + suffix);
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw ioError("delete the damaged index", file, error);
    }
  }
}

/** Opens (creating it 0600 in a 0700 folder if needed) the index file; may throw corruption. */
function openDatabase(file: string): DatabaseSync {
  const dir = nodePath.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // SQLite gives its -wal and -shm files the mode of the database file. Opened without
    // blocking: a FIFO in its place is refused below, not waited on.
    const fd = fs.openSync(
      file,
      fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NONBLOCK,
      0o600,
    );
    try {
      if (!fs.fstatSync(fd).isFile()) {
        throw Object.assign(new Error("is not a regular file"), { code: "ENOTREG" });
      }
    } finally {
      fs.closeSync(fd);
    }
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch (error) {
    throw ioError("open the session index", file, error);
  }
  return setUp(new DatabaseSync(file, { timeout: BUSY_MS }));
}

/**
 * An index in memory, for a home whose index file cannot be written (a home of another user
 * that may be read, a read-only file system): the home is read into it and it is gone when the
 * command ends.
 */
function openMemoryDatabase(): DatabaseSync {
  return setUp(new DatabaseSync(":memory:"));
}

/** Whether opening the index file failed for want of the right to write it there. */
function cannotWrite(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  const errno = errnoOf(cause);
  return errno === "EACCES" || errno === "EPERM" || errno === "EROFS";
}

/** The tables of this version in `db` (made, or remade from another version), checked. */
function setUp(db: DatabaseSync): DatabaseSync {
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA cache_size = -1024");
    const version = Number(
      (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
    );
    if (version !== SCHEMA_VERSION) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const again = Number(
          (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
        );
        if (again !== SCHEMA_VERSION) {
          for (
            const table of [
              "meta",
              "files",
              "entries",
              "entries_text",
              "usage",
              "names",
              "names_text",
            ]
          ) db.exec(`DROP TABLE IF EXISTS ${table}`);
          db.exec(SCHEMA);
          db.prepare("INSERT INTO meta (key, value) VALUES ('machine', ?)").run(os.hostname());
          db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        }
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    }
    addUnreadableIndex(db);
    // Reads a page of every table: a damaged file fails here rather than mid-query.
    db.prepare("SELECT count(*) FROM files").get();
    checkSchema(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Adds the unreadable files' index to an index made before it: only where it is missing, and
 * without waiting for another process's write (the question still works without it, only more
 * slowly, and a later open adds it).
 */
function addUnreadableIndex(db: DatabaseSync): void {
  const present = db.prepare(
    "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'files_unreadable'",
  ).get();
  if (present !== undefined) return;
  withoutWaiting(db, () => db.exec(UNREADABLE_INDEX));
}

/**
 * Runs `work`, a write that is only a shortcut, without waiting for another process's lock:
 * if it cannot be done now (busy, or any failure but a damaged file), it is left undone.
 */
function withoutWaiting(db: DatabaseSync, work: () => void): void {
  db.exec("PRAGMA busy_timeout = 0");
  try {
    work();
  } catch (error) {
    if (isCorruption(error)) throw error;
  } finally {
    db.exec(`PRAGMA busy_timeout = ${BUSY_MS}`);
  }
}

/**
 * The session index of `home`, brought up to date (unless `options.refresh` is false). A
 * corrupt index file is deleted and rebuilt (`options.notice` says so). The caller closes it.
 */
export function openIndex(home: string, options: OpenOptions = {}): Promise<SessionIndex> {
  return useIndex(home, options, (index) => Promise.resolve(index), { keepOpen: true });
}

/**
 * Runs `work` on the session index of `home`, brought up to date first (unless
 * `options.refresh` is false), and closes it. A corrupt index file, met while opening or
 * during the work, is deleted and rebuilt once (`options.notice` says so), and the work done
 * again.
 */
export async function useIndex<T>(
  home: string,
  options: OpenOptions,
  work: (index: SessionIndex) => Promise<T>,
  how: { keepOpen?: boolean } = {},
): Promise<T> {
  const file = indexPath(home);
  assertHome(home);
  for (let attempt = 0;; attempt++) {
    let index: SessionIndex | null = null;
    try {
      let db: DatabaseSync;
      try {
        db = openDatabase(file);
      } catch (error) {
        if (!cannotWrite(error)) throw error;
        options.notice?.(
          `${describeError(error)}; the home is read into an index in memory, which is not kept`,
        );
        db = openMemoryDatabase();
      }
      index = new SessionIndex(home, db);
      if (options.refresh !== false) await index.refresh(options.progress ?? null);
      const result = await work(index);
      if (how.keepOpen !== true) index.close();
      return result;
    } catch (error) {
      index?.close();
      if (attempt > 0 || !isCorruption(error)) throw error;
      options.notice?.(
        `the session index "${file}" was damaged (${
          error instanceof Error ? error.message : String(error)
        }); it is rebuilt from the session files`,
      );
      removeIndexFiles(file);
    }
  }
}

/**
 * Where the session of a file that is gone lives now: `X.jsonl.zst` for an `X.jsonl` archived
 * meanwhile, `X.jsonl` for an `X.jsonl.zst` restored meanwhile; null when neither is there.
 */
export function movedTo(file: string): Seen | null {
  const twin = file.endsWith(".jsonl.zst")
    ? file.slice(0, -4)
    : file.endsWith(".jsonl")
    ? `${file}.zst`
    : null;
  if (twin === null) return null;
  const stat = statSession(twin);
  return stat === null ? null : { path: twin, stat };
}

/**
 * A text as the full-text index keeps it: a zero-width space (a separator to FTS5, invisible
 * in a snippet, and taken out of it) between each two Chinese or Japanese characters, so that
 * each is a word and a word inside a sentence is found as the phrase of its characters.
 */
export function searchableText(text: string): string {
  return splitCjk(text, ZERO_WIDTH_SPACE);
}

/** What {@linkcode searchableText} puts between characters. */
export const ZERO_WIDTH_SPACE = "\u200b";

/**
 * Whether a time kept in the index and a file's time now are the same, to the precision of the
 * coarser of the two clocks that read them: Deno's `node:fs` gives a modification time in whole
 * milliseconds and a status change time in whole seconds (`grain`), Bun both to the nanosecond.
 * An index written by one runtime and read by the other must not find every file changed; one
 * runtime alone compares at its own precision.
 */
function sameTime(kept: number, now: number, grain: number): boolean {
  if (kept === now) return true;
  const onGrain = (time: number) => Number.isInteger(time / grain);
  return (onGrain(kept) || onGrain(now)) && Math.floor(kept / grain) === Math.floor(now / grain);
}

/** The key of a file's identity and content: equal keys mean nothing changed. */
export function inodeOf(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}`;
}

/**
 * The `TAIL_BYTES` bytes before `end` of the file (fewer near its start), as hex: what must be
 * unchanged for a tail read; null if unreadable.
 */
export function tailOf(file: string, end: number): string | null {
  try {
    const fd = fs.openSync(file, "r");
    try {
      const tail = tailBefore(fd, end);
      return tail.length === 2 * Math.min(TAIL_BYTES, end) ? tail : null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** What a refresh compares of a row. */
type RowKey = Pick<FileRow, "id" | "path" | "size" | "mtime_ms" | "ctime_ms" | "inode">;

interface Seen {
  path: string;
  stat: fs.Stats;
}

/** An open, up-to-date session index. */
export class SessionIndex {
  readonly home: string;
  readonly db: DatabaseSync;
  readonly machine: string;
  readonly #statements = new Map<string, StatementSync>();
  /**
   * The folders under sessions/ the last refresh could not read: their sessions are not in
   * the index (a row of theirs is dropped as gone, and read again once the folder can be).
   */
  skipped: SkippedFolder[] = [];

  constructor(home: string, db: DatabaseSync) {
    this.home = home;
    this.db = db;
    const row = db.prepare("SELECT value FROM meta WHERE key = 'machine'").get() as
      | { value: string }
      | undefined;
    this.machine = row?.value ?? os.hostname();
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** A prepared statement, made once. */
  sql(text: string): StatementSync {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  /**
   * The session files of the home now, in the order of the walk, and the digest of what was
   * seen: each one's path and the key {@linkcode upToDate} compares.
   */
  #scan(): { seen: Seen[]; signature: string } {
    const skipped: SkippedFolder[] = [];
    const files = findSessionFiles(this.home, { once: true, skipped });
    this.skipped = skipped;
    const seen: Seen[] = [];
    // One file under two names (a link into the home to a session it holds) is one session:
    // kept under the name that is no link.
    const byInode = new Map<string, number>();
    for (const file of files) {
      const stat = statSession(file.path);
      if (stat === null) continue;
      const inode = `${stat.dev}:${stat.ino}`;
      const before = byInode.get(inode);
      if (before === undefined || stat.isSymbolicLink()) {
        byInode.set(inode, seen.length);
        seen.push({ path: file.path, stat });
      } else if (isLink(seen[before]!.path) && !isLink(file.path)) {
        seen[before] = { path: file.path, stat };
      }
    }
    const hash = new ScanHash();
    for (const { path: file, stat } of seen) {
      hash.text(file);
      hash.number(stat.size);
      hash.number(stat.mtimeMs);
      hash.number(stat.dev);
      hash.number(stat.ino);
      // A chmod or chown changes only this: a file that could not be opened is tried again.
      hash.number(stat.ctimeMs);
    }
    return { seen, signature: hash.digest() };
  }

  /**
   * The rows' generation (bumped by every transaction that writes them), and the last scan's
   * digest as kept, `"<generation>:<digest>"` (null if none is).
   */
  #lastScan(): { generation: number; kept: string | null } {
    const rows = this.sql("SELECT key, value FROM meta WHERE key IN ('generation', 'scan')")
      .all() as unknown as { key: string; value: string }[];
    let generation = 0;
    let kept: string | null = null;
    for (const row of rows) {
      if (row.key === "generation") generation = Number(row.value);
      else kept = row.value;
    }
    return { generation, kept };
  }

  /**
   * Keeps `signature` as the digest of a scan the rows match: the rows were compared at
   * `generation`, and no transaction but this refresh's own (`mine`) has written them since.
   * Never waits for another writer and never fails the command: it is only a shortcut, and
   * without it the next refresh compares the rows one by one.
   */
  #saveScan(signature: string, generation: number, mine: number): void {
    withoutWaiting(this.db, () =>
      this.#write(() => {
        const now = this.#lastScan().generation;
        if (now !== generation + mine) return;
        this.sql("INSERT OR REPLACE INTO meta (key, value) VALUES ('scan', ?)").run(
          `${now}:${signature}`,
        );
      }, { rows: false }));
  }

  #rows(): Map<string, RowKey> {
    const rows = new Map<string, RowKey>();
    for (
      const row of this.sql("SELECT id, path, size, mtime_ms, ctime_ms, inode FROM files")
        .all() as unknown as FileRow[]
    ) {
      rows.set(row.path, row);
    }
    return rows;
  }

  /** Brings the index up to date with the files of the home. */
  async refresh(
    progress: ((read: number, total: number, lines: number) => void) | null = null,
  ): Promise<RefreshReport> {
    const report: RefreshReport = { read: 0, grown: 0, dropped: 0, unchanged: 0, bytes: 0 };
    const { seen, signature } = this.#scan();
    const namesFresh = this.#namesUpToDate();
    // The rows and their generation, read together (one read transaction).
    this.db.exec("BEGIN");
    let last: { generation: number; kept: string | null };
    let rows: Map<string, RowKey> | null = null;
    try {
      last = this.#lastScan();
      // The same files with the same sizes, times and inodes (the same 64-bit digest) as a
      // refresh that left every row matching them, and no row written since: nothing to do.
      if (last.kept !== `${last.generation}:${signature}` || !namesFresh) {
        rows = this.#rows();
      }
    } finally {
      this.db.exec("COMMIT");
    }
    if (rows === null) {
      report.unchanged = seen.length;
      return report;
    }
    const writesBefore = this.#writes;
    const changed: Seen[] = [];
    for (const file of seen) {
      const row = rows.get(file.path);
      rows.delete(file.path);
      if (row !== undefined && upToDate(row, file.stat)) report.unchanged++;
      else changed.push(file);
    }
    const gone = [...rows.values()];
    if (changed.length > 0 || gone.length > 0 || !namesFresh) {
      this.#write(() => {
        for (const row of gone) this.#drop(row.id);
        report.dropped = gone.length;
        this.#refreshNames();
      });
      // Oldest first, so the index grows in time order.
      changed.sort((a, b) => a.stat.mtimeMs - b.stat.mtimeMs);
      await this.#indexAll(changed, progress, report);
    }
    this.#saveScan(signature, last.generation, this.#writes - writesBefore);
    return report;
  }

  /**
   * Brings the rows of these files (and the titles) up to date, and no others: what `list`
   * does for the files it shows, so that listing the newest sessions of a large home reads
   * only those.
   */
  async refreshFiles(paths: readonly string[]): Promise<RefreshReport> {
    const report: RefreshReport = { read: 0, grown: 0, dropped: 0, unchanged: 0, bytes: 0 };
    const changed: Seen[] = [];
    const rows = new Map<
      string,
      Pick<FileRow, "id" | "size" | "mtime_ms" | "ctime_ms" | "inode">
    >();
    const found = this.sql(
      "SELECT id, path, size, mtime_ms, ctime_ms, inode FROM files WHERE path IN (SELECT value FROM json_each(?))",
    ).all(JSON.stringify(paths)) as unknown as FileRow[];
    for (const row of found) rows.set(row.path, row);
    const gone: number[] = [];
    for (const path of paths) {
      const stat = statSession(path);
      if (stat === null) {
        // Archived or restored since the walk found it: its twin is read in its place.
        const row = rows.get(path);
        if (row !== undefined) gone.push(row.id);
        const twin = movedTo(path);
        if (twin !== null && !paths.includes(twin.path)) changed.push(twin);
        continue;
      }
      const row = rows.get(path);
      if (row !== undefined && upToDate(row, stat)) report.unchanged++;
      else changed.push({ path, stat });
    }
    if (gone.length > 0) {
      this.#write(() => {
        for (const id of gone) this.#drop(id);
      });
      report.dropped += gone.length;
    }
    if (!this.#namesUpToDate()) this.#write(() => this.#refreshNames());
    await this.#indexAll(changed, null, report);
    return report;
  }

  /**
   * A new row for a file (with its old id when it is read again), the rest filled later. A row
   * for a file that could not be read (`readAgain`) never matches the file's stats, so every
   * refresh tries it again.
   */
  #insertFile(
    path: string,
    stat: fs.Stats,
    row: { id: number | null; error: string | null; readAgain?: boolean },
  ): number {
    return Number(
      this.sql(
        "INSERT INTO files (id, machine, path, size, mtime_ms, ctime_ms, inode, sort_key, updated, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ).run(
        row.id,
        this.machine,
        path,
        stat.size,
        row.readAgain === true ? READ_AGAIN : stat.mtimeMs,
        stat.ctimeMs,
        inodeOf(stat),
        sortKey(path, stat),
        new Date(stat.mtimeMs).toISOString(),
        row.error,
      ).lastInsertRowid,
    );
  }

  /** Drops the rows of these files (deleted by `prune`), in one write. */
  forget(paths: readonly string[]): number {
    let dropped = 0;
    this.#write(() => {
      const idOf = this.sql("SELECT id FROM files WHERE path = ?");
      for (const path of paths) {
        const row = idOf.get(path) as { id: number } | undefined;
        if (row === undefined) continue;
        this.#drop(row.id);
        dropped++;
      }
    });
    return dropped;
  }

  /** Indexes `changed` in write transactions of a few MiB each. */
  async #indexAll(
    files: readonly Seen[],
    progress: ((read: number, total: number, lines: number) => void) | null,
    report: RefreshReport,
  ): Promise<void> {
    const changed = [...files];
    const queued = new Set(changed.map((file) => file.path));
    let total = changed.reduce((sum, f) => sum + f.stat.size, 0);
    let done = 0;
    let i = 0;
    while (i < changed.length) {
      let batchBytes = 0;
      let batchFiles = 0;
      await this.#writeAsync(async () => {
        while (i < changed.length && batchBytes < BATCH_BYTES && batchFiles < BATCH_FILES) {
          const file = changed[i++]!;
          const read = await this.#indexFile(file, (bytes) => {
            done += bytes;
            progress?.(done, total, 0);
          });
          if (read === "grown") report.grown++;
          else if (read === "read") report.read++;
          else if (read === "unchanged") report.unchanged++;
          else {
            report.dropped++;
            // Archived or restored while this refresh ran: the session is its twin now.
            const twin = movedTo(file.path);
            if (twin !== null && !queued.has(twin.path)) {
              queued.add(twin.path);
              changed.push(twin);
              total += twin.stat.size;
            }
          }
          batchBytes += file.stat.size;
          batchFiles++;
        }
      });
    }
    report.bytes = done;
  }

  /** Transactions this connection committed that wrote rows. */
  #writes = 0;

  /** Bumps the rows' generation: every transaction writing rows does, inside itself. */
  #bump(): void {
    this.sql(
      "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    ).run();
  }

  #write(work: () => void, how: { rows?: boolean } = {}): void {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      if (how.rows !== false) this.#bump();
      work();
      this.db.exec("COMMIT");
      if (how.rows !== false) this.#writes++;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  async #writeAsync(work: () => Promise<void>): Promise<void> {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      this.#bump();
      await work();
      this.db.exec("COMMIT");
      this.#writes++;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  #drop(fileId: number): void {
    this.sql("DELETE FROM entries_text WHERE rowid IN (SELECT id FROM entries WHERE file_id = ?)")
      .run(fileId);
    this.sql("DELETE FROM entries WHERE file_id = ?").run(fileId);
    this.sql("DELETE FROM usage WHERE file_id = ?").run(fileId);
    this.sql("DELETE FROM files WHERE id = ?").run(fileId);
  }

  /**
   * Indexes one file inside the current write transaction: read on from where the index
   * stopped when only lines were added, else from the start. Another process may have done it
   * meanwhile: its row is looked at again first.
   */
  async #indexFile(
    file: Seen,
    tick: (bytes: number) => void,
  ): Promise<"read" | "grown" | "unchanged" | "gone"> {
    const row = this.sql("SELECT * FROM files WHERE path = ?").get(file.path) as
      | FileRow
      | undefined;
    const stat = statSession(file.path);
    if (stat === null) {
      if (row !== undefined) this.#drop(row.id);
      return "gone";
    }
    if (row !== undefined && upToDate(row, stat)) return "unchanged";
    let from = 0;
    let state: ReadState | null = null;
    if (row !== undefined && canReadOn(row, stat)) {
      if (tailOf(file.path, row.indexed_bytes) === row.tail) {
        from = row.indexed_bytes;
        state = JSON.parse(row.state!) as ReadState;
      }
    }
    let fileId: number;
    if (row === undefined) {
      fileId = this.#insertFile(file.path, stat, { id: null, error: null });
    } else {
      fileId = row.id;
      if (from === 0) {
        this.sql(
          "DELETE FROM entries_text WHERE rowid IN (SELECT id FROM entries WHERE file_id = ?)",
        ).run(fileId);
        this.sql("DELETE FROM entries WHERE file_id = ?").run(fileId);
        this.sql("DELETE FROM usage WHERE file_id = ?").run(fileId);
      }
    }
    const insertEntry = this.sql(
      "INSERT INTO entries (file_id, session_id, item, line, time, role, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    const insertText = this.sql("INSERT INTO entries_text (rowid, text) VALUES (?, ?)");
    const insertUsage = this.sql(
      "INSERT OR REPLACE INTO usage (file_id, session_id, turn, time, model, input, cached_input, output, reasoning_output, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const pendingUsage: UsageTurn[] = [];
    const sink = {
      entry: (entry: FoundEntry) => {
        const rowId = insertEntry.run(
          fileId,
          entry.sessionId,
          entry.item,
          entry.line,
          entry.time,
          entry.role,
          entry.kind,
        ).lastInsertRowid;
        insertText.run(rowId, searchableText(entry.text));
      },
      usage: (turns: UsageTurn[]) => pendingUsage.push(...turns),
    };
    try {
      const end = await readRollout(file.path, from, state, sink, tick);
      const s = end.state;
      for (const turn of pendingUsage) {
        insertUsage.run(
          fileId,
          s.sessionId,
          turn.turn,
          turn.time,
          turn.model,
          turn.input,
          turn.cached_input,
          turn.output,
          turn.reasoning_output,
          turn.total,
        );
      }
      const lineFile = !end.compressed && !isDocument(s.format);
      this.sql(
        `UPDATE files SET session_id = ?, format = ?, compressed = ?, size = ?, mtime_ms = ?,
         ctime_ms = ?, inode = ?, sort_key = ?, indexed_bytes = ?, tail = ?, created = ?, updated = ?, cwd = ?, model = ?,
         forked_from = ?, items = ?, preview = ?, bytes_images = ?, bytes_tool_output = ?,
         bytes_compaction = ?, bytes_other = ?, error = NULL, state = ? WHERE id = ?`,
      ).run(
        s.sessionId,
        s.format,
        end.compressed ? 1 : 0,
        stat.size,
        stat.mtimeMs,
        stat.ctimeMs,
        inodeOf(stat),
        sortKey(file.path, stat),
        lineFile ? end.end : stat.size,
        lineFile ? tailOf(file.path, end.end) : null,
        s.created,
        new Date(stat.mtimeMs).toISOString(),
        s.cwd,
        s.model,
        s.forkedFrom,
        s.items,
        s.preview === null ? null : shorten(s.preview),
        s.bytes.images,
        s.bytes.tool_output,
        s.bytes.compaction,
        s.bytes.other,
        lineFile ? JSON.stringify(s) : null,
        fileId,
      );
      return from === 0 ? "read" : "grown";
    } catch (error) {
      // Gone while it was read (archived, restored or deleted meanwhile): no row.
      if (errnoOf(error) === "ENOENT" && statSession(file.path) === null) {
        this.#drop(fileId);
        return "gone";
      }
      // What the file holds is judged once per version of it; a failed system call (no
      // permission, an I/O error) is tried again by the next refresh that finds anything
      // changed in the home, its permissions included.
      const readAgain = !(error instanceof UnreadableRollout) && failedCall(error);
      const message = error instanceof UnreadableRollout
        ? whyUnreadable(file.path, error.message)
        : errnoOf(error) !== undefined
        ? `cannot be read: ${plainError(error)}`
        : null;
      if (message === null) throw error;
      this.#drop(fileId);
      this.#insertFile(file.path, stat, { id: fileId, error: message, readAgain });
      return "read";
    }
  }

  /** Where the last read of `<home>/session_index.jsonl` ended (null: never read). */
  #namesMark(): IndexPosition | null {
    const row = this.sql("SELECT value FROM meta WHERE key = 'names'").get() as
      | { value: string }
      | undefined;
    return row === undefined ? null : JSON.parse(row.value) as IndexPosition;
  }

  /** Whether `<home>/session_index.jsonl` is as it was when its names were last read. */
  #namesUpToDate(): boolean {
    const mark = this.#namesMark();
    if (mark === null) return false;
    // The same file and size, and the same bytes before its end (an editor rewrites in place);
    // or, read when there was none, still none.
    const file = sessionIndexPath(this.home);
    return endsAt(file, mark) || (mark.offset === 0 && !fs.existsSync(file));
  }

  /** Reads the names appended since the last time (all of them if the file was replaced). */
  #refreshNames(): void {
    if (this.#namesUpToDate()) return;
    const mark = this.#namesMark();
    const read = readThreadNames(this.home, mark ?? undefined);
    if (read.whole) {
      this.sql("DELETE FROM names").run();
      this.sql("DELETE FROM names_text").run();
    }
    for (const entry of read.names) {
      this.sql("DELETE FROM names_text WHERE session_id = ?").run(entry.id);
      this.sql("DELETE FROM names WHERE session_id = ?").run(entry.id);
      if (entry.name === null) continue;
      this.sql("INSERT INTO names (session_id, name, updated_at) VALUES (?, ?, ?)").run(
        entry.id,
        entry.name,
        entry.updated_at,
      );
      this.sql("INSERT INTO names_text (name, session_id) VALUES (?, ?)").run(
        searchableText(entry.name),
        entry.id,
      );
    }
    this.sql("INSERT OR REPLACE INTO meta (key, value) VALUES ('names', ?)").run(
      JSON.stringify(read.position),
    );
  }
}

/** The order `list` shows files in: the start time in the file name, else the mtime. */
export function sortKey(file: string, stat: fs.Stats): string {
  return `${nameStamp(nodePath.basename(file)) ?? stampOf(stat.mtimeMs)} ${file}`;
}

/** Why a file is no rollout, in the words `validate` and `list` use where they have some. */
export function whyUnreadable(file: string, found: string): string {
  // Damage to the compressed data says more than what its first line looks like.
  if (found.startsWith("it is not readable zstd")) return found;
  try {
    const head = readSessionHead(file);
    return head.ok ? found : head.message;
  } catch {
    return found;
  }
}

/** The `mtime_ms` of a row whose file could not be read: no file's stats match it. */
const READ_AGAIN = -1;

/**
 * Whether reading a file failed in a system call (no permission, an I/O error), directly or
 * wrapped by the loader (`io_error`), rather than on what the file holds.
 */
export function failedCall(error: unknown): boolean {
  return isSystemError(error) || errnoOf(error) === "io_error";
}

function upToDate(
  row: Pick<FileRow, "size" | "mtime_ms" | "ctime_ms" | "inode">,
  stat: fs.Stats,
): boolean {
  return row.mtime_ms !== READ_AGAIN && row.size === stat.size &&
    sameTime(row.mtime_ms, stat.mtimeMs, 1) && sameTime(row.ctime_ms, stat.ctimeMs, 1000) &&
    row.inode === inodeOf(stat);
}

/**
 * Whether only lines were added to the file since it was indexed: it grew. (One of the same
 * size with other times was touched, or edited in place: read again from its start.)
 */
function canReadOn(row: FileRow, stat: fs.Stats): boolean {
  return row.error === null && row.state !== null && row.compressed === 0 &&
    row.inode === inodeOf(stat) && stat.size > row.size && row.indexed_bytes > 0;
}

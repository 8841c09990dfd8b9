/**
 * `rollout sync --to URL` (SPEC §10): every session file of a home pushed to the fleet store,
 * record by record, with what the session index knows of it (meta, searchable text, usage,
 * byte kinds). Only what changed is read: a grown line file from where the last push stopped
 * (its last 64 bytes there must not have changed), anything else again from its start.
 *
 * Exactly once: a file's records go in transactions of about 8 MB, each also moving the file's
 * mark (bytes, records, reader state) in `rollout.sessions`; killed at any moment, the next run
 * reads on from the last mark committed, so no record is missing or there twice. One sync per
 * machine at a time (a session advisory lock on a connection of its own).
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReservedSql, Sql, TransactionSql } from "postgres";
import type { BadLineReason } from "../base/mod.ts";
import { errnoOf, isDocument, plainError } from "../schemas/mod.ts";
import { collectIfAbove } from "../runtime/mod.ts";
import {
  findSessionFiles,
  type IndexPosition,
  isLink,
  isRolloutName,
  nameStamp,
  readThreadNames,
  shorten,
  type SkippedFolder,
  stampOf,
  statSession,
} from "../session/mod.ts";
import {
  failedCall,
  type FoundEntry,
  inodeOf,
  type ReadEnd,
  readRollout,
  type ReadState,
  sortKey,
  tailOf,
  UnreadableRollout,
  type UsageTurn,
  whyUnreadable,
} from "../index/mod.ts";
import { type RedactionCounts, redactJsonText, redactText } from "../redaction/mod.ts";
import type { Fleet } from "./connect.ts";
import { FleetError } from "./errors.ts";
import { ensureMonth, forgetMonths, monthOf } from "./schema.ts";
import { tsvectorOf } from "./words.ts";

/** Bytes of rows gathered before they are committed with the file's new mark. */
const COMMIT_BYTES = 8 * 1024 * 1024;
/** Files whose marks one transaction holds at most (small sessions go many to a commit). */
const MAX_FILES = 1000;
/** Rows one multi-row INSERT sends (session rows, usage turns). */
const ROWS_PER_INSERT = 1000;
/** Memory over the start let grow before a commit is followed by a collection (SPEC §7). */
const SLACK_BYTES = 48 * 1024 * 1024;
/** Searchable text kept per record: PostgreSQL's tsvector holds at most 1 MB. */
export const MAX_BODY_CHARS = 256 * 1024;

/** What one sync did. */
export interface SyncReport {
  /** Files read from their start. */
  read: number;
  /** Files read on from where the last push stopped. */
  grown: number;
  unchanged: number;
  /** Files found no rollout by this sync (their rows say why). */
  unreadable: number;
  /** Those files, and why. */
  unreadable_files: { path: string; message: string }[];
  /** Records written. */
  records: number;
  /** Bytes of the files read. */
  bytes: number;
  /** Secrets replaced before they left the machine (`--redact`), by rule. */
  redacted: RedactionCounts;
  /** Folders under sessions/ that could not be read: their sessions were not pushed. */
  skipped_folders: SkippedFolder[];
}

/** How a home is synced. */
export interface SyncOptions {
  home: string;
  machine: string;
  redact: boolean;
  /** Told the bytes read so far of the bytes to read, as files are read. */
  progress?: (read: number, total: number) => void;
}

/** A row of `rollout.sessions` as the sync compares it with the file. */
interface SessionRow {
  id: number;
  path: string;
  month: string;
  size: number;
  mtime_ms: number;
  inode: string;
  synced_bytes: number;
  records: number;
  tail: string | null;
  compressed: boolean;
  redacted: boolean;
  error: string | null;
}

interface Seen {
  /** The path the session is known by: a `.jsonl.zst` under its `.jsonl` name. */
  path: string;
  /** The file on disk. */
  file: string;
  stat: fs.Stats;
}

/** The value of a column in COPY's text format. */
function cell(value: string | number | null): string {
  if (value === null) return "\\N";
  if (typeof value === "number") return String(value);
  return value.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]!);
}
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** A file system's error (not the database's), by its code. */
function fileErrno(error: unknown): string | undefined {
  const code = errnoOf(error);
  return code !== undefined && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * A time as PostgreSQL takes it: an ISO string the file gave, or null for a text that is no
 * time (the record keeps it as it was).
 */
function timeOf(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** PostgreSQL text holds no NUL character. */
function withoutNul(text: string): string {
  return text.includes("\0") ? text.replaceAll("\0", "\uFFFD") : text;
}

/** The name a session is known by in the store: its `.jsonl` name when it is archived. */
export function logicalPath(file: string): string {
  return file.endsWith(".jsonl.zst") ? file.slice(0, -4) : file;
}

/** Syncs homes into one fleet store for one machine. */
export class FleetSync {
  readonly #fleet: Fleet;
  readonly #options: SyncOptions;
  #lock: ReservedSql | null = null;
  #counts: RedactionCounts = {};
  #read = 0;
  #total = 0;
  /** What the next transaction writes: rows and marks of any number of files. */
  readonly batch = new Batch();

  constructor(fleet: Fleet, options: SyncOptions) {
    this.#fleet = fleet;
    this.#options = options;
  }

  get #sql(): Sql {
    return this.#fleet.sql;
  }

  /**
   * Takes the machine's sync lock (another `rollout sync` of the same machine name holds it:
   * an error naming it), on a connection of its own that holds it until {@linkcode release}.
   */
  async acquire(): Promise<void> {
    if (this.#lock !== null) return;
    const lock = await this.#sql.reserve();
    const key = `rollout sync ${this.#options.machine}`;
    const [row] = await lock`SELECT pg_try_advisory_lock(hashtext(${key})) AS got`;
    if (!row!.got) {
      lock.release();
      throw new FleetError(
        `another rollout sync for machine "${this.#options.machine}" is running against this database; wait for it or give another --machine`,
      );
    }
    this.#lock = lock;
  }

  /** Gives the lock back (also when its connection was lost: the server dropped it then). */
  async release(): Promise<void> {
    const lock = this.#lock;
    this.#lock = null;
    if (lock === null) return;
    try {
      await lock`SELECT pg_advisory_unlock_all()`;
    } catch {
      // The connection is gone, and the lock with it.
    } finally {
      lock.release();
    }
  }

  /** Whether the lock's connection is still there (a restarted server dropped it). */
  async holdsLock(): Promise<boolean> {
    if (this.#lock === null) return false;
    try {
      await this.#lock`SELECT 1`;
      return true;
    } catch {
      this.#lock.release();
      this.#lock = null;
      return false;
    }
  }

  /** Brings the store up to date with every session file of the home. */
  async syncAll(): Promise<SyncReport> {
    await this.acquire();
    const report = emptyReport();
    const rows = await this.#rows();
    const seen = this.#scan(report.skipped_folders);
    this.#read = 0;
    this.#total = 0;
    for (const file of seen) {
      const row = rows.get(file.path);
      if (row === undefined || !upToDate(row, file.stat, file.file !== file.path)) {
        this.#total += file.stat.size - (row?.synced_bytes ?? 0);
      }
    }
    await this.#insertRows(seen.filter((file) => !rows.has(file.path)), rows);
    for (const file of seen) {
      await this.#syncOne(file, rows.get(file.path), report);
    }
    await this.flush();
    await this.#syncNames();
    await this
      .#sql`INSERT INTO rollout.machines (machine, synced_at) VALUES (${this.#options.machine}, now())
      ON CONFLICT (machine) DO UPDATE SET synced_at = now()`;
    report.redacted = this.#takeCounts();
    return report;
  }

  /** Brings the store up to date with the files named (a watcher saw them change). */
  async syncFiles(paths: Iterable<string>): Promise<SyncReport> {
    await this.acquire();
    const report = emptyReport();
    for (const file of paths) {
      const seen = this.#seenOne(file);
      if (seen === null) continue;
      const [row] = await this.#sql<SessionRow[]>`${this.#rowColumns()}
        WHERE machine = ${this.#options.machine} AND path = ${seen.path}`;
      await this.#syncOne(seen, row === undefined ? undefined : numbers(row), report);
    }
    await this.flush();
    await this.#syncNames();
    report.redacted = this.#takeCounts();
    return report;
  }

  #takeCounts(): RedactionCounts {
    const counts = this.#counts;
    this.#counts = {};
    return counts;
  }

  #rowColumns() {
    return this.#sql`SELECT id, path, to_char(month, 'YYYY-MM-DD') AS month, size, mtime_ms,
      inode, synced_bytes, records, tail, compressed, redacted, error FROM rollout.sessions`;
  }

  async #rows(): Promise<Map<string, SessionRow>> {
    const rows = new Map<string, SessionRow>();
    const found = await this.#sql<SessionRow[]>`${this.#rowColumns()}
      WHERE machine = ${this.#options.machine}`;
    for (const row of found) rows.set(row.path, numbers(row));
    return rows;
  }

  /** The session files of the home, oldest first; a `.jsonl.zst` beside its `.jsonl` once. */
  #scan(skipped: SkippedFolder[]): Seen[] {
    const seen: Seen[] = [];
    for (const file of findSessionFiles(this.#options.home, { once: true, skipped })) {
      const one = this.#stat(file.path);
      if (one !== null) seen.push(one);
    }
    return seen.sort((a, b) => a.stat.mtimeMs - b.stat.mtimeMs);
  }

  /**
   * What `file` is now, or null when it is gone or a folder. A link to nothing (or in a loop)
   * and a FIFO or device are kept, so that reading them says why they cannot be read.
   */
  #stat(file: string): Seen | null {
    const stat = statSession(file);
    return stat === null || stat.isDirectory() ? null : { path: logicalPath(file), file, stat };
  }

  /** The file a changed path stands for now: itself, or its archive (never a lock, a temporary file or a kept original). */
  #seenOne(path: string): Seen | null {
    if (!isRolloutName(nodePath.basename(path))) return null;
    const plain = logicalPath(path);
    return this.#stat(plain) ?? this.#stat(`${plain}.zst`);
  }

  async #syncOne(seen: Seen, row: SessionRow | undefined, report: SyncReport): Promise<void> {
    try {
      const done = await this.#syncFile(seen, row);
      report[done.outcome]++;
      if (done.message !== undefined) {
        report.unreadable_files.push({ path: seen.file, message: done.message });
      }
      report.records += done.records;
      report.bytes += done.bytes;
    } catch (error) {
      if (fileErrno(error) === "ENOENT") return;
      throw error;
    }
  }

  async #syncFile(
    seen: Seen,
    row: SessionRow | undefined,
  ): Promise<
    {
      outcome: "read" | "grown" | "unchanged" | "unreadable";
      records: number;
      bytes: number;
      message?: string;
    }
  > {
    const { stat } = seen;
    const redact = this.#options.redact;
    const compressed = seen.file !== seen.path;
    if (row !== undefined && row.redacted === redact && upToDate(row, stat, compressed)) {
      return { outcome: "unchanged", records: 0, bytes: 0 };
    }
    // Where to read from: on from the mark when only lines were added (or, for an archive
    // whose push was cut short, its records already there are passed over); else from 0.
    let from = 0;
    let state: ReadState | null = null;
    let skip = 0;
    let fresh = true;
    if (row !== undefined && row.redacted === redact && row.error === null && row.records > 0) {
      if (
        !compressed && canReadOn(row, stat) && tailMark(seen.file, row.synced_bytes) === row.tail
      ) {
        const [saved] = await this.#sql`SELECT state FROM rollout.sessions WHERE id = ${row.id}`;
        if (saved?.state !== null && saved?.state !== undefined) {
          from = row.synced_bytes;
          state = saved.state as ReadState;
          fresh = false;
        }
      } else if (compressed && row.compressed && row.mtime_ms < 0 && row.inode === inodeOf(stat)) {
        skip = row.records;
        fresh = false;
      }
    }
    const id = row?.id ?? await this.#insertRow(seen);
    const month = row?.month ?? monthOf(sortTime(seen));
    await ensureMonth(this.#sql, month);
    const push = new FilePush(this, { id, month, seen, skip, records: row?.records ?? 0, fresh });
    const start = this.batch.fileStart(id, fresh ? month : null);
    try {
      const end = await readRollout(seen.file, from, state, push.sink(), (bytes) => {
        this.#read += bytes;
        this.#options.progress?.(this.#read, Math.max(this.#total, this.#read));
      });
      if (isDocument(end.state.format)) push.document(fs.readFileSync(seen.file, "utf8"));
      push.stage(end, true);
      await this.step();
      return { outcome: fresh ? "read" : "grown", records: push.written, bytes: stat.size - from };
    } catch (error) {
      // A failed system call (no permission, an I/O error) is tried again by every pass, even
      // if the file's stats stay the same (a chmod): its row is kept out of date.
      // (A file gone meanwhile is no failure; a link to nothing is one.)
      const again = !(error instanceof UnreadableRollout) && failedCall(error) &&
        (fileErrno(error) !== "ENOENT" || isLink(seen.file));
      const message = error instanceof UnreadableRollout
        ? whyUnreadable(seen.file, error.message)
        : again
        ? `cannot be read: ${plainError(error)}`
        : null;
      if (message === null) throw error;
      // The same failure as last time: nothing to write, nothing new to report.
      if (again && row !== undefined && row.mtime_ms === -1 && row.error === message) {
        this.batch.dropFile(start);
        return { outcome: "unchanged", records: 0, bytes: 0 };
      }
      // What this file put in the batch goes; its rows (any committed before) are deleted and
      // the reason kept, in the same transaction as the rest of the batch.
      this.batch.dropFile(start);
      this.batch.mark(
        id,
        month,
        true,
        (tx) =>
          tx`UPDATE rollout.sessions SET error = ${message}, size = ${stat.size},
          mtime_ms = ${again ? -1 : stat.mtimeMs}, inode = ${inodeOf(stat)},
          synced_bytes = 0, records = 0,
          tail = NULL, state = NULL, compressed = ${compressed}, redacted = ${redact},
          synced_at = now() WHERE id = ${id}`,
      );
      if (this.batch.full()) await this.flush();
      return { outcome: "unreadable", records: 0, bytes: stat.size, message };
    }
  }

  /** Rows for the files seen for the first time, many to a statement; `rows` gets them. */
  async #insertRows(files: readonly Seen[], rows: Map<string, SessionRow>): Promise<void> {
    for (let at = 0; at < files.length; at += ROWS_PER_INSERT) {
      const values = files.slice(at, at + ROWS_PER_INSERT).map((seen) => ({
        machine: this.#options.machine,
        path: seen.path,
        month: monthOf(sortTime(seen)),
        sort_key: listKey(this.#options.home, seen),
        mtime_ms: -1,
      }));
      const made = await this.#sql<SessionRow[]>`INSERT INTO rollout.sessions
        ${this.#sql(values, "machine", "path", "month", "sort_key", "mtime_ms")}
        ON CONFLICT (machine, path) DO UPDATE SET mtime_ms = -1
        RETURNING id, path, to_char(month, 'YYYY-MM-DD') AS month, size, mtime_ms, inode,
          synced_bytes, records, tail, compressed, redacted, error`;
      for (const row of made) rows.set(row.path, numbers(row));
    }
  }

  /** The commit of the last batch while the next is read (at most one in flight). */
  #inFlight: Promise<void> | null = null;

  /**
   * After a mark is staged, and between two reads of a file: a full batch starts its commit
   * (returning once the one before it has ended, so that the database writes a batch while
   * this process reads the next; {@linkcode flush} waits for both); otherwise a commit under
   * way is let send its rows, which flow when the event loop turns.
   */
  async step(): Promise<void> {
    if (!this.batch.full()) {
      if (this.#inFlight !== null) await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    const before = this.#inFlight;
    this.#inFlight = null;
    await before;
    const commit = this.#commit();
    commit.catch(() => {}); // Said when awaited.
    this.#inFlight = commit;
  }

  /** Commits the batch, after the one in flight: every file's rows with its mark. */
  async flush(): Promise<void> {
    const before = this.#inFlight;
    this.#inFlight = null;
    await before;
    await this.#commit();
  }

  async #commit(): Promise<void> {
    await this.batch.commit(this.#sql, async (months) => {
      // A month's partition dropped while this process knew it (a team's retention under a
      // long --watch): made again before the batch is tried once more.
      forgetMonths(this.#sql);
      for (const month of months) await ensureMonth(this.#sql, month);
    });
    // What was just sent is garbage now: lines, their escaped copies, the texts' words.
    collectIfAbove(SLACK_BYTES);
  }

  /** The row of one file seen for the first time (a watcher's change). */
  async #insertRow(seen: Seen): Promise<number> {
    const rows = new Map<string, SessionRow>();
    await this.#insertRows([seen], rows);
    return rows.get(seen.path)!.id;
  }

  /** Pushes the titles of `<home>/session_index.jsonl` added since the last time. */
  async #syncNames(): Promise<void> {
    const machine = this.#options.machine;
    const [row] = await this
      .#sql`SELECT names_mark FROM rollout.machines WHERE machine = ${machine}`;
    const saved = (row?.names_mark ?? undefined) as
      | (IndexPosition & { redacted?: boolean })
      | undefined;
    // Titles pushed with the other --redact setting are all pushed again.
    const mark = saved?.redacted === this.#options.redact ? saved : undefined;
    const read = readThreadNames(this.#options.home, mark);
    const same = mark !== undefined && mark.ino === read.position.ino &&
      mark.offset === read.position.offset;
    if (same && read.names.length === 0) return;
    await this.#sql.begin(async (tx) => {
      if (read.whole) await tx`DELETE FROM rollout.names WHERE machine = ${machine}`;
      for (const entry of read.names) {
        await tx`DELETE FROM rollout.names WHERE machine = ${machine} AND session_id = ${entry.id}`;
        if (entry.name === null) continue;
        const name = this.#options.redact ? redactText(entry.name, this.#counts) : entry.name;
        await tx`INSERT INTO rollout.names (machine, session_id, name, updated_at)
          VALUES (${machine}, ${entry.id}, ${name}, ${entry.updated_at})`;
      }
      await tx`INSERT INTO rollout.machines (machine, names_mark) VALUES (${machine}, ${
        tx.json({ ...read.position, redacted: this.#options.redact } as never)
      })
        ON CONFLICT (machine) DO UPDATE SET names_mark = EXCLUDED.names_mark`;
    });
  }

  /** The sql pool, for {@linkcode FilePush}. */
  get sql(): Sql {
    return this.#sql;
  }

  /**
   * Applies `--redact` to a line of JSON text, or a text. What is replaced is counted for the
   * records themselves (and titles); a text taken from a record (its searchable text, the
   * first message) is `derived` and not counted again.
   */
  clean(text: string, json: boolean, derived = false): string {
    if (!this.#options.redact) return text;
    const counts = derived ? {} : this.#counts;
    return json ? redactJsonText(text, counts) : redactText(text, counts);
  }

  get redact(): boolean {
    return this.#options.redact;
  }
}

function emptyReport(): SyncReport {
  return {
    read: 0,
    grown: 0,
    unchanged: 0,
    unreadable: 0,
    records: 0,
    bytes: 0,
    redacted: {},
    skipped_folders: [],
    unreadable_files: [],
  };
}

/** Bigints and numeric strings of a row as numbers. */
function numbers(row: SessionRow): SessionRow {
  return {
    ...row,
    id: Number(row.id),
    size: Number(row.size),
    mtime_ms: Number(row.mtime_ms),
    synced_bytes: Number(row.synced_bytes),
    records: Number(row.records),
  };
}

/**
 * The order `list` shows sessions in, newest first when sorted down, as a home is walked: the
 * dated folder (`YYYY/MM/DD`), then the start in the name (else the mtime), then the name.
 * A file outside the dated folders counts as in the folder of that time.
 */
function listKey(home: string, seen: Seen): string {
  const root = `${home.replace(/\/+$/, "")}/sessions/`;
  const name = nodePath.basename(seen.path);
  const stamp = nameStamp(name) ?? stampOf(seen.stat.mtimeMs);
  const under = seen.path.startsWith(root) ? seen.path.slice(root.length) : "";
  const dated = /^(\d{4}\/\d\d\/\d\d)\/[^/]+$/.exec(under);
  const folder = dated?.[1] ?? stamp.slice(0, 10).replaceAll("-", "/");
  return `${folder} ${stamp} ${name}`;
}

/** The time a session is filed under: the start in its name, else its file's mtime. */
function sortTime(seen: Seen): string {
  const key = sortKey(seen.path, seen.stat).split(" ")[0]!;
  const stamp = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)/.exec(key);
  return stamp === null
    ? new Date(seen.stat.mtimeMs).toISOString()
    : `${stamp[1]}T${stamp[2]}:${stamp[3]}:${stamp[4]}Z`;
}

function upToDate(row: SessionRow, stat: fs.Stats, compressed: boolean): boolean {
  return row.mtime_ms >= 0 && row.size === stat.size && row.mtime_ms === stat.mtimeMs &&
    row.inode === inodeOf(stat) && row.compressed === compressed;
}

/**
 * The mark of a file's last bytes before `end` (unchanged: only lines were added): a digest,
 * so that no text of the file leaves the machine in it unredacted.
 */
function tailMark(file: string, end: number): string | null {
  const tail = tailOf(file, end);
  return tail === null ? null : createHash("sha256").update(tail).digest("hex");
}

/** Whether only lines were added to the file since its last mark. */
function canReadOn(row: SessionRow, stat: fs.Stats): boolean {
  return !row.compressed && row.inode === inodeOf(stat) && stat.size >= row.synced_bytes &&
    row.synced_bytes > 0;
}

/** What the damaged line of a record was (raw is null then). */
type Damage = BadLineReason | "nul";

/** One file's push: rows gathered from the reader, committed with the file's mark. */
class FilePush {
  readonly #sync: FleetSync;
  readonly #id: number;
  readonly #month: string;
  readonly #seen: Seen;
  /** Records already in the store from an earlier, cut-short push (passed over). */
  readonly #skip: number;
  /** The records the store holds for the file, as of the last mark staged. */
  #records: number;
  #entry: FoundEntry | null = null;
  #documentItems: FoundEntry[] = [];
  written = 0;

  constructor(
    sync: FleetSync,
    file: { id: number; month: string; seen: Seen; skip: number; records: number; fresh: boolean },
  ) {
    this.#sync = sync;
    this.#id = file.id;
    this.#month = file.month;
    this.#seen = file.seen;
    this.#skip = file.skip;
    this.#records = file.fresh ? 0 : file.records;
  }

  sink() {
    return {
      entry: (entry: FoundEntry) => {
        if (entry.line === null) this.#documentItems.push(entry);
        else this.#entry = entry;
      },
      usage: (turns: UsageTurn[]) => this.#sync.batch.addUsage(this.#id, turns),
      record: (line: number, text: string | null, damage: BadLineReason | null) => {
        const entry = this.#entry?.line === line ? this.#entry : null;
        this.#entry = null;
        if (line <= this.#skip) return;
        let raw = text;
        let why: Damage | null = damage;
        if (raw !== null && raw.includes("\0")) {
          raw = null;
          why = "nul";
        }
        this.#row(line, raw === null ? null : this.#sync.clean(raw, true), why, entry);
      },
      between: async (mark: ReadEnd) => {
        // A full batch goes with the file's mark as read so far.
        if (this.#sync.batch.full()) this.stage(mark, false);
        await this.#sync.step();
      },
    };
  }

  #row(line: number, raw: string | null, damage: Damage | null, entry: FoundEntry | null): void {
    let body: string | null = null;
    if (entry !== null) {
      body = this.#sync.clean(withoutNul(entry.text), false, true);
      if (body.length > MAX_BODY_CHARS) body = body.slice(0, MAX_BODY_CHARS);
    }
    const text = `${this.#id}\t${this.#month}\t${line}\t${cell(raw)}\t${cell(damage)}\t${
      cell(entry?.item ?? null)
    }\t${cell(timeOf(entry?.time))}\t${cell(entry?.role ?? null)}\t${cell(entry?.kind ?? null)}\t${
      cell(body)
    }\t${cell(body === null ? null : tsvectorOf(body))}\n`;
    this.#sync.batch.addRow(Buffer.from(text));
    this.written++;
  }

  /** A document: its whole text as record 0, its items as records 1..n (search only). */
  document(text: string): void {
    this.#row(0, this.#sync.clean(withoutNul(text), true), null, null);
    for (const entry of this.#documentItems) {
      this.#row(entry.item, null, null, { ...entry, line: entry.item });
    }
  }

  /**
   * Stages the file's mark `end` in the batch, to be committed with the rows read up to it;
   * the `last` mark also records the file's time, so that it counts as up to date (until then
   * its `mtime_ms` is -1).
   */
  stage(end: ReadEnd, last: boolean): void {
    const s = end.state;
    const lines = Math.max(s.lines, this.#records);
    const seen = this.#seen;
    const stat = seen.stat;
    const compressed = seen.file !== seen.path;
    const lineFile = !compressed && !isDocument(s.format);
    const id = this.#id;
    const redacted = this.#sync.redact;
    // Under --redact, the reader's state keeps the first message as it leaves the machine too.
    const preview = s.preview === null ? null : this.#sync.clean(s.preview, false, true);
    const tail = lineFile ? tailMark(seen.file, end.end) : null;
    const state = lineFile ? { ...s, preview } : null;
    this.#sync.batch.mark(
      id,
      this.#month,
      false,
      (tx) =>
        tx`UPDATE rollout.sessions SET session_id = ${s.sessionId}, format = ${s.format},
        compressed = ${compressed}, redacted = ${redacted},
        size = ${stat.size}, mtime_ms = ${last ? stat.mtimeMs : -1}, inode = ${inodeOf(stat)},
        synced_bytes = ${end.end}, records = ${lines}, tail = ${tail},
        state = ${state === null ? null : tx.json(state as never)},
        created = ${s.created}, updated = ${new Date(stat.mtimeMs).toISOString()},
        cwd = ${s.cwd}, model = ${s.model}, forked_from = ${s.forkedFrom}, items = ${s.items},
        preview = ${preview === null ? null : shorten(preview)},
        bytes_images = ${s.bytes.images}, bytes_tool_output = ${s.bytes.tool_output},
        bytes_compaction = ${s.bytes.compaction}, bytes_other = ${s.bytes.other},
        error = NULL, synced_at = now() WHERE id = ${id}`,
    );
    this.#records = lines;
  }
}

/** Where a file's part of a batch begins. */
interface FileStart {
  rows: number;
  usage: number;
  id: number;
  /** The batch it began in. */
  batch: number;
}

/** One staged statement of a batch, run in its transaction. */
type Staged = (tx: TransactionSql) => Promise<unknown>;

/**
 * What one transaction writes: the rows of any number of files (one COPY), their usage, the
 * files whose old rows go first, and each file's mark. A file's rows and its mark always go
 * together, so that a sync killed at any moment leaves marks that say exactly what is stored.
 */
class Batch {
  #rows: Uint8Array[] = [];
  #bytes = 0;
  #usage: Array<Record<string, unknown>> = [];
  /** Files whose rows are deleted before this batch's rows go in, by month. */
  #deletes = new Map<number, string>();
  /** The newest mark of each file (a later one replaces an earlier). */
  #marks = new Map<number, Staged>();
  /** The months of the files in the batch. */
  #months = new Set<string>();
  /** Counts the batches committed (which one a file's start is in). */
  #number = 0;

  /** Whether the batch should be committed now. */
  full(): boolean {
    return this.#bytes >= COMMIT_BYTES || this.#marks.size >= MAX_FILES;
  }

  /**
   * Where a file's part of the batch begins; `freshMonth` (a file read from its start): its
   * old rows are deleted first.
   */
  fileStart(id: number, freshMonth: string | null): FileStart {
    if (freshMonth !== null) this.#deletes.set(id, freshMonth);
    return { rows: this.#rows.length, usage: this.#usage.length, id, batch: this.#number };
  }

  /**
   * Takes back what a file put in the batch since `start` (it turned out unreadable): all of
   * this batch when an earlier one was committed since (files are read one at a time).
   */
  dropFile(start: FileStart): void {
    const same = start.batch === this.#number;
    for (const row of this.#rows.splice(same ? start.rows : 0)) this.#bytes -= row.length;
    this.#usage.splice(same ? start.usage : 0);
    this.#marks.delete(start.id);
  }

  addRow(row: Uint8Array): void {
    this.#rows.push(row);
    this.#bytes += row.length;
  }

  addUsage(id: number, turns: readonly UsageTurn[]): void {
    for (const turn of turns) {
      this.#usage.push({
        session: id,
        turn: turn.turn,
        time: timeOf(turn.time),
        model: turn.model,
        input: turn.input,
        cached_input: turn.cached_input,
        output: turn.output,
        reasoning_output: turn.reasoning_output,
        total: turn.total,
      });
    }
  }

  /** Stages a file's mark; `deleteFirst`: its rows go first (in this batch). */
  mark(id: number, month: string, deleteFirst: boolean, statement: Staged): void {
    if (deleteFirst) this.#deletes.set(id, month);
    this.#months.add(month);
    this.#marks.set(id, statement);
  }

  /**
   * Writes the batch in one transaction, then empties it. When a month's partition turns out
   * missing (dropped meanwhile), `remake` makes the batch's months again and it is tried once
   * more.
   */
  async commit(sql: Sql, remake: (months: string[]) => Promise<void>): Promise<void> {
    if (this.#marks.size === 0 && this.#rows.length === 0 && this.#deletes.size === 0) return;
    const rows = this.#rows;
    const usage = this.#usage;
    const deletes = this.#deletes;
    const marks = [...this.#marks.values()];
    const months = [...this.#months];
    this.#rows = [];
    this.#bytes = 0;
    this.#usage = [];
    this.#deletes = new Map();
    this.#marks = new Map();
    this.#months = new Set();
    this.#number++;
    try {
      await Batch.#write(sql, { rows, usage, deletes, marks });
    } catch (error) {
      if (errnoOf(error) !== "23514") throw error;
      await remake(months);
      await Batch.#write(sql, { rows, usage, deletes, marks });
    }
  }

  static async #write(
    sql: Sql,
    batch: {
      rows: Uint8Array[];
      usage: Array<Record<string, unknown>>;
      deletes: Map<number, string>;
      marks: Staged[];
    },
  ): Promise<void> {
    const { rows, usage, deletes, marks } = batch;
    await sql.begin(async (tx: TransactionSql) => {
      const byMonth = new Map<string, number[]>();
      for (const [id, month] of deletes) {
        const ids = byMonth.get(month);
        if (ids === undefined) byMonth.set(month, [id]);
        else ids.push(id);
      }
      for (const [month, ids] of byMonth) {
        await tx`DELETE FROM rollout.records WHERE month = ${month} AND session = ANY(${ids}::bigint[])`;
      }
      if (deletes.size > 0) {
        await tx`DELETE FROM rollout.usage WHERE session = ANY(${[...deletes.keys()]}::bigint[])`;
      }
      if (rows.length > 0) {
        const copy =
          await tx`COPY rollout.records (session, month, line, raw, damage, item, time, role, kind, body, words) FROM STDIN`
            .writable();
        await pipeline(Readable.from(rows), copy);
      }
      for (let at = 0; at < usage.length; at += ROWS_PER_INSERT) {
        const part = usage.slice(at, at + ROWS_PER_INSERT);
        await tx`INSERT INTO rollout.usage ${
          tx(part as never)
        } ON CONFLICT (session, turn) DO NOTHING`;
      }
      // The marks are sent together (one round trip for all of them).
      await Promise.all(marks.map((statement) => statement(tx)));
    });
  }
}

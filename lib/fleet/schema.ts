/**
 * The fleet store's tables (SPEC §10), created and migrated by `rollout` itself: versioned,
 * forward only, and safe when several machines start at once (one advisory lock serialises
 * the migrations; each runs in its own transaction).
 */
import type { Sql } from "postgres";
import { FleetError } from "./errors.ts";

/**
 * The newest schema this `rollout` knows. A database at a higher version is used as it is when
 * that version says this one can still use it (it only added what this one need not know of,
 * such as an index), else refused.
 */
export const FLEET_SCHEMA_VERSION = 2;

/**
 * The oldest schema the reading commands (`--from`) work with: later migrations only added
 * indexes, so a store not yet migrated by its admin is still read (more slowly).
 */
const READABLE_FROM = 1;

/** The key of the advisory lock every migration and partition creation holds. */
const LOCK = 0x726f6c6c; // "roll"

/**
 * Each migration in order; migration N takes the schema from version N - 1 to N, and the
 * oldest version whose `rollout` can still read and write the tables after it is recorded
 * with it (`usable_from`). Never edit one that has shipped: add the next.
 */
const MIGRATIONS: readonly { usableFrom: number; sql: string }[] = [{
  usableFrom: 1,
  sql: `
  CREATE TABLE rollout.machines (
    machine text PRIMARY KEY,
    names_mark jsonb,
    synced_at timestamptz
  );
  CREATE TABLE rollout.sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    machine text NOT NULL,
    path text NOT NULL,
    month date NOT NULL,
    session_id text,
    format text,
    compressed boolean NOT NULL DEFAULT false,
    redacted boolean NOT NULL DEFAULT false,
    size bigint NOT NULL DEFAULT 0,
    mtime_ms double precision NOT NULL DEFAULT 0,
    inode text NOT NULL DEFAULT '',
    sort_key text NOT NULL,
    synced_bytes bigint NOT NULL DEFAULT 0,
    records bigint NOT NULL DEFAULT 0,
    tail text,
    state jsonb,
    created text,
    updated timestamptz,
    cwd text,
    model text,
    forked_from text,
    items integer NOT NULL DEFAULT 0,
    preview text,
    bytes_images bigint NOT NULL DEFAULT 0,
    bytes_tool_output bigint NOT NULL DEFAULT 0,
    bytes_compaction bigint NOT NULL DEFAULT 0,
    bytes_other bigint NOT NULL DEFAULT 0,
    error text,
    synced_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (machine, path)
  );
  CREATE INDEX sessions_session_id ON rollout.sessions (session_id);
  CREATE INDEX sessions_order ON rollout.sessions (sort_key);
  CREATE INDEX sessions_month ON rollout.sessions (month);
  CREATE TABLE rollout.records (
    session bigint NOT NULL,
    month date NOT NULL,
    line integer NOT NULL,
    raw text,
    damage text,
    item integer,
    time timestamptz,
    role text,
    kind text,
    body text,
    words tsvector,
    PRIMARY KEY (month, session, line)
  ) PARTITION BY RANGE (month);
  CREATE INDEX records_words ON rollout.records USING gin (words);
  CREATE INDEX records_time ON rollout.records (time);
  CREATE TABLE rollout.usage (
    session bigint NOT NULL REFERENCES rollout.sessions (id) ON DELETE CASCADE,
    turn integer NOT NULL,
    time timestamptz,
    model text,
    input bigint NOT NULL,
    cached_input bigint NOT NULL,
    output bigint NOT NULL,
    reasoning_output bigint NOT NULL,
    total bigint NOT NULL,
    PRIMARY KEY (session, turn)
  );
  -- Writers add a month's partition through this function, with the rights of the role that
  -- migrated (only a table's owner may add partitions to it).
  CREATE FUNCTION rollout.ensure_month(first date) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
  DECLARE
    name text := 'records_' || to_char(first, 'YYYY_MM');
  BEGIN
    IF first <> date_trunc('month', first)::date THEN
      RAISE EXCEPTION 'not the first day of a month: %', first;
    END IF;
    PERFORM pg_advisory_xact_lock(${LOCK});
    IF to_regclass('rollout.' || quote_ident(name)) IS NULL THEN
      EXECUTE format('CREATE TABLE rollout.%I PARTITION OF rollout.records FOR VALUES FROM (%L) TO (%L)',
        name, first, (first + interval '1 month')::date);
    END IF;
  END
  $fn$;
  CREATE TABLE rollout.names (
    machine text NOT NULL,
    session_id text NOT NULL,
    name text NOT NULL,
    updated_at timestamptz,
    PRIMARY KEY (machine, session_id)
  );
  `,
}, {
  // 2: search walks a month's records newest first through one index in the order it pages
  // (a common word fills a page from the newest rows, the newest row of a month bounds what
  // an older month can add); the unreadable files are found without reading every session.
  // Indexes only: a rollout of version 1 still reads and writes the tables.
  usableFrom: 1,
  sql: `
  DROP INDEX rollout.records_time;
  CREATE INDEX records_recent ON rollout.records (time DESC NULLS LAST, session DESC, line DESC);
  CREATE INDEX sessions_unreadable ON rollout.sessions (sort_key) WHERE error IS NOT NULL;
  `,
}];

/** A store's schema version and the oldest version whose `rollout` can use it. */
interface SchemaVersion {
  version: number;
  usableFrom: number;
}

/** The schema's version: 0 when there are no tables yet (one round trip). */
async function versionOf(sql: Sql): Promise<SchemaVersion> {
  try {
    // As JSON: the tables of version 1 have no usable_from column.
    const [row] = await sql`SELECT to_jsonb(v) AS v FROM rollout.schema_version v
      ORDER BY version DESC LIMIT 1`;
    const last = (row?.v ?? {}) as { version?: number; usable_from?: number | null };
    const version = Number(last.version ?? 0);
    return { version, usableFrom: Number(last.usable_from ?? version) };
  } catch (error) {
    // No such table (42P01) or schema (3F000): nothing was made here yet.
    const code = (error as { code?: unknown }).code;
    if (code === "42P01" || code === "3F000") return { version: 0, usableFrom: 0 };
    throw error;
  }
}

function newerSchema(version: number): FleetError {
  return new FleetError(
    `the database was migrated by a newer rollout (schema version ${version}; this rollout knows up to ${FLEET_SCHEMA_VERSION}): upgrade rollout on this machine`,
  );
}

/**
 * Whether a store at `found` is used as it is: at this rollout's version, or at a newer one
 * that says this rollout can still use it. Throws when it is newer and says not.
 */
function usedAsItIs(found: SchemaVersion): boolean {
  if (found.version < FLEET_SCHEMA_VERSION) return false;
  if (found.version === FLEET_SCHEMA_VERSION || found.usableFrom <= FLEET_SCHEMA_VERSION) {
    return true;
  }
  throw newerSchema(found.version);
}

/**
 * Brings the schema to {@linkcode FLEET_SCHEMA_VERSION}, or refuses a newer one. With
 * `create` false (the reading commands), a database without the tables is an error too.
 */
export async function ensureSchema(
  sql: Sql,
  options: { create: boolean; upTo?: number },
): Promise<void> {
  const found = await versionOf(sql);
  if (usedAsItIs(found)) return;
  const seen = found.version;
  if (!options.create) {
    if (seen >= READABLE_FROM) return;
    throw new FleetError(
      "the database holds no rollout sessions yet (no rollout tables): run `rollout sync --to URL` on a machine first",
    );
  }
  try {
    await migrate(sql, options.upTo ?? FLEET_SCHEMA_VERSION);
  } catch (error) {
    // Only the tables' owner may change them (docs/fleet.md: the admin migrates).
    if (seen > 0 && (error as { code?: unknown }).code === "42501") {
      throw new FleetError(
        `the tables are at schema version ${seen} and this rollout needs version ${FLEET_SCHEMA_VERSION}, which only the role that owns them may migrate: run \`rollout sync\` once as that role (the admin), then again as this one`,
      );
    }
    throw error;
  }
}

/** Runs the migrations up to `upTo` under the advisory lock, in one transaction. */
async function migrate(sql: Sql, upTo: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK})`;
    // Created only when missing: a team's admin may own it without the right to create
    // schemas in the database (docs/fleet.md).
    const [schema] = await tx`SELECT to_regnamespace('rollout') IS NOT NULL AS present`;
    if (!schema!.present) await tx`CREATE SCHEMA rollout`;
    await tx`CREATE TABLE IF NOT EXISTS rollout.schema_version (
      version integer PRIMARY KEY, migrated_at timestamptz NOT NULL DEFAULT now())`;
    await tx`ALTER TABLE rollout.schema_version ADD COLUMN IF NOT EXISTS usable_from integer`;
    // Another machine may have migrated while this one waited for the lock.
    const now = await versionOf(tx as unknown as Sql);
    if (usedAsItIs(now)) return;
    for (let version = now.version + 1; version <= upTo; version++) {
      const migration = MIGRATIONS[version - 1]!;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO rollout.schema_version (version, usable_from)
        VALUES (${version}, ${migration.usableFrom})`;
    }
  });
}

/** The first day of the month of `iso` (UTC), as `YYYY-MM-01`. */
export function monthOf(iso: string | null): string {
  const time = iso === null ? NaN : Date.parse(iso);
  const date = Number.isNaN(time) ? new Date(0) : new Date(time);
  return `${date.toISOString().slice(0, 7)}-01`;
}

/** The partition of `rollout.records` that holds the month starting `month`. */
export function partitionName(month: string): string {
  return `records_${month.slice(0, 4)}_${month.slice(5, 7)}`;
}

/** The months whose partition is known to exist, per connection pool. */
const knownMonths = new WeakMap<Sql, Set<string>>();

/** Creates the records partition of `month` when it is missing (asked once per pool). */
export async function ensureMonth(sql: Sql, month: string): Promise<void> {
  let known = knownMonths.get(sql);
  if (known === undefined) knownMonths.set(sql, known = new Set());
  if (known.has(month)) return;
  const name = `rollout.${partitionName(month)}`;
  const [row] = await sql`SELECT to_regclass(${name}) IS NOT NULL AS present`;
  if (!row!.present) await sql`SELECT rollout.ensure_month(${month}::date)`;
  known.add(month);
}

/** Forgets the partitions known to exist (one was dropped: a team's retention). */
export function forgetMonths(sql: Sql): void {
  knownMonths.delete(sql);
}

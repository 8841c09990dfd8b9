/**
 * Opening the fleet store (SPEC §10): the URL read and checked, a small pool of connections,
 * the schema brought to this version (or, for reading, found there), every failure said as one
 * {@linkcode FleetError} without the credentials.
 */
import postgres, { type Sql } from "postgres";
import { ensureSchema } from "./schema.ts";
import { FleetError, fleetError, shownUrl } from "./errors.ts";

/** The variable a URL comes from when the command line gives none. */
export const URL_VARIABLE = "ROLLOUT_DATABASE_URL";

/** An open fleet store. */
export interface Fleet {
  readonly sql: Sql;
  /** The URL it was opened with (it holds the password: never print it, see `shownUrl`). */
  readonly url: string;
  /**
   * Settles once the schema is known to be one this `rollout` reads; rejects when it is not. A
   * reader's work, started before that is known, awaits it before doing anything but queries
   * (printing, writing files).
   */
  readonly checked: Promise<void>;
  close(): Promise<void>;
}

/**
 * The database URL: `given` (the flag's value), else `$ROLLOUT_DATABASE_URL`; it must be a
 * `postgres://` or `postgresql://` URL.
 */
export function databaseUrl(
  given: string | undefined,
  env: Record<string, string | undefined>,
  flag: string,
): string {
  const url = given ?? env[URL_VARIABLE];
  if (url === undefined || url.trim() === "") {
    throw new FleetError(
      `no database: give --${flag} postgres://USER@HOST/DATABASE or set ${URL_VARIABLE}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FleetError(
      `--${flag} needs a URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE, got something else (not shown: it may hold a password)`,
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new FleetError(
      `--${flag} needs a postgres:// or postgresql:// URL, got ${
        JSON.stringify(parsed.protocol)
      } in ${shownUrl(url)}`,
    );
  }
  return url;
}

/** How a fleet store is opened. */
export interface OpenFleetOptions {
  /** Create or migrate the tables (sync); false: they must be there (the reading commands). */
  create: boolean;
  /** Connections in the pool. */
  max?: number;
  /** Seconds to wait for a connection before failing. */
  connectTimeout?: number;
}

/** Connects to `url` and checks its schema; a failure is a {@linkcode FleetError}. */
export async function openFleet(url: string, options: OpenFleetOptions): Promise<Fleet> {
  // A reading command asks a few queries once, on one connection (a second would cost a
  // connection's start, more than the queries); unnamed statements save a round trip each.
  const sql = connection(url, {
    ...options,
    prepare: options.create,
    ...(options.create ? {} : { max: 1 }),
  });
  try {
    await ensureSchema(sql, { create: options.create });
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw fleetError(error, url);
  }
  return {
    sql,
    url,
    checked: Promise.resolve(),
    // A reader has nothing left in flight when it closes; a writer lets its last commit end.
    close: () => sql.end({ timeout: options.create ? 5 : 0 }),
  };
}

/**
 * Runs a reading command's `work` on the store at `url`, closing the connection after. The
 * schema check and the work's first queries go out together on the one connection, a round
 * trip less than checking first (one more for every query a search would otherwise wait for
 * on a database across a network). The check's answer is awaited before the work's: when the
 * store is refused (no tables, a newer schema, an unreachable server), that is the error
 * thrown, as a {@linkcode FleetError}, the connection is closed at once (the work's queries
 * still waiting fail), and whatever the work met instead is ignored; the work awaits
 * `fleet.checked` before anything but queries. Its own failures are thrown as they are.
 *
 * Every value the work's queries send names its type (`read.ts`): the driver then sends each
 * query at once, in one round trip. Sent along with the check through PgBouncer in transaction
 * pooling, queries with values of no named type never went out (postgres 4.2.0; the pooler
 * test, `tests/fleet/pooler_test.ts`, caught `list`, `show` and `export` waiting forever).
 */
export async function readFleet<T>(url: string, work: (fleet: Fleet) => Promise<T>): Promise<T> {
  const sql = connection(url, { max: 1, prepare: false });
  const checked = ensureSchema(sql, { create: false });
  // Awaited below, first: a failure meanwhile must not go unhandled.
  checked.catch(() => {});
  const fleet: Fleet = { sql, url, checked, close: () => sql.end({ timeout: 0 }) };
  let done: Promise<T>;
  try {
    done = work(fleet);
  } catch (error) {
    done = Promise.reject(error);
  }
  done.catch(() => {});
  try {
    try {
      await checked;
    } catch (error) {
      throw fleetError(error, url);
    }
    return await done;
  } finally {
    // Not waited for: the server's side of the close ends while the command's output is
    // written (the process still ends only once the connection is closed).
    fleet.close().catch(() => {});
  }
}

/** A pool for `url`, quiet (no notices printed) and with no secret in its errors. */
export function connection(
  url: string,
  options: { max?: number; connectTimeout?: number; prepare?: boolean },
): Sql {
  return postgres(url, {
    max: options.max ?? 2,
    connect_timeout: options.connectTimeout ?? 10,
    prepare: options.prepare ?? true,
    // The tables use built-in types only: no look-up of the server's types at each connect.
    fetch_types: false,
    onnotice: () => {},
    idle_timeout: 0,
    // A session text is text: no type is read into anything else than what the code asks.
    transform: { undefined: null },
    connection: { application_name: "rollout" },
  });
}

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
    // A reader has nothing left in flight when it closes; a writer lets its last commit end.
    close: () => sql.end({ timeout: options.create ? 5 : 0 }),
  };
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

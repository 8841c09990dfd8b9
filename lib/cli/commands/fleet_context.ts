/**
 * What the reading commands share to read the fleet store instead of the home (SPEC §10):
 * `--from URL` (or `--from ''` for `$ROLLOUT_DATABASE_URL`) and `--machine NAME`, the store
 * opened for the command and closed after, and one session written to a private temporary
 * file for the commands that read a session file (show, load, export).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import process from "node:process";
import { BadQuery, ioError, RolloutError, visible } from "../../base/mod.ts";
import type * as FleetStore from "../../fleet/mod.ts";
import type { Fleet, FleetFilter } from "../../fleet/mod.ts";
import { type ParsedArgs, SESSION_FLAGS } from "./args.ts";
import { type IndexUse, reportUnreadable, withIndex } from "./index_context.ts";
import type { SessionIndex } from "../../index/mod.ts";
import { UsageError } from "./usage_error.ts";

/** The options of a command that can read the fleet store. */
export const FROM_FLAGS = {
  from: { type: "string" },
  machine: { type: "string" },
} as const;

/** `SESSION_FLAGS` and the fleet store's. */
export const SESSION_FROM_FLAGS = { ...SESSION_FLAGS, ...FROM_FLAGS } as const;

/**
 * The fleet store's code, loaded by a command only when it is given `--from`: it brings the
 * PostgreSQL driver, whose modules would add a fifth to the start of every command on a home.
 */
export function fleetStore(): Promise<typeof FleetStore> {
  return import("../../fleet/mod.ts");
}

/**
 * What reading the home takes (context.ts brings the store, the sessions and the transcript):
 * loaded when no `--from` is given, so that a command on the fleet store starts without it.
 */
function homeContext(): Promise<typeof import("./context.ts")> {
  return import("./context.ts");
}

/** The fleet store's URL when `--from` is given, else null; `--machine` needs `--from`. */
export async function fromUrlOf(args: ParsedArgs, io: Io): Promise<string | null> {
  const from = args.string("from");
  const machine = args.string("machine");
  if (from === undefined) {
    if (machine !== undefined) throw new UsageError('option "--machine" needs --from URL');
    return null;
  }
  if (args.string("home") !== undefined) {
    throw new UsageError("give --home or --from, not both: --from reads the fleet store");
  }
  const { databaseUrl } = await fleetStore();
  return databaseUrl(from === "" ? undefined : from, io.env, "from");
}

/** The `--machine` filter. */
export function fleetFilterOf(args: ParsedArgs): FleetFilter {
  const machine = args.string("machine");
  return machine === undefined ? {} : { machine };
}

/**
 * Runs `work` on the fleet store at `url` (its first queries sent with the schema check),
 * closed after; its failures said without secrets.
 */
export async function withFleet<T>(url: string, work: (fleet: Fleet) => Promise<T>): Promise<T> {
  const { fleetError, readFleet } = await fleetStore();
  return await readFleet(url, async (fleet) => {
    try {
      return await work(fleet);
    } catch (error) {
      // Ours to say as they are (a bad query becomes a usage error, status 2); anything else
      // came from the driver or the database.
      const ours = error instanceof RolloutError || error instanceof UsageError ||
        error instanceof BadQuery;
      if (ours) throw error;
      throw fleetError(error, url);
    }
  });
}

/** Says on stderr which files of the store are no readable rollout, as `machine:path`. */
export async function reportFleetUnreadable(
  io: Io,
  files: ReadonlyArray<{ machine?: string; path: string; message: string }>,
  what: string,
): Promise<void> {
  const named = files.map((f) => ({ path: `${f.machine}:${f.path}`, message: f.message }));
  await reportUnreadable(io, named, what);
}

/**
 * Runs a reading command's work on the fleet store (`from`, with its `--machine` filter) or on
 * the home's index, and says on stderr the files either could not read (`use.what`).
 */
export async function fromStoreOrIndex<T>(
  from: string | null,
  args: ParsedArgs,
  io: Io,
  use: IndexUse,
  work: {
    store: (fleet: Fleet, filter: FleetFilter) => Promise<T>;
    index: (index: SessionIndex) => Promise<T> | T;
  },
): Promise<T> {
  if (from === null) {
    const { homeOf } = await homeContext();
    return await withIndex(homeOf(args, io), io, use, work.index);
  }
  const filter = fleetFilterOf(args);
  const { fleetUnreadable } = await fleetStore();
  return await withFleet(from, async (fleet) => {
    const [done, unreadable] = await Promise.all([
      work.store(fleet, filter),
      fleetUnreadable(fleet, filter),
    ]);
    await fleet.checked;
    await reportFleetUnreadable(io, unreadable, use.what);
    return done;
  });
}

/** The session a reading command works on: a file, the path to show for it, and cleanup. */
export interface SessionSource {
  file: string;
  /** The path it has on its machine. */
  shown: string;
  /**
   * The command's streams, for reading this session: from the store, what stderr says of the
   * temporary copy names the session's machine and path instead (`m1:/home/u/…`).
   */
  io: Io;
  /**
   * Runs `work` on the session, then removes what was written for it (nothing for a session of
   * the home). An error it throws names the session as `io` does, not the temporary copy.
   */
  read<T>(work: () => Promise<T>): Promise<T>;
}

/** A {@linkcode SessionSource} of `file`, its copy named `name` in what is said of it. */
function sourceOf(
  file: string,
  shown: string,
  io: Io,
  named: { name: string; done: () => void } | null,
): SessionSource {
  if (named === null) return { file, shown, io, read: (work) => work() };
  return {
    file,
    shown,
    io: naming(io, file, named.name),
    read: async (work) => {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof RolloutError) || !error.message.includes(file)) throw error;
        throw new RolloutError(error.code, error.message.replaceAll(file, named.name), {
          cause: error,
        });
      } finally {
        named.done();
      }
    },
  };
}

/** `io` with every mention of `file` on stderr written as `name`. */
function naming(io: Io, file: string, name: string): Io {
  const stderr = io.stderr;
  const renamed = {
    write: (data: string | Uint8Array) =>
      stderr.write(typeof data === "string" ? data.replaceAll(file, name) : data),
    get isTTY() {
      return stderr.isTTY;
    },
    get columns() {
      return stderr.columns;
    },
  };
  return Object.defineProperty(Object.create(io), "stderr", { value: renamed }) as Io;
}

/**
 * The SESSION argument as a file: from the home, or (`--from`) written from the fleet store
 * to a private temporary folder (0700) that `done()` removes.
 */
export async function sessionSourceOf(args: ParsedArgs, io: Io): Promise<SessionSource> {
  const url = await fromUrlOf(args, io);
  if (url === null) {
    const file = await (await homeContext()).sessionPathOf(args, io);
    return sourceOf(file, file, io, null);
  }
  const [spec] = args.positionals;
  const last = args.flag("last");
  if (last && spec !== undefined) throw new UsageError("give SESSION or --last, not both");
  if (!last && spec === undefined) {
    throw new UsageError("missing SESSION (an id, an id prefix, a title, its path or --last)");
  }
  const { lastFleetSession, resolveFleetSession, writeFleetSession } = await fleetStore();
  // The copy holds the session as stored (its secrets too): the folder is removed when the
  // command ends, and when a signal ends it (the signal is raised again once it is gone).
  const folder = privateFolder();
  const removeFolder = () => fs.rmSync(folder, { recursive: true, force: true });
  const stopWatching = io.onTerminate((reason) => {
    removeFolder();
    if (reason === "EPIPE") return;
    stopWatching();
    process.kill(process.pid, reason);
  });
  const done = () => {
    stopWatching();
    removeFolder();
  };
  try {
    const session = await withFleet(url, async (fleet) => {
      const filter = fleetFilterOf(args);
      const found = spec === undefined
        ? await lastFleetSession(fleet, filter)
        : await resolveFleetSession(fleet, spec, filter);
      await fleet.checked;
      await writeFleetSession(fleet, found, path.join(folder, path.basename(found.path)));
      return found;
    });
    const shown = session.compressed ? `${session.path}.zst` : session.path;
    if (session.others.length > 0) {
      await io.stderr.write(
        `rollout: note: session ${session.session_id} of machine "${session.machine}" is in the store from ${
          session.others.length + 1
        } files; reading ${visible(shown, { oneLine: true })}, updated last (the others: ${
          session.others.map((other) => visible(other, { oneLine: true })).join(", ")
        }; name one by its path to read it)\n`,
      );
    }
    const file = path.join(folder, path.basename(session.path));
    return sourceOf(file, shown, io, { name: `${session.machine}:${shown}`, done });
  } catch (error) {
    done();
    throw error;
  }
}

/**
 * A new private temporary folder for a session read from the store: `mkdtemp` makes it 0700
 * whatever the umask, in Deno, Bun and Node alike (lib/base/zstd.ts relies on it too).
 */
function privateFolder(): string {
  const base = path.join(os.tmpdir(), "rollout-from-");
  try {
    return fs.mkdtempSync(base);
  } catch (error) {
    throw ioError("make a temporary folder", `${base}XXXXXX`, error);
  }
}

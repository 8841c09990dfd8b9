/**
 * What the commands share: the home, the SESSION argument, loading with the damage report on
 * stderr, and writing output files that never replace an existing one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { errnoOf, ioError, RolloutError } from "../../schemas/mod.ts";
import { type Io, nodeFileSystem, passwdHome } from "../../runtime/mod.ts";
import {
  describeDamage,
  type LoadedRollout,
  type LoadOptions,
  loadRollout,
} from "../../formats/mod.ts";
import { type Between, type Put, resolveHome, StreamedWrite } from "../../store/mod.ts";
import { lastSession, resolveSession, type SkippedFolder } from "../../session/mod.ts";
import { visible } from "../../transcript/mod.ts";
import type { ParsedArgs } from "./args.ts";
import { reportUnreadable } from "./index_context.ts";
import { UsageError } from "./usage_error.ts";

/** The home folder of a command: `--home`, else `$CODEX_HOME`, else `~/.codex`. */
export function homeOf(args: ParsedArgs, io: Io): string {
  const home = args.string("home");
  if (home === "") throw new UsageError('option "--home" needs a folder, got ""');
  return resolveHome({
    home: home === undefined ? undefined : path.resolve(io.cwd, home),
    env: io.env,
    passwdHome: passwdHome(),
  });
}

/** The path of the SESSION argument (or `--last`); a missing or doubled one is a usage error. */
export async function sessionPathOf(args: ParsedArgs, io: Io): Promise<string> {
  const [spec] = args.positionals;
  const home = homeOf(args, io);
  if (args.flag("last")) {
    if (spec !== undefined) throw new UsageError("give SESSION or --last, not both");
    return await lastSessionOf(home, io);
  }
  if (spec === undefined) {
    throw new UsageError("missing SESSION (a path, an id, an id prefix or --last)");
  }
  return resolveSession(spec, { home, cwd: io.cwd });
}

/**
 * The most recently updated session of the home (`--last`), saying on stderr which folders
 * could not be looked in: the newest session may be in one of them.
 */
export async function lastSessionOf(home: string, io: Io): Promise<string> {
  const skipped: SkippedFolder[] = [];
  const found = lastSession(home, skipped);
  await reportUnreadable(io, skipped, "not looked in");
  return found;
}

/**
 * Says on stderr that a writer restored an archived session before writing to it (`restored`
 * is the compressed file it came from, null when nothing was restored).
 */
export async function reportRestored(
  io: Io,
  restored: string | null,
  file: string | null,
): Promise<void> {
  if (restored === null) return;
  await io.stderr.write(
    `rollout: note: session restored from its archive "${restored}" to "${file}" before writing\n`,
  );
}

/** Writes the damage report of a load to stderr, one line per finding. */
export async function reportDamage(io: Io, loaded: LoadedRollout): Promise<void> {
  const lines = describeDamage(loaded.report);
  if (lines.length === 0) return;
  // A report can quote the rollout (an id, a field name): never its control characters.
  const file = visible(loaded.path, { oneLine: true });
  await io.stderr.write(
    lines.map((line) => `rollout: warning: "${file}": ${visible(line, { oneLine: true })}\n`)
      .join(""),
  );
}

/** Loads a rollout and reports its damage on stderr. */
export async function loadReported(
  file: string,
  io: Io,
  options: LoadOptions = {},
): Promise<LoadedRollout> {
  const loaded = loadRollout(file, options);
  await reportDamage(io, loaded);
  return loaded;
}

/** Throws when `file` exists: output files are never overwritten. */
export function refuseExisting(file: string): void {
  if (fs.existsSync(file)) {
    throw new RolloutError("invalid_argument", `Cannot write "${file}": the file exists`);
  }
}

/**
 * Writes a new file (0600) with the text `write` hands to `put` piece by piece (SPEC §7),
 * synced; fails if the file exists. Missing folders on the way are created 0700, as `convert -o`
 * creates them. The text is written as it comes, synced ahead as a copy of a rollout is
 * (`StreamedWrite`); `write` should await `between` after each MiB or so, or no write on its
 * way nor sync ahead is seen to end before the last (`between` rejects once one failed). On any failure the new file is removed again.
 */
export async function writeNewFile(
  file: string,
  write: (put: Put, between: Between) => Promise<void>,
): Promise<void> {
  let fd: number;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fd = fs.openSync(file, "wx", 0o600);
  } catch (error) {
    if (errnoOf(error) === "EEXIST") refuseExisting(file);
    throw ioError("write", file, error);
  }
  const out = new StreamedWrite(nodeFileSystem, fd, { sync: true });
  try {
    await write(out.put, out.between);
    await out.finish();
    fs.fsyncSync(fd);
  } catch (error) {
    // The descriptor is closed only once no sync of it is still running.
    await out.abandon();
    fs.closeSync(fd);
    // What was written of it is taken away: a half file would only stand in the way of the
    // next try ("the file exists"). The file is ours: it was created here, exclusively.
    try {
      fs.unlinkSync(file);
    } catch {
      // Left as it is; the error below is what went wrong.
    }
    // A failed write of the file is said as one, even when `write` (a reader of the rollout
    // calling `put`) passed it on as a failure of its own; a failure of the content (a rollout
    // that cannot be read) is said as it is.
    if (out.failure !== null) throw ioError("write", file, out.failure.error);
    throw error instanceof RolloutError ? error : ioError("write", file, error);
  }
  fs.closeSync(fd);
}

/** `1 item`, `2 items`. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export { SESSION_FLAGS } from "./args.ts";

/** `{"session_id","path"}` as `new --json` and `fork --json` print it. */
export function sessionJson(id: string, file: string): string {
  return `${JSON.stringify({ session_id: id, path: file })}\n`;
}

/**
 * Where sessions live (SPEC §1): the home folder, the dated session folders and file names.
 * Pure: takes the environment (and the user's home from the password database) as data.
 */
import * as path from "node:path";
import { RolloutError } from "../schemas/mod.ts";

/**
 * The home folder: `--home`, else `$CODEX_HOME`, else `~/.codex` with `~` from `$HOME`, else
 * the user's home from the password database (`passwdHome`, given by the caller). Never a
 * relative folder: without any of them it throws, saying what to set.
 */
export function resolveHome(
  options: {
    home?: string | undefined;
    env: Record<string, string | undefined>;
    passwdHome?: string | undefined;
  },
): string {
  if (options.home !== undefined && options.home !== "") return path.resolve(options.home);
  const codexHome = options.env.CODEX_HOME;
  if (codexHome !== undefined && codexHome !== "") return path.resolve(codexHome);
  const userHome = [options.env.HOME, options.env.USERPROFILE, options.passwdHome]
    .find((dir) => dir !== undefined && path.isAbsolute(dir));
  if (userHome === undefined) {
    throw new RolloutError(
      "invalid_argument",
      "Cannot tell where sessions live: neither CODEX_HOME nor HOME is set and the user has no home folder; set CODEX_HOME or pass --home DIR",
    );
  }
  return path.resolve(userHome, ".codex");
}

/** `<home>/sessions`. */
export function sessionsDir(home: string): string {
  return path.join(home, "sessions");
}

/** `<home>/history.jsonl`. */
export function historyPath(home: string): string {
  return path.join(home, "history.jsonl");
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `<home>/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<id>.<ext>` in UTC. */
export function sessionPath(
  home: string,
  options: { id: string; created: Date; extension: "jsonl" | "json" },
): string {
  const d = options.created;
  const yyyy = pad(d.getUTCFullYear(), 4);
  const mm = pad(d.getUTCMonth() + 1);
  const dd = pad(d.getUTCDate());
  const time = `${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
  const name = `rollout-${yyyy}-${mm}-${dd}T${time}-${options.id}.${options.extension}`;
  return path.join(sessionsDir(home), yyyy, mm, dd, name);
}

const NAME = /^rollout-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})-(.+)\.(jsonl|json|jsonl\.zst)$/;

/** The id and creation time encoded in a session file name, or null. */
export function parseSessionFileName(name: string): { id: string; created: string } | null {
  const match = NAME.exec(name);
  if (match === null) return null;
  const [date, time] = match[1]!.split("T") as [string, string];
  return { id: match[2]!, created: `${date}T${time.replaceAll("-", ":")}Z` };
}

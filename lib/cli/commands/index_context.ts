/**
 * What the commands that read the session index share: opening it brought up to date (with
 * progress on a terminal and a notice when a damaged index is rebuilt), the files it could not
 * read said on stderr, and the times `--since` / `--until` take.
 */
import type { Io } from "../../runtime/mod.ts";
import { visible } from "../../base/mod.ts";
import type { SessionIndex, UnreadableFile } from "../../index/mod.ts";
import { durationMs } from "./older_than.ts";
import { Progress } from "./progress.ts";
import { UsageError } from "./usage_error.ts";

/** How a command uses the index. */
export interface IndexUse {
  /** Asked for JSON: no progress line. */
  json: boolean;
  /** How unreadable files are said ("not listed", "not searched"). */
  what: string;
  /** False: the command brings up to date only what it reads (`list`). */
  refresh?: boolean;
}

/**
 * Runs `work` on the index of `home`, brought up to date first, with progress on stderr on a
 * terminal (unless `json`) and a notice when a damaged index was rebuilt. Files under
 * sessions/ that are no readable rollout are said on stderr (nothing is skipped silently).
 */
export async function withIndex<T>(
  home: string,
  io: Io,
  use: IndexUse,
  work: (index: SessionIndex) => Promise<T> | T,
): Promise<T> {
  // Loaded here, not with this module: `--from` uses the rest of it without the index.
  const { unreadableFiles, useIndex } = await import("../../index/mod.ts");
  const progress = new Progress(io, { json: use.json });
  progress.phase("indexing");
  const notices: string[] = [];
  let unreadable: UnreadableFile[] = [];
  let result: T;
  try {
    result = await useIndex(home, {
      notice: (message) => notices.push(message),
      progress: progress.tick,
      refresh: use.refresh !== false,
    }, async (index) => {
      const done = await work(index);
      if (use.refresh !== false) unreadable = unreadableFiles(index);
      return done;
    });
  } finally {
    progress.done();
    for (const notice of notices) await io.stderr.write(`rollout: notice: ${notice}\n`);
  }
  await reportUnreadable(io, unreadable, use.what);
  return result;
}

/** Says on stderr which session files are no readable rollout, and why. */
export async function reportUnreadable(
  io: Io,
  files: readonly UnreadableFile[],
  what: string,
): Promise<void> {
  for (const file of files) {
    // A file's name, like what a rollout holds, never reaches the terminal as a control code.
    const path = visible(file.path, { oneLine: true });
    await io.stderr.write(
      `rollout: warning: "${path}": ${what}: ${visible(file.message, { oneLine: true })}\n`,
    );
  }
}

/** `2026-11-30`, `2026-11-30T14:00`, `2026-11-30 14:00:05.250`, with `Z` or `+02:00` or none. */
const DATE_TIME =
  /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(Z|[+-]\d\d:?\d\d)?)?$/i;

/**
 * The Unix milliseconds of a date and time in the form of {@linkcode DATE_TIME}, UTC unless it
 * names its offset (the same whatever the machine's time zone), or null when it names no real
 * time (`2026-02-30`, `25:00`).
 */
function instantOf(text: string): number | null {
  const m = DATE_TIME.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((n) => Number(n ?? 0));
  const ms = Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3));
  const days = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > days) return null;
  if (hour! > 23 || minute! > 59 || second! > 59) return null;
  let offset = 0;
  const zone = m[8];
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const [, sign, hours, minutes] = /^([+-])(\d\d):?(\d\d)$/.exec(zone)!;
    if (Number(hours) > 23 || Number(minutes) > 59) return null;
    offset = (sign === "-" ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60_000;
  }
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, ms) - offset;
}

/**
 * The time `--since`/`--until` name, as an ISO string: a date (`2026-11-30`, midnight UTC),
 * a date and time (ISO 8601; UTC unless it names its offset), or a length of time before
 * `now` (`7d`, `12h`). A date that does not exist (`2026-02-30`) is refused.
 */
export function timeOption(flag: string, text: string, now = Date.now()): string {
  const ago = durationMs(text.trim());
  if (ago !== null) return new Date(now - ago).toISOString();
  const at = instantOf(text.trim());
  if (at !== null) return new Date(at).toISOString();
  throw new UsageError(
    `option "--${flag}" needs a date (2026-11-30), a date and time (2026-11-30T14:00:00Z, UTC unless it names its offset) or a time ago (7d, 12h, 90m, 2w), got ${
      JSON.stringify(text)
    }`,
  );
}

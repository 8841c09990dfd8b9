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

/**
 * The time `--since`/`--until` name, as an ISO string: a date (`2026-11-30`, midnight UTC),
 * a date and time (ISO 8601), or a length of time before `now` (`7d`, `12h`).
 */
export function timeOption(flag: string, text: string, now = Date.now()): string {
  const ago = durationMs(text.trim());
  if (ago !== null) return new Date(now - ago).toISOString();
  if (/^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(text.trim())) {
    const parsed = Date.parse(text.trim().length === 10 ? `${text.trim()}T00:00:00Z` : text);
    if (!Number.isNaN(parsed)) return new Date(parsed).toISOString();
  }
  throw new UsageError(
    `option "--${flag}" needs a date (2026-11-30), a date and time (2026-11-30T14:00:00Z) or a time ago (7d, 12h, 90m, 2w), got ${
      JSON.stringify(text)
    }`,
  );
}

/**
 * `rollout archive`: compresses cold line sessions to Codex's `.jsonl.zst`, one at a time and
 * verified (store/archive.ts); with SESSION arguments, those sessions. Reports each session
 * and the total; a session that cannot be archived is skipped with the reason.
 */
import * as fs from "node:fs";
import type { Io } from "../../runtime/mod.ts";
import { ioError, RolloutError } from "../../schemas/mod.ts";
import {
  ARCHIVE_WINDOW_LOG,
  archiveRollout,
  DEFAULT_ARCHIVE_LEVEL,
  MAX_ARCHIVE_WINDOW_LOG,
  type SkipReason,
  WriterLock,
} from "../../store/mod.ts";
import { resolveSession, sessionGroups, type SkippedFolder } from "../../session/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf } from "./context.ts";
import { reportUnreadable } from "./index_context.ts";
import { type Age, byteSize, olderThanOf } from "./older_than.ts";
import { Progress } from "./progress.ts";
import { UsageError } from "./usage_error.ts";

/** What `archive` does when not told: sessions untouched for 30 days. */
const DEFAULT_AGE = "30d";

/** One session of the report (`--json` prints these as they are). */
type Entry =
  | { path: string; status: "archived"; archive: string; bytes_before: number; bytes_after: number }
  | { path: string; status: "would_archive"; bytes_before: number }
  | { path: string; status: "skipped"; reason: SkipReason | "recent"; message: string }
  | { path: string; status: "failed"; message: string };

/** What is to be done: files to archive with their sizes, and what is left alone. */
interface Plan {
  work: { path: string; bytes: number }[];
  /** Archives with a killed run's temporary files beside them, to remove. */
  tidy: string[];
  entries: Entry[];
  alreadyArchived: number;
  recent: number;
  /** Folders of the home that could not be read: their sessions were not looked at. */
  skipped: SkippedFolder[];
}

function emptyPlan(): Plan {
  return { work: [], tidy: [], entries: [], alreadyArchived: 0, recent: 0, skipped: [] };
}

/** Runs `rollout archive`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      "older-than": { type: "string" },
      "dry-run": { type: "boolean" },
      level: { type: "string" },
      window: { type: "string" },
      json: { type: "boolean" },
    },
    positionals: { min: 0, max: Number.MAX_SAFE_INTEGER },
  });
  const level = args.integer("level", { max: 19 }) ?? DEFAULT_ARCHIVE_LEVEL;
  if (level < 1) throw new UsageError(`option "--level" must be 1 to 19, got "${level}"`);
  const windowLog = args.integer("window", { max: MAX_ARCHIVE_WINDOW_LOG }) ?? ARCHIVE_WINDOW_LOG;
  if (windowLog < 20) {
    throw new UsageError(
      `option "--window" must be 20 to ${MAX_ARCHIVE_WINDOW_LOG} (log2 of the bytes), got "${windowLog}"`,
    );
  }
  const home = homeOf(args, io);
  const named = args.positionals.length > 0;
  // Named sessions are archived whatever their age, unless --older-than is given.
  const age = named ? olderThanOf(args) : olderThanOf(args, DEFAULT_AGE);
  const now = Date.now();
  const plan = named
    ? namedPlan(args.positionals, { home, cwd: io.cwd, age, now })
    : homePlan(home, age!, now);
  const dryRun = args.flag("dry-run");
  const json = args.flag("json");
  const entries = [...plan.entries];
  if (dryRun) {
    for (const { path, bytes } of plan.work) {
      const holder = WriterLock.heldBy(path);
      entries.push(
        holder === null
          ? { path, status: "would_archive", bytes_before: bytes }
          : { path, status: "skipped", reason: "locked", message: `held by a writer (${holder})` },
      );
    }
  } else {
    entries.push(...(await archiveAll(plan.work, { io, level, windowLog, json })));
    for (const path of plan.tidy) {
      const outcome = await tidy(path, io);
      if (outcome !== null) entries.push(outcome);
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const summary = {
    dry_run: dryRun,
    older_than: age?.text ?? null,
    level,
    window_log: windowLog,
    sessions: entries,
    already_archived: plan.alreadyArchived,
    recent: plan.recent,
    skipped_folders: plan.skipped,
  };
  if (json) await io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else await io.stdout.write(report(summary));
  await reportUnreadable(io, plan.skipped, dryRun ? "not looked at" : "not archived");
  return entries.some((e) => e.status === "failed") ? 1 : 0;
}

/** The plan for SESSION arguments: each resolved first, so a bad one changes nothing. */
function namedPlan(
  specs: readonly string[],
  options: { home: string; cwd: string; age: Age | undefined; now: number },
): Plan {
  const plan = emptyPlan();
  const paths = [...new Set(specs.map((spec) => resolveSession(spec, options)))];
  for (const path of paths) {
    const stat = statOf(path);
    const reason = path.endsWith(".jsonl.zst")
      ? "archived"
      : path.endsWith(".jsonl")
      ? null
      : "document";
    if (reason !== null) {
      plan.entries.push({ path, status: "skipped", reason, message: reasonText(reason) });
      if (reason === "archived") plan.tidy.push(path);
    } else if (
      options.age !== undefined && isRecent(stat.mtimeMs, { ...options, age: options.age })
    ) {
      plan.entries.push({
        path,
        status: "skipped",
        reason: "recent",
        message: `changed within ${options.age.text}`,
      });
    } else plan.work.push({ path, bytes: stat.size });
  }
  return plan;
}

/** The plan for the whole home: every line session untouched for `age`. */
function homePlan(home: string, age: Age, now: number): Plan {
  const plan = emptyPlan();
  for (const group of sessionGroups(home, plan.skipped)) {
    if (isRecent(group.mtimeMs, { age, now })) {
      plan.recent++;
      continue;
    }
    const plain = group.rollouts.filter((file) => file.path.endsWith(".jsonl"));
    for (const { path, bytes } of plain) plan.work.push({ path, bytes });
    for (const { path } of group.rollouts.filter((file) => file.path.endsWith(".json"))) {
      plan.entries.push({
        path,
        status: "skipped",
        reason: "document",
        message: reasonText("document"),
      });
    }
    const packed = group.rollouts.find((file) => file.path.endsWith(".jsonl.zst"));
    if (plain.length === 0 && packed !== undefined) {
      plan.alreadyArchived++;
      if (group.sidecars.some((file) => file.path.includes(".tmp-"))) plan.tidy.push(packed.path);
    }
  }
  return plan;
}

function isRecent(mtimeMs: number, options: { age: Age; now: number }): boolean {
  return options.now - mtimeMs < options.age.ms;
}

function statOf(path: string): { size: number; mtimeMs: number } {
  try {
    return fs.statSync(path);
  } catch (error) {
    throw ioError("archive", path, error);
  }
}

function reasonText(reason: "archived" | "document"): string {
  return reason === "archived"
    ? "already archived"
    : "a document (.json): Codex reads only line rollouts (.jsonl) compressed";
}

/** Removes what a killed run left beside an archive; only a failure is reported. */
async function tidy(path: string, io: Io): Promise<Entry | null> {
  try {
    const outcome = await archiveRollout(path, { pid: io.pid });
    return outcome.status === "skipped" && outcome.reason === "locked"
      ? { path, status: "skipped", reason: outcome.reason, message: outcome.message }
      : null;
  } catch (error) {
    if (!(error instanceof RolloutError)) throw error;
    return { path, status: "failed", message: error.message };
  }
}

/** Archives each file in turn; a failure is reported and the others go on. */
async function archiveAll(
  work: readonly { path: string; bytes: number }[],
  options: { io: Io; level: number; windowLog: number; json: boolean },
): Promise<Entry[]> {
  const entries: Entry[] = [];
  // Each file is read twice: compressed, then checked against its copy.
  const total = 2 * work.reduce((sum, w) => sum + w.bytes, 0);
  const progress = new Progress(options.io, { json: options.json });
  const tick = progress.phase("archiving");
  let before = 0;
  try {
    for (const { path, bytes } of work) {
      const base = before;
      before += 2 * bytes;
      try {
        const outcome = await archiveRollout(path, {
          level: options.level,
          windowLog: options.windowLog,
          pid: options.io.pid,
          ...(tick === null ? {} : { progress: (read: number) => tick(base + read, total, -1) }),
        });
        entries.push(
          outcome.status === "archived"
            ? {
              path,
              status: "archived",
              archive: outcome.archive,
              bytes_before: outcome.bytesBefore,
              bytes_after: outcome.bytesAfter,
            }
            : { path, status: "skipped", reason: outcome.reason, message: outcome.message },
        );
      } catch (error) {
        if (!(error instanceof RolloutError)) throw error;
        entries.push({ path, status: "failed", message: error.message });
      }
    }
  } finally {
    progress.done();
  }
  return entries;
}

/** The text report: one line per session, then the totals. */
function report(summary: {
  dry_run: boolean;
  older_than: string | null;
  sessions: Entry[];
  already_archived: number;
  recent: number;
}): string {
  const lines: string[] = [];
  let count = 0;
  let before = 0;
  let after = 0;
  for (const e of summary.sessions) {
    if (e.status === "archived") {
      count++;
      before += e.bytes_before;
      after += e.bytes_after;
      lines.push(
        `archived       ${e.path}  ${byteSize(e.bytes_before)} -> ${byteSize(e.bytes_after)}`,
      );
    } else if (e.status === "would_archive") {
      count++;
      before += e.bytes_before;
      lines.push(`would archive  ${e.path}  ${byteSize(e.bytes_before)}`);
    } else if (e.status === "skipped") lines.push(`skipped        ${e.path}: ${e.message}`);
    else lines.push(`failed         ${e.path}: ${e.message}`);
  }
  const sessions = `${count} session${count === 1 ? "" : "s"}`;
  const parts = [
    count === 0
      ? summary.dry_run ? "Nothing to archive" : "Nothing archived"
      : summary.dry_run
      ? `Would archive ${sessions} (${byteSize(before)})`
      : `Archived ${sessions}: ${byteSize(before)} -> ${byteSize(after)} (${
        byteSize(before - after)
      } freed)`,
  ];
  const skipped = summary.sessions.filter((e) => e.status === "skipped").length;
  const failed = summary.sessions.filter((e) => e.status === "failed").length;
  if (skipped > 0) parts.push(`${skipped} skipped`);
  if (failed > 0) parts.push(`${failed} failed`);
  if (summary.already_archived > 0) parts.push(`${summary.already_archived} already archived`);
  if (summary.recent > 0) {
    parts.push(`${summary.recent} changed within ${summary.older_than} left alone`);
  }
  lines.push(parts.join("; "));
  return `${lines.join("\n")}\n`;
}

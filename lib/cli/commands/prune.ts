/**
 * `rollout prune`: deletes the sessions of a home untouched for a given time, every file of
 * each (session/prune_session.ts). Without `--yes` it only lists what it would delete and the
 * bytes that would be freed.
 */
import * as fs from "node:fs";
import type { Io } from "../../runtime/mod.ts";
import { indexPath, useIndex } from "../../index/mod.ts";
import { RolloutError } from "../../schemas/mod.ts";
import { WriterLock } from "../../store/mod.ts";
import {
  lockedNames,
  pruneSession,
  type SessionGroup,
  sessionGroups,
  type SkippedFolder,
} from "../../session/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf } from "./context.ts";
import { reportUnreadable } from "./index_context.ts";
import { byteSize, olderThanOf } from "./older_than.ts";
import { UsageError } from "./usage_error.ts";

/** One session of the report (`--json` prints these as they are). */
interface Entry {
  files: string[];
  updated: string;
  bytes: number;
  status: "would_delete" | "deleted" | "skipped" | "failed";
  message?: string;
}

/** Runs `rollout prune`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      "older-than": { type: "string" },
      "dry-run": { type: "boolean" },
      yes: { type: "boolean" },
      json: { type: "boolean" },
    },
    positionals: { min: 0, max: 0 },
  });
  const age = olderThanOf(args);
  if (age === undefined) throw new UsageError("missing --older-than DURATION (such as 90d)");
  if (args.flag("dry-run") && args.flag("yes")) {
    throw new UsageError('give "--dry-run" or "--yes", not both');
  }
  const deleting = args.flag("yes");
  const home = homeOf(args, io);
  const now = Date.now();
  const skipped: SkippedFolder[] = [];
  const old = sessionGroups(home, skipped).filter((group) => now - group.mtimeMs >= age.ms);
  const entries: Entry[] = [];
  for (const group of old) {
    const entry: Entry = {
      files: [...group.rollouts, ...group.sidecars].map((file) => file.path),
      updated: new Date(group.mtimeMs).toISOString(),
      bytes: group.bytes,
      status: deleting ? "deleted" : "would_delete",
    };
    entries.push(entry);
    if (!deleting) {
      const holder = lockedNames(group).map((file) => WriterLock.heldBy(file))
        .find((h): h is string => h !== null);
      if (holder !== undefined) entry.message = `held by a writer (${holder}): it would be skipped`;
      continue;
    }
    pruneOne(group, entry, io);
  }
  // Their rows leave the session index now (if the home has one), not at its next refresh.
  const deleted = entries.filter((e) => e.status === "deleted").flatMap((e) => e.files);
  if (deleted.length > 0 && fs.existsSync(indexPath(home))) {
    await useIndex(home, { refresh: false }, (index) => Promise.resolve(index.forget(deleted)));
  }
  const failed = entries.some((e) => e.status === "failed");
  const summary = {
    dry_run: !deleting,
    older_than: age.text,
    sessions: entries,
    skipped_folders: skipped,
  };
  if (args.flag("json")) await io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else await io.stdout.write(report(entries, { deleting, age: age.text }));
  await reportUnreadable(io, skipped, deleting ? "not pruned" : "not looked at");
  return failed ? 1 : 0;
}

/** Deletes one session and records the outcome in its entry; a failure is reported, not thrown. */
function pruneOne(group: SessionGroup, entry: Entry, io: Io): void {
  try {
    const outcome = pruneSession(group, { pid: io.pid });
    if (outcome.status === "skipped") {
      entry.status = "skipped";
      entry.message = outcome.message;
    }
  } catch (error) {
    if (!(error instanceof RolloutError)) throw error;
    entry.status = "failed";
    entry.message = error.message;
  }
}

/** The text report: what would go (or went), then the totals. */
function report(entries: readonly Entry[], options: { deleting: boolean; age: string }): string {
  if (entries.length === 0) return `No sessions untouched for ${options.age}.\n`;
  const lines: string[] = [];
  const gone = entries.filter((e) => e.status === "deleted" || e.status === "would_delete");
  const bytes = gone.reduce((sum, e) => sum + e.bytes, 0);
  const count = `${gone.length} session${gone.length === 1 ? "" : "s"}`;
  if (!options.deleting) {
    lines.push(`Would delete ${count}, ${byteSize(bytes)} (run again with --yes to delete them):`);
  }
  for (const e of entries) {
    const [first, ...rest] = e.files;
    const head = options.deleting
      ? `${e.status.padEnd(8)} ${e.updated.slice(0, 10)}  ${byteSize(e.bytes).padStart(9)}  `
      : `  ${e.updated.slice(0, 10)}  ${byteSize(e.bytes).padStart(9)}  `;
    lines.push(`${head}${first}${e.message === undefined ? "" : `: ${e.message}`}`);
    for (const file of rest) lines.push(`${" ".repeat(head.length)}${file}`);
  }
  if (options.deleting) {
    const skipped = entries.filter((e) => e.status === "skipped").length;
    const failed = entries.filter((e) => e.status === "failed").length;
    lines.push(
      [
        `Deleted ${count}, ${byteSize(bytes)} freed`,
        ...(skipped > 0 ? [`${skipped} skipped`] : []),
        ...(failed > 0 ? [`${failed} failed`] : []),
      ].join("; "),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * `rollout sync --to URL`: pushes every session of the home to the fleet store (SPEC §10),
 * only what changed since the last time; `--watch` keeps following the home, pushing each
 * change as it lands, and waits out a database that goes away (with backoff) instead of
 * failing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RolloutError } from "../../base/mod.ts";
import type { Io } from "../../runtime/mod.ts";
import {
  databaseUrl,
  type Fleet,
  fleetError,
  type FleetSync,
  isUnreachable,
  loadSync,
  openFleet,
  type SyncReport,
} from "../../fleet/mod.ts";
import { describeCounts, totalRedacted } from "../../redaction/mod.ts";
import { assertHome, isRolloutName } from "../../session/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf } from "./context.ts";
import { reportUnreadable } from "./index_context.ts";
import { byteSize } from "./older_than.ts";
import { Progress } from "./progress.ts";
import { UsageError } from "./usage_error.ts";

/** Waits this long after a change before pushing it (a burst of writes is pushed once). */
const SETTLE_MS = 40;
/** A whole pass over the home this often while watching (a change the watcher missed). */
const FULL_PASS_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

function summary(report: SyncReport, machine: string, place: string, ms: number): string {
  const files = report.read + report.grown + report.unchanged + report.unreadable;
  const unreadable = report.unreadable > 0 ? `, ${report.unreadable} unreadable` : "";
  return `Synced ${files} session file(s) of machine "${machine}" to ${place}: ${report.read} read, ${report.grown} grown, ${report.unchanged} unchanged${unreadable}; ${report.records} record(s) written, ${
    byteSize(report.bytes)
  } read in ${(ms / 1000).toFixed(1)} s\n`;
}

/** Runs `rollout sync`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      to: { type: "string" },
      watch: { type: "boolean" },
      machine: { type: "string" },
      redact: { type: "boolean" },
      json: { type: "boolean" },
    },
    positionals: { min: 0, max: 0 },
  });
  const url = databaseUrl(args.string("to"), io.env, "to");
  const machine = args.string("machine") ?? os.hostname();
  // deno-lint-ignore no-control-regex
  if (machine.trim() === "" || /[\u0000-\u001f]/.test(machine)) {
    throw new UsageError(`option "--machine" needs a name, got ${JSON.stringify(machine)}`);
  }
  const home = homeOf(args, io);
  // A mistyped --home is said, not pushed as a home of no sessions (a CI step would pass).
  assertHome(home);
  const json = args.flag("json");
  const options = { home, machine, redact: args.flag("redact") };
  const place = placeText(url);
  if (!args.flag("watch")) {
    const fleet = await openFleet(url, { create: true });
    const started = performance.now();
    const progress = new Progress(io, { json });
    progress.phase("syncing");
    const tick = progress.tick;
    const { FleetSync } = await loadSync();
    const sync = new FleetSync(fleet, {
      ...options,
      ...(tick === null ? {} : { progress: (read: number, total: number) => tick(read, total, 0) }),
    });
    let report: SyncReport;
    try {
      report = await sync.syncAll();
    } catch (error) {
      throw error instanceof RolloutError ? error : fleetError(error, url);
    } finally {
      progress.done();
      await sync.release();
      await fleet.close();
    }
    const ms = performance.now() - started;
    if (json) {
      await io.stdout.write(`${JSON.stringify({ machine, ...report, ms: Math.round(ms) })}\n`);
    } else {
      await io.stdout.write(summary(report, machine, place, ms));
    }
    await sayRedacted(io, report);
    await reportUnreadable(io, report.unreadable_files, "not synced");
    await saySkipped(io, report, new Set());
    return 0;
  }
  return await watch(url, options, io, place);
}

/**
 * Says on stderr each folder of the home that could not be read (its sessions were not
 * pushed), but for those in `said`: while watching, a folder is said once, and again only
 * after a pass could read it.
 */
async function saySkipped(io: Io, report: SyncReport, said: Set<string>): Promise<void> {
  const fresh = report.skipped_folders.filter((folder) => !said.has(folder.path));
  await reportUnreadable(io, fresh, "not synced");
  said.clear();
  for (const folder of report.skipped_folders) said.add(folder.path);
}

async function sayRedacted(io: Io, report: SyncReport): Promise<void> {
  if (totalRedacted(report.redacted) === 0) return;
  await io.stderr.write(
    `rollout: ${describeCounts(report.redacted)} replaced before leaving this machine\n`,
  );
}

function placeText(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}${parsed.pathname}`;
}

/**
 * Follows the home until SIGINT/SIGTERM: one whole pass first, then each file the watcher
 * reports changed, and a whole pass every minute. A database that cannot be reached is tried
 * again after 0.5 s, 1 s, 2 s, ... up to 30 s, and the home passed over whole once it is back.
 */
async function watch(
  url: string,
  options: { home: string; machine: string; redact: boolean },
  io: Io,
  place: string,
): Promise<number> {
  // A wrong URL or password is said at once and ends the command, as without --watch.
  let fleet: Fleet | null = await openFleet(url, { create: true });
  let stopping = false;
  let wake: (() => void) | null = null;
  const changed = new Set<string>();
  let whole = true;
  /** While waiting out an unreachable database, only the timer or a signal ends the wait. */
  let backingOff = false;
  const resumeNow = () => {
    const resume = wake;
    wake = null;
    resume?.();
  };
  const poke = () => {
    if (!backingOff) resumeNow();
  };
  const removeHandler = io.onTerminate(() => {
    stopping = true;
    resumeNow();
  });
  const sessions = path.join(options.home, "sessions");
  let watcher: fs.FSWatcher | null = null;
  const startWatching = () => {
    if (watcher !== null) return;
    try {
      watcher = fs.watch(sessions, { recursive: true }, (_event, name) => {
        if (name === null) whole = true;
        else if (isRolloutName(path.basename(String(name)))) {
          changed.add(path.join(sessions, String(name)));
        } else return; // A lock, temporary file or kept original: never a session.
        poke();
      });
      watcher.on("error", () => {
        watcher?.close();
        watcher = null;
        whole = true;
      });
      // What was written before the watcher began is found by a whole pass.
      whole = true;
    } catch {
      watcher = null; // No sessions folder yet: the whole passes find it.
    }
  };
  const namesWatcher = watchNames(options.home, () => {
    changed.add("");
    poke();
  });
  let sync: FleetSync | null = null;
  const skippedSaid = new Set<string>();
  let backoff = 0;
  let lastWhole = 0;
  try {
    await io.stderr.write(
      `rollout: watching ${options.home} for machine "${options.machine}", pushing to ${place} (stop with Ctrl-C)\n`,
    );
    while (!stopping) {
      startWatching();
      if (Date.now() - lastWhole > FULL_PASS_MS) whole = true;
      try {
        if (fleet === null) fleet = await openFleet(url, { create: true });
        sync ??= new (await loadSync()).FleetSync(fleet, options);
        if (!(await sync.holdsLock())) await sync.acquire();
        const started = performance.now();
        let report: SyncReport;
        const wholePass = whole;
        if (whole) {
          whole = false;
          changed.clear();
          lastWhole = Date.now();
          report = await sync.syncAll();
        } else {
          const paths = [...changed].filter((p) => p !== "");
          changed.clear();
          report = await sync.syncFiles(paths);
        }
        if (backoff > 0) await io.stderr.write(`rollout: the database is back; caught up\n`);
        backoff = 0;
        if (report.read + report.grown + report.unreadable > 0) {
          await io.stdout.write(
            summary(report, options.machine, place, performance.now() - started),
          );
        }
        await sayRedacted(io, report);
        await reportUnreadable(io, report.unreadable_files, "not synced");
        // Only a whole pass walks the home's folders.
        if (wholePass) await saySkipped(io, report, skippedSaid);
      } catch (error) {
        if (!isUnreachable(error)) {
          throw error instanceof RolloutError ? error : fleetError(error, url);
        }
        backoff = backoff === 0 ? 500 : Math.min(backoff * 2, MAX_BACKOFF_MS);
        await io.stderr.write(
          `rollout: warning: ${fleetError(error, url).message}; trying again in ${
            (backoff / 1000).toFixed(1)
          } s\n`,
        );
        whole = true;
        await sync?.release();
        sync = null;
        await fleet?.close().catch(() => {});
        fleet = null;
        backingOff = true;
        await pause(backoff, (resume) => wake = resume, () => stopping);
        backingOff = false;
        continue;
      }
      if (changed.size > 0 || whole) {
        await pause(SETTLE_MS, (resume) => wake = resume, () => stopping);
        continue;
      }
      // Wait for a change, a signal or the next whole pass; without a watcher (no sessions
      // folder yet), look again each second.
      await pause(
        watcher === null ? 1000 : FULL_PASS_MS,
        (resume) => wake = resume,
        () => stopping,
      );
      if (changed.size > 0) await pause(SETTLE_MS, () => {}, () => stopping);
    }
  } finally {
    removeHandler();
    (watcher as fs.FSWatcher | null)?.close();
    namesWatcher?.close();
    await sync?.release();
    await fleet?.close().catch(() => {});
  }
  return 0;
}

/** Watches `<home>/session_index.jsonl` (titles) through its folder; null when it cannot. */
function watchNames(home: string, changed: () => void): fs.FSWatcher | null {
  try {
    const watcher = fs.watch(home, (_event, name) => {
      if (name === "session_index.jsonl") changed();
    });
    watcher.on("error", () => watcher.close());
    return watcher;
  } catch {
    return null;
  }
}

/** Waits `ms`, or until `register`'s callback is called, or until `stopped()`. */
function pause(
  ms: number,
  register: (resume: () => void) => void,
  stopped: () => boolean,
): Promise<void> {
  if (stopped()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      resolve();
    }
    register(done);
  });
}

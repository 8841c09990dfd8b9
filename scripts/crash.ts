/**
 * The full-count reliability run of RELIABILITY.md: the tier 1 CrashFS campaign and its five
 * mutants at full scale, then 500+ SIGKILLs per subject (compiled binary, Deno source, Bun
 * source), and 300 lock handovers between Deno and Bun; then tier 9 for archive, restore and
 * prune: their CrashFS campaign and its mutants, and 200 SIGKILLs per subject. Prints the
 * figures; exits 1 if any promise was broken. Not a test.
 *
 *   deno run -A scripts/crash.ts [--kills 500] [--scale 4] [--only binary,deno,bun] [--no-crashfs]
 *     [--lock-rounds 300] [--archive-kills 200]
 */
import * as fs from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { initRuntime } from "../lib/runtime/runtime.ts";
import { runCrashFsCampaign } from "../tests/reliability/crashfs_campaign.ts";
import { type KillFigures, runKillCampaign } from "../tests/reliability/kill_campaign.ts";
import { runLockRounds } from "../tests/reliability/lock_rounds.ts";
import { runArchiveCampaign } from "../tests/reliability/archive_campaign.ts";
import { runArchiveKillCampaign } from "../tests/reliability/archive_kill_campaign.ts";
import { BINARY, SUBJECTS } from "../tests/reliability/proto_process.ts";
import {
  ARCHIVE_MUTANTS,
  type ArchiveMutant,
  withMutant,
  WRITER_MUTANTS,
} from "../tests/reliability/source_mutants.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    kills: { type: "string", default: "500" },
    scale: { type: "string", default: "4" },
    only: { type: "string", default: "binary,deno,bun" },
    "no-crashfs": { type: "boolean", default: false },
    seed: { type: "string", default: "20261126" },
    "lock-rounds": { type: "string", default: "300" },
    "archive-kills": { type: "string", default: "200" },
  },
});
const kills = Number(values.kills);
const scale = Number(values.scale);
const seed = Number(values.seed);
const broken: string[] = [];

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function crashFsTier(): Promise<void> {
  let started = performance.now();
  const figures = await runCrashFsCampaign({ scale, seed });
  console.log(
    `tier 1 CrashFS (scale ${scale}): ${figures.images} images checked ` +
      `(${figures.recoveryImages} while recovering), ${figures.crashPoints} crash points, ` +
      `${figures.workloads} workloads, ${figures.ackedItemsVerified} acknowledged items ` +
      `verified, ${figures.violations.length} violations (${seconds(started)})`,
  );
  for (const v of figures.violations.slice(0, 5)) broken.push(`CrashFS: ${JSON.stringify(v)}`);
  started = performance.now();
  let caught = 0;
  const mutants = Object.values(WRITER_MUTANTS);
  for (const mutant of mutants) {
    const found = await withMutant(
      mutant,
      (writers) => runCrashFsCampaign({ scale, seed, writers, stopAfter: 1 }),
    );
    const verdict = found.violations.length > 0 ? "caught" : "SURVIVED";
    if (found.violations.length > 0) caught++;
    else broken.push(`mutant ${mutant.name} survived tier 1`);
    console.log(`  mutant ${mutant.name}: ${verdict} ${found.violations[0]?.invariant ?? ""}`);
  }
  console.log(`tier 1 mutants: ${caught} of ${mutants.length} caught (${seconds(started)})`);
}

function killLine(f: KillFigures, started: number): string {
  return `tier 2 kills (${f.subject}): ${f.kills} kills, ${f.midWrite} mid-write ` +
    `(${(100 * f.midWrite / Math.max(1, f.kills)).toFixed(0)}%), ${f.unackedOnDisk} with ` +
    `unacknowledged items on disk, ${f.ackedVerified} acknowledged items verified, ` +
    `${f.itemsChecked} items checked, ${f.validateRuns} validate runs, ${f.resumesChecked} ` +
    `resumes, ${f.problems.length} problems (${seconds(started)})`;
}

async function killTier(): Promise<void> {
  if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: run "npm run build" first`);
  const only = new Set(values.only.split(","));
  const total = { kills: 0, midWrite: 0, acked: 0 };
  for (const [index, subject] of SUBJECTS.entries()) {
    if (!only.has(subject.name)) continue;
    const started = performance.now();
    const figures = await runKillCampaign({
      subject,
      kills,
      seed: seed + index,
      onKill: (f) => {
        if (f.kills % 50 === 0) console.error(`  ${subject.name}: ${f.kills} kills`);
      },
    });
    console.log(killLine(figures, started));
    broken.push(...figures.problems);
    total.kills += figures.kills;
    total.midWrite += figures.midWrite;
    total.acked += figures.ackedVerified;
  }
  console.log(
    `tier 2 total: ${total.kills} kills, ${total.midWrite} mid-write, ${total.acked} ` +
      `acknowledged items verified`,
  );
}

async function lockTier(rounds: number): Promise<void> {
  const started = performance.now();
  const f = await runLockRounds({ rounds });
  console.log(
    `tier 6 locking (Deno and Bun in turn): ${f.rounds} rounds, ${f.refused} refused with ` +
      `locked naming the holder, ${f.takenOver} taken over after kill -9, slowest refusal ` +
      `${f.slowestRefusalMs.toFixed(1)} ms, ${f.problems.length} problems (${seconds(started)})`,
  );
  broken.push(...f.problems);
}

/** The archive mutants the tier 9 campaign must catch (the others break the recipe test). */
const CAMPAIGN_MUTANTS: readonly ArchiveMutant[] = [
  "unlink_before_rename",
  "no_sync_before_rename",
  "plain_first",
];

/** Tier 9: archive, restore, a write to an archive and prune on CrashFS, then under SIGKILL. */
async function archiveTier(kills: number): Promise<void> {
  let started = performance.now();
  if (!values["no-crashfs"]) {
    const f = await runArchiveCampaign({ scale, seed });
    console.log(
      `tier 9 CrashFS (scale ${scale}): ${f.images} images (${f.midway} mid-way), ` +
        `${f.crashPoints} crash points, ${f.workloads} workloads, ${f.recoveries} reruns, ` +
        `${f.violations.length} violations (${seconds(started)})`,
    );
    for (const v of f.violations.slice(0, 5)) broken.push(`archive CrashFS: ${JSON.stringify(v)}`);
    for (const mutant of CAMPAIGN_MUTANTS) {
      const found = await withMutant(
        ARCHIVE_MUTANTS[mutant],
        (writers) => runArchiveCampaign({ scale, seed, writers, stopAfter: 1 }),
      );
      if (found.violations.length === 0) broken.push(`archive mutant ${mutant} survived`);
      console.log(`  mutant ${mutant}: ${found.violations.length > 0 ? "caught" : "SURVIVED"}`);
    }
  }
  if (kills <= 0) return;
  if (!fs.existsSync(BINARY)) throw new Error(`${BINARY} is missing: run "npm run build" first`);
  const only = new Set(values.only.split(","));
  for (const [index, subject] of SUBJECTS.entries()) {
    if (!only.has(subject.name)) continue;
    started = performance.now();
    const f = await runArchiveKillCampaign({ subject, kills, seed: seed + index });
    console.log(
      `tier 9 kills (${f.subject}): ${f.kills} kills (${f.stepKills} at a rename or unlink), ` +
        `${f.midway} mid-way, ${f.archives} archives, ${f.appends} appends restoring, ` +
        `${f.prunes} prunes, ${f.problems.length} problems (${seconds(started)})`,
    );
    broken.push(...f.problems);
  }
}

/** Runs a tier; a tier that throws is a broken promise too, and the others still run. */
async function tier(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    broken.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

await initRuntime();
if (!values["no-crashfs"]) await tier("tier 1", crashFsTier);
if (kills > 0) await tier("tier 2", killTier);
const lockRounds = Number(values["lock-rounds"]);
if (lockRounds > 0) await tier("tier 6", () => lockTier(lockRounds));
await tier("tier 9", () => archiveTier(Number(values["archive-kills"])));
for (const problem of broken) console.log(`BROKEN: ${problem}`);
console.log(broken.length === 0 ? "all promises held" : `${broken.length} broken promises`);
process.exitCode = broken.length === 0 ? 0 : 1;

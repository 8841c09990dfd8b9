import assert from "node:assert/strict";
import { test } from "node:test";
import { skipReason } from "../helpers.ts";
import { runCrashFsCampaign } from "./crashfs_campaign.ts";
import type { Invariant } from "./invariants.ts";
import { runArchiveCampaign } from "./archive_campaign.ts";
import {
  ARCHIVE_MUTANTS,
  type ArchiveMutant,
  sourceMutantsSkip,
  withMutant,
  WRITER_MUTANTS,
  type WriterMutant,
} from "./source_mutants.ts";

const skip = skipReason("mutants_test.ts", sourceMutantsSkip());

/** Each mutant of RELIABILITY.md tier 1 and the invariant that must expose it. */
const MUTANTS: [WriterMutant, Invariant][] = [
  ["ack_before_sync", "no_loss"],
  ["no_sync_before_rename", "readable"],
  ["no_folder_sync", "no_loss"],
  ["no_tail_cut", "writable"],
  ["no_line_end_added", "writable"],
];

test("MUTANTS lists every writer mutant of source_mutants.ts", () => {
  assert.deepEqual(MUTANTS.map(([m]) => m).sort(), Object.keys(WRITER_MUTANTS).sort());
});

for (const [mutant, invariant] of MUTANTS) {
  test(`runCrashFsCampaign() catches the mutant "${mutant}" (${invariant})`, { skip }, async () => {
    const figures = await withMutant(
      WRITER_MUTANTS[mutant],
      (writers) => runCrashFsCampaign({ scale: 1, seed: 7, writers, stopAfter: 5 }),
    );
    const found = new Set(figures.violations.map((v) => v.invariant));
    assert.ok(figures.violations.length > 0, `the mutant "${mutant}" survived`);
    assert.ok(found.has(invariant), `"${mutant}" broke only ${[...found].join(", ")}`);
  });
}

test("runCrashFsCampaign() catches every mutant at another seed", { skip }, async () => {
  let caught = 0;
  for (const [mutant] of MUTANTS) {
    const figures = await withMutant(
      WRITER_MUTANTS[mutant],
      (writers) => runCrashFsCampaign({ scale: 1, seed: 11, writers, stopAfter: 1 }),
    );
    if (figures.violations.length > 0) caught++;
  }
  assert.equal(caught, MUTANTS.length);
  console.log(`mutants: ${caught} of ${MUTANTS.length} caught`);
});

// Never skipped: in Stryker's sandbox this is what must catch Stryker's own mutants.
test("runCrashFsCampaign() passes the real writer at that seed", async () => {
  const real = await runCrashFsCampaign({ scale: 1, seed: 11 });
  assert.deepEqual(real.violations, []);
  console.log(`real writer: ${real.images} images, 0 violations`);
});

/** Each deliberate bug of archive, restore and prune, caught by the archive campaign. */
const CAMPAIGN_MUTANTS: ArchiveMutant[] = [
  "unlink_before_rename",
  "no_sync_before_rename",
  "plain_first",
];

for (const mutant of CAMPAIGN_MUTANTS) {
  test(`runArchiveCampaign() catches the mutant "${mutant}"`, { skip }, async () => {
    const figures = await withMutant(
      ARCHIVE_MUTANTS[mutant],
      (writers) => runArchiveCampaign({ scale: 1, seed: 7, writers, stopAfter: 1 }),
    );
    assert.equal(figures.violations.length, 1, `the mutant "${mutant}" survived`);
  });
}

import assert from "node:assert/strict";
import { test } from "node:test";
import type { WriterMutant } from "../../lib/store/sink.ts";
import { runCrashFsCampaign } from "./crashfs_campaign.ts";
import type { Invariant } from "./invariants.ts";
import { type CampaignMutant, runArchiveCampaign } from "./archive_campaign.ts";

/** Each mutant of RELIABILITY.md tier 1 and the invariant that must expose it. */
const MUTANTS: [WriterMutant, Invariant][] = [
  ["ack_before_sync", "no_loss"],
  ["no_sync_before_rename", "readable"],
  ["no_folder_sync", "no_loss"],
  ["no_tail_cut", "writable"],
  ["no_line_end_added", "writable"],
];

for (const [mutant, invariant] of MUTANTS) {
  test(`runCrashFsCampaign() catches the mutant "${mutant}" (${invariant})`, async () => {
    const figures = await runCrashFsCampaign({ scale: 1, seed: 7, mutant, stopAfter: 5 });
    const found = new Set(figures.violations.map((v) => v.invariant));
    assert.ok(figures.violations.length > 0, `the mutant "${mutant}" survived`);
    assert.ok(found.has(invariant), `"${mutant}" broke only ${[...found].join(", ")}`);
  });
}

test("runCrashFsCampaign() catches every mutant and passes the real writer", async () => {
  let caught = 0;
  for (const [mutant] of MUTANTS) {
    const figures = await runCrashFsCampaign({ scale: 1, seed: 11, mutant, stopAfter: 1 });
    if (figures.violations.length > 0) caught++;
  }
  const real = await runCrashFsCampaign({ scale: 1, seed: 11 });
  assert.deepEqual(real.violations, []);
  assert.equal(caught, MUTANTS.length);
  console.log(
    `mutants: ${caught} of ${MUTANTS.length} caught; real writer: ${real.images} images, 0 violations`,
  );
});

/** Each deliberate bug of archive, restore and prune, caught by the archive campaign. */
const ARCHIVE_MUTANTS: CampaignMutant[] = [
  "unlink_before_rename",
  "no_sync_before_rename",
  "plain_first",
];

for (const mutant of ARCHIVE_MUTANTS) {
  test(`runArchiveCampaign() catches the mutant "${mutant}"`, async () => {
    const figures = await runArchiveCampaign({ scale: 1, seed: 7, mutant, stopAfter: 1 });
    assert.equal(figures.violations.length, 1, `the mutant "${mutant}" survived`);
  });
}

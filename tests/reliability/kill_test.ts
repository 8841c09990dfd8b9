import assert from "node:assert/strict";
import { test } from "node:test";
import { runKillCampaign } from "./kill_campaign.ts";
import { processTierSkip } from "./process_tier_gate.ts";
import { SUBJECTS } from "./proto_process.ts";
import { setup } from "../helpers.ts";

const skip = processTierSkip("kill_test.ts");
const KILLS = 100;
/**
 * At least this share of the kills must land inside a write (leaving a torn tail or a stray
 * temporary file), or the campaign proves nothing about torn writes. Half the kills are aimed
 * at writes (a worker kills when it sees the file at a page boundary mid-copy); measured here
 * 34-47 of 100 kills per subject landed inside a write. 10 per 100 sits more than five
 * standard deviations below that (binomial, p = 0.34): a campaign that stops reaching writes
 * fails (kills at random moments alone hit 0 to 2 writes in 30 in early runs); an unlucky run
 * does not.
 */
const MIN_MID_WRITE_SHARE = 0.1;

for (const [index, subject] of SUBJECTS.entries()) {
  test(`rollout proto (${subject.name}) keeps every acknowledged item through ${KILLS} SIGKILLs`, {
    skip,
  }, async () => {
    await setup();
    const figures = await runKillCampaign({ subject, kills: KILLS, seed: 20261126 + index });
    console.log(`kill_test ${subject.name}: ${JSON.stringify(figures)}`);
    assert.deepEqual(figures.problems, []);
    assert.equal(figures.kills, KILLS);
    assert.equal(figures.validateRuns, KILLS);
    assert.ok(figures.resumesChecked >= 1, "no chain ended with a resume by the library");
    assert.ok(
      figures.midWrite >= MIN_MID_WRITE_SHARE * KILLS,
      `only ${figures.midWrite} of ${KILLS} kills landed inside a write`,
    );
    assert.ok(figures.ackedVerified > KILLS, `only ${figures.ackedVerified} acknowledged items`);
  });
}

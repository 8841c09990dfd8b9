import assert from "node:assert/strict";
import { test } from "node:test";
import { runLockRounds } from "./lock_rounds.ts";
import { processTierSkip } from "./process_tier_gate.ts";
import { setup } from "../helpers.ts";

const skip = processTierSkip("lock_tier_test.ts");
/** RELIABILITY.md asks for 100; they take seconds, so CI runs them all (scripts/crash.ts 300). */
const ROUNDS = 100;

test(
  `rollout proto on Deno and Bun: ${ROUNDS} lock handovers, refused at once with locked, free after kill -9`,
  {
    skip,
  },
  async () => {
    await setup();
    const figures = await runLockRounds({ rounds: ROUNDS });
    console.log(`lock_tier_test: ${JSON.stringify(figures)}`);
    assert.deepEqual(figures.problems, []);
    assert.deepEqual(
      { rounds: figures.rounds, refused: figures.refused, takenOver: figures.takenOver },
      { rounds: ROUNDS, refused: ROUNDS, takenOver: ROUNDS },
    );
    // A refusal that waited for the lock would take as long as the holder lives (forever here).
    assert.ok(figures.slowestRefusalMs < 2000, `a refusal took ${figures.slowestRefusalMs} ms`);
  },
);

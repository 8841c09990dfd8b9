import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT, skipReason } from "../helpers.ts";

const BUN = path.join(ROOT, "node_modules", ".bin", "bun");
const CHILD = path.join(ROOT, "tests", "runtime", "jit_child.ts");
const noBun = skipReason(CHILD, !fs.existsSync(BUN) && `${BUN} is missing (npm ci)`);

/** The scales jit_child.ts saw asked of `Bun.unsafe.setJITPolicy` after `mode` (or null). */
function asked(mode: string): number[] | null {
  const run = spawnSync(BUN, [CHILD, mode], { encoding: "utf8", timeout: 20_000 });
  assert.equal(run.status, 0, `${mode}: ${run.stderr}${run.error?.message ?? ""}`);
  return JSON.parse(run.stdout) as number[] | null;
}

test("the JIT's normal thresholds come back once 8 MiB were read, not before, and once", {
  skip: noBun,
}, () => {
  assert.deepEqual(asked("none"), []);
  assert.deepEqual(asked("counted"), [1]);
  assert.deepEqual(asked("short"), []);
  assert.deepEqual(asked("twice"), [1]);
  assert.deepEqual(asked("again"), [1]);
  // Counted by the readers themselves, in the bytes they read: a rollout's lines, a document.
  assert.deepEqual(asked("rollout"), [1]);
  assert.deepEqual(asked("small"), []);
  assert.deepEqual(asked("document"), [1]);
});

test(
  "the JIT's normal thresholds come back for output made late, in a process that lives on, and in the parse thread",
  {
    skip: noBun,
  },
  () => {
    assert.deepEqual(asked("late"), [1]);
    const early = asked("early");
    // null: the child had already run 100 ms before it could write (a loaded machine).
    if (early === null) console.log(`${CHILD}: "early" not checked: the child started late`);
    else assert.deepEqual(early, []);
    assert.deepEqual(asked("timer"), [1]);
    assert.deepEqual(asked("parser"), [1]);
    // The timer keeps nothing alive: a process done sooner ends at once (20 s would kill it).
    assert.deepEqual(asked("unref"), []);
  },
);

test("the binary is built with the JIT reluctant at start-up", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const scale = /--compile-jit-policy=(\d+)/.exec(pkg.scripts.build)?.[1];
  assert.ok(Number(scale) > 1, pkg.scripts.build);
});

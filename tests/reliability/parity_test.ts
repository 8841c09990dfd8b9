import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parityItems } from "./parity_items.ts";
import { processTierSkip } from "./process_tier_gate.ts";
import { BUN, DENO, SUBJECTS } from "./proto_process.ts";
import { runCommand } from "./run_command.ts";
import { recordOneTraced } from "./syscall_recipe.ts";
import { STRACE } from "./strace_faults.ts";
import { ROOT, setup, tempDir } from "../helpers.ts";

const skip = processTierSkip("parity_test.ts");
const CHILD = path.join(ROOT, "tests", "reliability", "parity_child.ts");
const RUNTIMES = { deno: [DENO, "run", "-A", CHILD], bun: [BUN, CHILD] } as const;

async function child(runtime: keyof typeof RUNTIMES, args: string[]): Promise<string> {
  const [command, ...prefix] = RUNTIMES[runtime];
  const result = await runCommand(command, [...prefix, ...args]);
  assert.equal(result.code, 0, `${runtime} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

for (const format of ["jsonl", "json"] as const) {
  test(
    `RolloutRecorder on Deno and on Bun write byte-identical ${format} files that both read identically`,
    {
      skip,
    },
    async () => {
      const { dir, cleanup } = tempDir("rollout-parity-");
      try {
        const files = {
          deno: path.join(dir, `deno.${format}`),
          bun: path.join(dir, `bun.${format}`),
        };
        await child("deno", ["write", files.deno, format]);
        await child("bun", ["write", files.bun, format]);
        assert.ok(
          fs.readFileSync(files.deno).equals(fs.readFileSync(files.bun)),
          "the files differ",
        );
        const reads = [
          await child("deno", ["read", files.deno]),
          await child("bun", ["read", files.deno]),
          await child("deno", ["read", files.bun]),
          await child("bun", ["read", files.bun]),
        ];
        assert.deepEqual(reads.slice(1), [reads[0], reads[0], reads[0]]);
        const read = JSON.parse(reads[0]!) as { saved: { items: unknown[]; state: unknown } };
        assert.deepEqual(read.saved.items, parityItems().map((g) => g.item));
        assert.deepEqual(read.saved.state, { previous_response_id: "resp_1" });
      } finally {
        cleanup();
      }
    },
  );
}

const JOURNAL_RECIPE = ["open rollout for append", "write rollout", "fdatasync rollout", "ack"];
const REPLACE_RECIPE = [
  "create temp exclusively",
  "write temp",
  "fsync temp",
  "close temp",
  "rename temp over rollout",
  "open folder",
  "fsync folder",
  "close folder",
  "ack",
];

const straceSkip = skip === false && !fs.existsSync(STRACE) ? `${STRACE} is missing` : skip;
if (straceSkip !== skip) console.log(`parity_test.ts: syscall recipes skipped: ${straceSkip}`);

for (const subject of SUBJECTS) {
  test(
    `rollout proto (${subject.name}) follows the append and atomic replace recipes, syscall by syscall`,
    {
      skip: straceSkip,
    },
    async () => {
      await setup();
      for (
        const [format, recipe] of [["jsonl", JOURNAL_RECIPE], ["json", REPLACE_RECIPE]] as const
      ) {
        const { dir, cleanup } = tempDir("rollout-recipe-");
        try {
          assert.deepEqual(await recordOneTraced(subject, { dir, format }), recipe);
        } finally {
          cleanup();
        }
      }
    },
  );
}

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { ROOT, skipReason } from "../helpers.ts";
import {
  ARCHIVE_MUTANTS,
  patched,
  SCRATCH,
  type SourceMutant,
  sourceMutantsSkip,
  withMutant,
  WRITER_MUTANTS,
} from "./source_mutants.ts";
import { REAL_WRITERS } from "./writers.ts";

const skip = skipReason("source_mutants_test.ts", sourceMutantsSkip());
const ALL = [...Object.values(WRITER_MUTANTS), ...Object.values(ARCHIVE_MUTANTS)];

/** This process's copies of `name` still on disk. */
function copiesOf(name: string): string[] {
  const names = fs.existsSync(SCRATCH) ? fs.readdirSync(SCRATCH) : [];
  return names.filter((entry) => entry.startsWith(`${name}-${process.pid}-`));
}

test("every source mutant still finds each of its texts exactly once in lib/", { skip }, () => {
  const problems: string[] = [];
  for (const mutant of ALL) {
    const texts = new Map<string, string>();
    for (const patch of mutant.patches) {
      if (patch.replace === patch.find) problems.push(`"${mutant.name}" changes nothing`);
      const text = texts.get(patch.file) ?? fs.readFileSync(path.join(ROOT, patch.file), "utf8");
      try {
        texts.set(patch.file, patched(text, mutant.name, patch));
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("patched() refuses a text found twice or not at all, naming the mutant and the file", () => {
  const patch = { file: "lib/x.ts", find: "sync();", replace: "" };
  assert.equal(patched("open(); sync(); close();", "m", patch), "open();  close();");
  assert.throws(() => patched("sync(); sync();", "twice", patch), {
    message:
      'Cannot apply mutant "twice" to lib/x.ts: the text to replace occurs 2 times, expected once (the code changed: update the mutant): "sync();"',
  });
  assert.throws(() => patched("open();", "gone", patch), {
    message:
      'Cannot apply mutant "gone" to lib/x.ts: the text to replace occurs 0 times, expected once (the code changed: update the mutant): "sync();"',
  });
});

test("withMutant() refuses a stale mutant before running anything and leaves no copy", async () => {
  const stale: SourceMutant = {
    name: "stale_probe",
    bug: "a patch whose text the code no longer has",
    patches: [{ file: "lib/store/journal_sink.ts", find: "no such text", replace: "" }],
  };
  let ran = false;
  await assert.rejects(
    withMutant(stale, () => {
      ran = true;
      return Promise.resolve();
    }),
    {
      message:
        'Cannot apply mutant "stale_probe" to lib/store/journal_sink.ts: the text to replace occurs 0 times, expected once (the code changed: update the mutant): "no such text"',
    },
  );
  assert.equal(ran, false);
  assert.deepEqual(copiesOf("stale_probe"), []);
});

test("withMutant() runs the patched copy's writers and removes the copy, also when they fail", {
  skip,
}, async () => {
  const mutant = WRITER_MUTANTS.no_tail_cut;
  const { file, find } = mutant.patches[0]!;
  const seen = await withMutant(mutant, (writers) => {
    const copies = copiesOf(mutant.name);
    const copy = fs.readFileSync(path.join(SCRATCH, copies[0]!, file), "utf8");
    return Promise.resolve({
      copies: copies.length,
      copyPatched: !copy.includes(find),
      libUntouched: fs.readFileSync(path.join(ROOT, file), "utf8").includes(find),
      recorderOfCopy: writers.RolloutRecorder !== REAL_WRITERS.RolloutRecorder,
      archiveOfCopy: writers.archiveRollout !== REAL_WRITERS.archiveRollout,
    });
  });
  assert.deepEqual(seen, {
    copies: 1,
    copyPatched: true,
    libUntouched: true,
    recorderOfCopy: true,
    archiveOfCopy: true,
  });
  assert.deepEqual(copiesOf(mutant.name), []);
  await assert.rejects(
    withMutant(mutant, () => Promise.reject(new Error("the campaign failed"))),
    { message: "the campaign failed" },
  );
  assert.deepEqual(copiesOf(mutant.name), []);
});

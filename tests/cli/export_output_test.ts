/**
 * `export -o FILE` when it fails: the reason is said as it is, and no file is left behind to
 * stand in the way of the next try.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { writeBigRollout } from "../../scripts/big_rollout.ts";
import { mountTinyTmpfs } from "../reliability/tiny_tmpfs.ts";
import { setup, skipReason, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";

test("export -o of a file that is no rollout says why, leaves no file, and says the same again", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const notes = path.join(dir, "notes.txt");
    fs.writeFileSync(notes, "these are my notes\n");
    for (const to of ["md", "html", "json"]) {
      const out = path.join(dir, `out.${to}`);
      const first = await cli(["export", notes, "--to", to, "-o", out]);
      assert.equal(first.code, 1, to);
      assert.equal(first.stdout, "", to);
      // The rollout is what failed, not the writing of the output.
      assert.match(
        first.stderr,
        /^rollout: Cannot load rollout "[^"]*notes\.txt": not a rollout/,
        to,
      );
      assert.doesNotMatch(first.stderr, /Cannot write/, to);
      assert.equal(fs.existsSync(out), false, `${to}: ${out} was left behind`);
      // Again: the same answer, not "the file exists".
      assert.deepEqual(await cli(["export", notes, "--to", to, "-o", out]), first, to);
    }
  } finally {
    cleanup();
  }
});

const mounted = mountTinyTmpfs(64);
const noTmpfs = "refused" in mounted ? mounted.refused : false;
if (!("refused" in mounted)) mounted.release();
const skip = skipReason("export_output_test.ts", noTmpfs);

test(
  "export -o onto a full disk says the disk is full, and leaves no half file",
  { skip },
  async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    const disk = mountTinyTmpfs(64);
    if ("refused" in disk) throw new Error(disk.refused);
    try {
      // 3 MiB of rollout: the disk is full while the rollout is still being read (the output
      // is written a MiB at a time), not only at the last write.
      const rollout = path.join(dir, "big.jsonl");
      writeBigRollout(rollout, 3 * 1024 * 1024);
      for (const to of ["html", "md"]) {
        const out = path.join(disk.dir, `out.${to}`);
        const result = await cli(["export", rollout, "--to", to, "-o", out]);
        assert.equal(result.code, 1, to);
        assert.match(
          result.stderr,
          new RegExp(`^rollout: Cannot write "${out}": the disk is full.*\\(ENOSPC[^)]*\\)\n$`),
          to,
        );
        assert.deepEqual(fs.readdirSync(disk.dir), [], to);
      }
    } finally {
      disk.release();
      cleanup();
    }
  },
);

/**
 * SPEC §7: every command that reads a rollout does so in bounded memory. The compiled binary
 * runs each command over generated Codex rollouts of 96 MiB and 320 MiB (long lines:
 * screenshots, big tool outputs, compactions), its peak resident size read by
 * `/usr/bin/time`. The bound is counted above the same command on a session of two turns (what
 * the runtime and the program take by themselves): at most 64 MiB plus twice the longest
 * line, and no more than 16 MiB apart between the two files, so memory does not grow with the
 * file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { test } from "node:test";
import { writeBigRollout } from "../../scripts/big_rollout.ts";
import { markFixture, tempDir } from "../helpers.ts";
import { processTierSkip } from "./process_tier_gate.ts";
import { BINARY } from "./proto_process.ts";

const TIME = "/usr/bin/time";
const MiB = 1024 * 1024;

function skipReason(): string | false {
  const tier = processTierSkip("memory_test.ts");
  if (tier !== false) return tier;
  if (!fs.existsSync(TIME)) {
    const reason = `${TIME} is missing (Debian package "time"; .ci/run installs it)`;
    console.log(`memory_test.ts: skipped: ${reason}`);
    return reason;
  }
  return false;
}

const skip = skipReason();

/** The peak resident size of `rollout ARGS` in bytes; stdout to /dev/null or through a pipe. */
function peak(args: string[], dir: string, options: { pipe?: boolean } = {}): number {
  const report = path.join(dir, "time.txt");
  const command = [TIME, "-f", "%M", "-o", report, BINARY, ...args].map(quote).join(" ");
  const run = spawnSync("sh", [
    "-c",
    options.pipe ? `${command} | cat >/dev/null` : `${command} >/dev/null`,
  ], {
    encoding: "utf8",
    cwd: dir,
  });
  assert.equal(run.status, 0, `rollout ${args.join(" ")}: ${run.stderr}`);
  const kib = Number(fs.readFileSync(report, "utf8").trim().split("\n").at(-1));
  assert.ok(kib > 0, `no peak for rollout ${args.join(" ")}`);
  return kib * 1024;
}

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

test(
  "every reading command stays within 64 MiB plus twice the longest line, whatever the file size",
  {
    skip,
    timeout: 600_000,
  },
  () => {
    const { dir, cleanup } = tempDir();
    try {
      const tiny = markFixture(path.join(dir, "tiny.jsonl"));
      writeBigRollout(tiny, 100 * 1024);
      const small = markFixture(path.join(dir, "small.jsonl"));
      writeBigRollout(small, 96 * MiB);
      const large = markFixture(path.join(dir, "large.jsonl"));
      const made = writeBigRollout(large, 320 * MiB);
      assert.ok(made.longestLine > 256 * 1024 && made.compactions >= 4);
      const bound = 64 * MiB + 2 * made.longestLine;
      const commands: { name: string; args: (file: string) => string[]; pipe?: boolean }[] = [
        { name: "validate", args: (f) => ["validate", f] },
        { name: "show", args: (f) => ["show", f] },
        { name: "load", args: (f) => ["load", f] },
        { name: "load (through a pipe)", args: (f) => ["load", f], pipe: true },
        { name: "load --all", args: (f) => ["load", "--all", f], pipe: true },
        { name: "export --to md", args: (f) => ["export", "--to", "md", f] },
        { name: "export --to html", args: (f) => ["export", "--to", "html", f] },
        { name: "export --to json", args: (f) => ["export", "--to", "json", f], pipe: true },
        { name: "export --to jsonl", args: (f) => ["export", "--to", "jsonl", f], pipe: true },
        {
          name: "convert --to jsonl",
          args: (f) => ["convert", "--to", "jsonl", "-o", `${f}.copy.jsonl`, f],
        },
        {
          name: "convert --to json",
          args: (f) => ["convert", "--to", "json", "-o", `${f}.copy.json`, f],
        },
        { name: "fork --at 3", args: (f) => ["fork", "--at", "3", "--home", dir, f] },
        { name: "repair", args: (f) => ["repair", f] },
      ];
      const rows: string[] = [];
      for (const command of commands) {
        if (command.name === "repair") {
          // Damage to repair: a torn last line.
          for (const f of [tiny, small, large]) fs.appendFileSync(f, '{"timestamp":"2026');
        }
        const options = command.pipe === true ? { pipe: true } : {};
        const base = peak(command.args(tiny), dir, options);
        const atSmall = peak(command.args(small), dir, options);
        const atLarge = peak(command.args(large), dir, options);
        for (const f of [tiny, small, large]) {
          for (const extra of [`${f}.copy.jsonl`, `${f}.copy.json`]) {
            fs.rmSync(extra, {
              force: true,
            });
          }
        }
        rows.push(
          `${command.name}: ${(base / MiB).toFixed(0)} MiB alone, +${
            ((atSmall - base) / MiB).toFixed(0)
          } MiB at 96 MiB, +${((atLarge - base) / MiB).toFixed(0)} MiB at 320 MiB`,
        );
        assert.ok(
          atLarge - base <= bound,
          `${command.name}: ${((atLarge - base) / MiB).toFixed(1)} MiB above its start, bound ${
            (bound / MiB).toFixed(1)
          } MiB`,
        );
        assert.ok(
          atLarge - atSmall <= 16 * MiB,
          `${command.name}: ${
            ((atLarge - atSmall) / MiB).toFixed(1)
          } MiB more for a file 3 times larger`,
        );
      }
      // Codex's compressed rollouts: unpacked piece by piece into a temporary file, then read.
      for (const f of [tiny, small, large]) {
        fs.writeFileSync(`${f}.zst`, zlib.zstdCompressSync(fs.readFileSync(f)));
      }
      for (const name of ["validate", "show", "export"]) {
        const args = (f: string) =>
          name === "export" ? ["export", "--to", "md", `${f}.zst`] : [name, `${f}.zst`];
        const base = peak(args(tiny), dir);
        const atSmall = peak(args(small), dir);
        const atLarge = peak(args(large), dir);
        rows.push(
          `${name} of a .jsonl.zst: +${((atSmall - base) / MiB).toFixed(0)} MiB at 96 MiB, +${
            ((atLarge - base) / MiB).toFixed(0)
          } MiB at 320 MiB`,
        );
        assert.ok(
          atLarge - base <= bound,
          `${name} .zst: ${((atLarge - base) / MiB).toFixed(1)} MiB`,
        );
        assert.ok(
          atLarge - atSmall <= 16 * MiB,
          `${name} .zst grew ${((atLarge - atSmall) / MiB).toFixed(1)} MiB`,
        );
      }
      // The session index: built from nothing over a home holding the file (SPEC §8).
      for (const name of ["search", "du"]) {
        const args = (f: string) => {
          const home = path.join(dir, `home-${path.basename(f)}-${name}`);
          fs.mkdirSync(path.join(home, "sessions"), { recursive: true });
          fs.copyFileSync(f, path.join(home, "sessions", "rollout.jsonl"));
          return name === "search"
            ? ["search", "screenshot", "--home", home]
            : ["du", "--home", home];
        };
        const base = peak(args(tiny), dir);
        const atSmall = peak(args(small), dir);
        const atLarge = peak(args(large), dir);
        rows.push(
          `${name} (indexing the home first): +${
            ((atSmall - base) / MiB).toFixed(0)
          } MiB at 96 MiB, +${((atLarge - base) / MiB).toFixed(0)} MiB at 320 MiB`,
        );
        assert.ok(atLarge - base <= bound, `${name}: ${((atLarge - base) / MiB).toFixed(1)} MiB`);
        assert.ok(
          atLarge - atSmall <= 16 * MiB,
          `${name} grew ${((atLarge - atSmall) / MiB).toFixed(1)} MiB`,
        );
      }
      console.log(
        `peak resident size (bound ${(bound / MiB).toFixed(1)} MiB):\n  ${rows.join("\n  ")}`,
      );
    } finally {
      cleanup();
    }
  },
);

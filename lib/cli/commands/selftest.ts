/**
 * `rollout selftest`: checks, on the file system of the home, what rollout's guarantees rely
 * on, prints each check with its verdict and timing, and leaves nothing behind.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { describe } from "../../schemas/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf } from "./context.ts";
import { type CheckResult, fileSystemOf, runChecks } from "./selftest_checks.ts";

/** The home, or its nearest existing parent when it does not exist yet. */
function existingAncestor(dir: string): string {
  let at = dir;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}

function describeCheck(r: CheckResult): string {
  const status = r.ok ? "pass" : "FAIL";
  return `${status}  ${r.name} (${Math.round(r.ms)} ms): ${r.detail}`;
}

/** Runs `rollout selftest`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { json: { type: "boolean" } },
    positionals: { min: 0, max: 0 },
  });
  const home = homeOf(args, io);
  const root = existingAncestor(home);
  const fsType = fileSystemOf(fs.realpathSync(root));
  // A folder rollout cannot write in fails at once, with one clear line.
  try {
    fs.rmSync(fs.mkdtempSync(path.join(root, ".rollout-selftest-")), { recursive: true });
  } catch (error) {
    const message = `Cannot test "${root}": no folder can be created there (${describe(error)})`;
    if (args.flag("json")) {
      await io.stdout.write(
        `${
          JSON.stringify(
            { root, file_system: fsType, ok: false, error: message, checks: [] },
            null,
            2,
          )
        }\n`,
      );
    } else await io.stderr.write(`rollout: ${message}\n`);
    return 1;
  }
  const results = await runChecks(root);
  const failed = results.filter((r) => !r.ok).length;
  if (args.flag("json")) {
    const checks = results.map((r) => ({ ...r, ms: Math.round(r.ms * 100) / 100 }));
    await io.stdout.write(
      `${JSON.stringify({ root, file_system: fsType, ok: failed === 0, checks }, null, 2)}\n`,
    );
  } else {
    const lines = [
      `rollout selftest in ${root} (${fsType})`,
      ...results.map(describeCheck),
      `${results.length} checks: ${results.length - failed} passed, ${failed} failed`,
    ];
    await io.stdout.write(`${lines.join("\n")}\n`);
  }
  return failed === 0 ? 0 : 1;
}

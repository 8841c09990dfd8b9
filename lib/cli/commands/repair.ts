/** `rollout repair`: rewrites a damaged rollout with what can be read; prints what was dropped. */
import type { Io } from "../../runtime/mod.ts";
import { repairRollout, resolveSession } from "../../session/mod.ts";
import { Progress } from "./progress.ts";
import { parseCommandArgs } from "./args.ts";
import { counted, homeOf } from "./context.ts";

/** Runs `rollout repair`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, { flags: {}, positionals: { min: 1, max: 1, name: "PATH" } });
  const file = resolveSession(args.positionals[0]!, { home: homeOf(args, io), cwd: io.cwd });
  const progress = new Progress(io);
  let result;
  try {
    result = await repairRollout(file, { pid: io.pid, now: new Date(), progress: progress.tick });
  } finally {
    progress.done();
  }
  const format = result.loaded.format;
  if (result.original === null) {
    await io.stdout.write(
      `Nothing to repair in ${file} (${format}, ${counted(result.kept, "item")})\n`,
    );
    return 0;
  }
  const lines = [
    `Repaired ${file} (${format}): kept ${
      counted(result.kept, "item")
    }, dropped ${result.dropped.length}:`,
    ...result.dropped.map((d) => `  ${d}`),
    ...result.fixed.map((f) => `  ${f}`),
    `The original is kept as ${result.original}`,
  ];
  await io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

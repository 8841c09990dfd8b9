/** `rollout load`: prints the SavedSession as pretty JSON; damage goes to stderr. */
import type { Io } from "../../runtime/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { loadReported, SESSION_FLAGS, sessionPathOf } from "./context.ts";

/** Runs `rollout load`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, { flags: SESSION_FLAGS, positionals: { min: 0, max: 1 } });
  const loaded = await loadReported(sessionPathOf(args, io), io);
  await io.stdout.write(`${JSON.stringify(loaded.saved, null, 2)}\n`);
  return 0;
}

/**
 * `rollout load`: prints the SavedSession (the effective history) as pretty JSON, or every
 * item with `--all`; damage goes to stderr.
 */
import type { Io } from "../../runtime/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { loadReported, SESSION_FLAGS, sessionPathOf } from "./context.ts";

/** Runs `rollout load`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FLAGS, all: { type: "boolean" } },
    positionals: { min: 0, max: 1 },
  });
  const all = args.flag("all");
  const loaded = await loadReported(sessionPathOf(args, io), io, { all });
  // --all: every response item of the file rather than the effective history (SPEC §6), and
  // the file's records counted by type.
  const out = all
    ? { ...loaded.saved, items: loaded.allItems ?? loaded.saved.items, records: loaded.recordTypes }
    : loaded.saved;
  await io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}

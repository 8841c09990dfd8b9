/**
 * `rollout show`: a readable transcript of every item, with markers where Codex's history was
 * compacted or rolled back; colour on a terminal unless NO_COLOR is set.
 */
import type { Io } from "../../runtime/mod.ts";
import { renderTranscript, wantsColour } from "../../transcript/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { loadReported, SESSION_FLAGS, sessionPathOf } from "./context.ts";

/** Runs `rollout show`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, { flags: SESSION_FLAGS, positionals: { min: 0, max: 1 } });
  const loaded = await loadReported(sessionPathOf(args, io), io, { timeline: true });
  const text = renderTranscript(loaded.saved, {
    colour: wantsColour(io.stdout.isTTY, io.env),
    path: loaded.path,
    format: loaded.format,
    ...(loaded.timeline === undefined ? {} : { timeline: loaded.timeline }),
    ...(loaded.turnInstructions === undefined ? {} : { turnInstructions: loaded.turnInstructions }),
  });
  await io.stdout.write(text);
  return 0;
}

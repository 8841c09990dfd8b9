/**
 * `rollout show`: a readable transcript of every item, with markers where Codex's history was
 * compacted or rolled back; colour on a terminal unless NO_COLOR is set. Written as the file
 * is read, so a rollout of any size is shown in bounded memory (SPEC §7).
 */
import type { Io } from "../../runtime/mod.ts";
import { streamRollout } from "../../formats/mod.ts";
import { TranscriptWriter, wantsColour } from "../../transcript/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { reportDamage, SESSION_FLAGS, sessionPathOf } from "./context.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { Progress } from "./progress.ts";

/** Runs `rollout show`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, { flags: SESSION_FLAGS, positionals: { min: 0, max: 1 } });
  const file = sessionPathOf(args, io);
  const colour = wantsColour(io.stdout.isTTY, io.env);
  const out = new OutputBuffer(io);
  const progress = new Progress(io, { stdout: true });
  let writer: TranscriptWriter | null = null;
  const loaded = await streamRollout(file, {
    history: "count",
    progress: progress.tick,
    visit: {
      meta: (meta, _raw, format) => {
        writer = new TranscriptWriter({ colour, path: file, format });
        out.add(writer.header(meta));
      },
      timeline: (entry) => out.add(writer!.entry(entry)),
    },
    between: () => out.flushIfFull(),
  });
  out.add(writer!.end(loaded.saved.state));
  await out.flush();
  progress.done();
  await reportDamage(io, loaded);
  return 0;
}

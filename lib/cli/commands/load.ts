/**
 * `rollout load`: prints the SavedSession (the effective history) as pretty JSON, or every
 * item with `--all`; damage goes to stderr. Written as the file is read, so a session of any
 * size is printed in bounded memory (SPEC §7).
 */
import type { Io } from "../../runtime/mod.ts";
import { streamRollout } from "../../formats/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { reportDamage } from "./context.ts";
import { SESSION_FROM_FLAGS, sessionSourceOf } from "./fleet_context.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { Progress } from "./progress.ts";
import { PrettySessionWriter, streamSession } from "./session_stream.ts";

/** Runs `rollout load`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FROM_FLAGS, all: { type: "boolean" } },
    positionals: { min: 0, max: 1 },
  });
  const source = await sessionSourceOf(args, io);
  try {
    return await loadFile(source.file, args.flag("all"), io);
  } finally {
    source.done();
  }
}

/** Prints the session of `file` (every item with `all`). */
async function loadFile(file: string, all: boolean, io: Io): Promise<number> {
  const writer = new PrettySessionWriter();
  if (!all) {
    await streamSession(file, io, {
      begin: (first) => writer.begin(first.saved.session),
      item: (item) => writer.item(item),
      end: (first) => writer.end({ state: first.saved.state }),
    });
    return 0;
  }
  // --all: every response item of the file in one read, rather than the effective history
  // (SPEC §6), then the state and the file's records counted by type.
  const out = new OutputBuffer(io);
  const progress = new Progress(io, { stdout: true });
  const loaded = await streamRollout(file, {
    history: "count",
    progress: progress.tick,
    visit: {
      meta: (meta) => out.add(writer.begin(meta)),
      item: (item) => out.add(writer.item(item)),
    },
    between: () => out.flushIfFull(),
  });
  out.add(writer.end({ state: loaded.saved.state, records: loaded.recordTypes }));
  await out.flush();
  progress.done();
  await reportDamage(io, loaded);
  return 0;
}

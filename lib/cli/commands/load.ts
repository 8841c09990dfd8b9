/**
 * `rollout load`: prints the SavedSession (the effective history) as pretty JSON, or every
 * item with `--all`; damage goes to stderr. Written as the file is read, so a session of any
 * size is printed in bounded memory (SPEC §7).
 */
import type { Io } from "../../runtime/mod.ts";
import { type LoadedRollout, streamRollout } from "../../formats/mod.ts";
import { visible } from "../../base/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { counted, reportDamage } from "./context.ts";
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
  return await source.read(() => loadFile(source.file, args.flag("all"), source.io));
}

/** Prints the session of `file` (every item with `all`). */
async function loadFile(file: string, all: boolean, io: Io): Promise<number> {
  const writer = new PrettySessionWriter();
  if (!all) {
    const loaded = await streamSession(file, io, {
      begin: (first) => writer.begin(first.saved.session),
      item: (item) => writer.item(item),
      end: (first) => writer.end({ state: first.saved.state }),
    });
    const note = historyNote(loaded);
    if (note !== null) await io.stderr.write(note);
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

/**
 * Where the effective history printed differs from the file's items, and why (SPEC §6): a note
 * on stderr (not a warning: nothing is wrong), or null when it does not differ.
 */
export function historyNote(loaded: LoadedRollout): string | null {
  const history = loaded.report.history;
  if (history === undefined) return null;
  const why = [
    [history.compacted, "superseded by compaction"],
    [history.rolled_back, "removed by rollback"],
    [history.inherited, "inherited from the parent session"],
  ].filter(([n]) => n !== 0).map(([n, what]) => `${n} ${what}`);
  const file = visible(loaded.path, { oneLine: true });
  return `rollout: note: "${file}": the history holds ${counted(loaded.itemCount, "item")} (${
    why.join(", ")
  }); --all prints every item of the file\n`;
}

/**
 * `rollout show`: a readable transcript of every item, with markers where Codex's history was
 * compacted or rolled back; colour on a terminal unless NO_COLOR is set. Written as the file
 * is read, so a rollout of any size is shown in bounded memory (SPEC §7). `--at N` starts at
 * the file's Nth response item, the number `search` gives a hit.
 */
import type { Io } from "../../runtime/mod.ts";
import { RolloutError } from "../../schemas/mod.ts";
import { streamRollout, type TimelineEntry } from "../../formats/mod.ts";
import { redactShown, TranscriptWriter, wantsColour } from "../../transcript/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { reportDamage } from "./context.ts";
import { SESSION_FROM_FLAGS, sessionSourceOf } from "./fleet_context.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { Progress } from "./progress.ts";
import { REDACT_FLAGS, redactorOf, reportRedacted } from "./redaction_note.ts";
import { UsageError } from "./usage_error.ts";

/** The line in place of what `--at N` passes over, in the colour of the history markers. */
function passedOver(at: number, colour: boolean): string {
  const text = `── ${at - 1} item(s) passed over: the transcript starts at item ${at} ──`;
  return `\n${colour ? `\x1b[1;35m${text}\x1b[0m` : text}\n`;
}

/** Runs `rollout show`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FROM_FLAGS, ...REDACT_FLAGS, at: { type: "string" } },
    positionals: { min: 0, max: 1 },
  });
  // Secrets are replaced unless --no-redact (SPEC §9); what was replaced is said on stderr.
  const redactor = redactorOf(args);
  const at = args.integer("at");
  if (at === 0) throw new UsageError('option "--at" counts items from 1, got "0"');
  const source = await sessionSourceOf(args, io);
  return await source.read(() => showFile(source.file, source.shown, at, redactor, source.io));
}

/** Writes the transcript of `file` (named `shown`), from item `at` when given. */
async function showFile(
  file: string,
  shown: string,
  at: number | undefined,
  redactor: ReturnType<typeof redactorOf>,
  io: Io,
): Promise<number> {
  const clean = <T>(value: T): T => redactor === null ? value : redactor.value(value);
  // Secrets are searched for only in what is shown (the note counts those).
  const cleanEntry = (entry: TimelineEntry) =>
    redactor === null ? entry : redactShown(entry, (value) => redactor.value(value));
  const colour = wantsColour(io.stdout.isTTY, io.env);
  const out = new OutputBuffer(io);
  const progress = new Progress(io, { stdout: true });
  let writer: TranscriptWriter | null = null;
  // The file's own response items so far: `search` numbers its hits the same way.
  let items = 0;
  const from = at ?? 0;
  const loaded = await streamRollout(file, {
    history: "count",
    progress: progress.tick,
    visit: {
      meta: (meta, _raw, format) => {
        writer = new TranscriptWriter({ colour, path: shown, format });
        out.add(writer.header(clean(meta)));
      },
      timeline: (entry) => {
        if (entry.kind === "item" && ++items === at) out.add(passedOver(at, colour));
        if (items >= from) out.add(writer!.entry(cleanEntry(entry)));
      },
    },
    between: () => out.flushIfFull(),
  });
  if (at !== undefined && items < at) {
    await out.flush();
    progress.done();
    await reportDamage(io, loaded);
    throw new RolloutError(
      "invalid_argument",
      `Cannot show item ${at} of "${shown}": it has ${items} item(s), counted from 1 in file order`,
    );
  }
  out.add(writer!.end(clean(loaded.saved.state)));
  await out.flush();
  progress.done();
  await reportDamage(io, loaded);
  await reportRedacted(io, redactor);
  return 0;
}

/**
 * `rollout export`: Markdown, an HTML page, the SavedSession document or journal lines, to
 * stdout or -o.
 */
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { replayHistory } from "../../formats/mod.ts";
import { MarkdownWriter } from "../../transcript/mod.ts";
import { parseCommandArgs } from "./args.ts";
import type { ParsedArgs } from "./args.ts";
import { homeOf, writeNewFile } from "./context.ts";
import { SESSION_FROM_FLAGS, type SessionSource, sessionSourceOf } from "./fleet_context.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { REDACT_FLAGS, redactorOf, reportRedacted } from "./redaction_note.ts";
import { UsageError } from "./usage_error.ts";
import { PrettySessionWriter, streamSession } from "./session_stream.ts";
import { copyLinesTo, copyMeta, readForCopy, writeCopy } from "./write_copy.ts";

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      ...SESSION_FROM_FLAGS,
      ...REDACT_FLAGS,
      to: { type: "string" },
      output: { type: "string", short: "o" },
    },
    positionals: { min: 0, max: 1 },
  });
  // Secrets are replaced unless --no-redact (SPEC §9); what was replaced is said on stderr.
  const redactor = redactorOf(args);
  const to = args.choice("to", ["md", "html", "json", "jsonl"] as const);
  if (to === undefined) throw new UsageError('missing option "--to md|html|json|jsonl"');
  const output = args.string("output");
  const target = output === undefined ? undefined : path.resolve(io.cwd, output);
  const source = await sessionSourceOf(args, io);
  return await source.read(() =>
    exportSession(source, { args, io: source.io, to, target, redactor })
  );
}

/** Writes the session of `source` in the format `to`, to `target` or stdout. */
async function exportSession(
  source: SessionSource,
  options: {
    args: ParsedArgs;
    io: Io;
    to: "md" | "html" | "json" | "jsonl";
    target: string | undefined;
    redactor: ReturnType<typeof redactorOf>;
  },
): Promise<number> {
  const { args, io, to, target, redactor } = options;
  const clean = <T>(value: T): T => redactor === null ? value : redactor.value(value);
  const file = source.file;
  if (to === "html") {
    // Loaded only here: the page reads the token usage with the session index's tracker.
    const { exportHtml } = await import("./export_html.ts");
    const id = await exportHtml(file, io, {
      ...(target === undefined ? {} : { target }),
      redactor,
      shown: source.shown,
    });
    if (target !== undefined) await io.stdout.write(`Exported session ${id} to ${target}\n`);
    await reportRedacted(io, redactor);
    return 0;
  }
  if (target === undefined && to !== "jsonl") {
    // Written as the file is read, in bounded memory (SPEC §7).
    if (to === "md") {
      const writer = new MarkdownWriter();
      await streamSession(file, io, {
        begin: (first) =>
          writer.header(clean(first.saved.session), first.itemCount, clean(first.saved.state)),
        item: (item) => writer.item(clean(item)),
        end: () => writer.end(),
      });
    } else {
      const writer = new PrettySessionWriter();
      await streamSession(file, io, {
        begin: (first) => writer.begin(clean(first.saved.session)),
        item: (item) => writer.item(clean(item)),
        end: (first) => writer.end({ state: clean(first.saved.state) }),
      });
    }
    await reportRedacted(io, redactor);
    return 0;
  }
  const src = await readForCopy(file, io, {
    stdout: target === undefined,
    redactor,
    lines: to === "jsonl",
  });
  const id = src.first.saved.session.id;
  if (target !== undefined && to !== "md") {
    const copy = await writeCopy(src, { home: homeOf(args, io), format: to, target, io });
    await io.stdout.write(`Exported session ${id} to ${copy.path}\n`);
    await reportRedacted(io, redactor);
    return 0;
  }
  if (to === "jsonl") {
    // The lossless copy's lines, written as the file is read.
    const out = new OutputBuffer(io);
    const { meta } = copyMeta(src, { now: new Date(), cwd: io.cwd });
    await copyLinesTo(src, (text) => out.add(text), {
      meta: clean(meta),
      between: () => out.flushIfFull(),
    });
    await out.flush();
    await reportRedacted(io, redactor);
    return 0;
  }
  // Markdown to a file: a new file, synced, never over an existing one.
  const writer = new MarkdownWriter();
  const { first } = src;
  await writeNewFile(target!, async (put, between) => {
    put(writer.header(clean(first.saved.session), first.itemCount, clean(first.saved.state)));
    await replayHistory(first, {
      between,
      item: (item) => put(writer.item(clean(item))),
      progress: src.progress.phase("writing"),
    });
    src.progress.done();
    put(writer.end());
  });
  await io.stdout.write(`Exported session ${id} to ${target}\n`);
  await reportRedacted(io, redactor);
  return 0;
}

/** `rollout export`: Markdown, the SavedSession document or journal lines, to stdout or -o. */
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { MarkdownWriter, renderMarkdown } from "../../transcript/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf, loadReported, SESSION_FLAGS, sessionPathOf, writeNewFile } from "./context.ts";
import { UsageError } from "./usage_error.ts";
import { PrettySessionWriter, streamSession } from "./session_stream.ts";
import { copyLines, writeCopy } from "./write_copy.ts";

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FLAGS, to: { type: "string" }, output: { type: "string", short: "o" } },
    positionals: { min: 0, max: 1 },
  });
  const to = args.choice("to", ["md", "json", "jsonl"] as const);
  if (to === undefined) throw new UsageError('missing option "--to md|json|jsonl"');
  const output = args.string("output");
  const target = output === undefined ? undefined : path.resolve(io.cwd, output);
  const file = sessionPathOf(args, io);
  if (target === undefined && to !== "jsonl") {
    // Written as the file is read, in bounded memory (SPEC §7).
    if (to === "md") {
      const writer = new MarkdownWriter();
      await streamSession(file, io, {
        begin: (first) => writer.header(first.saved.session, first.itemCount, first.saved.state),
        item: (item) => writer.item(item),
        end: () => writer.end(),
      });
    } else {
      const writer = new PrettySessionWriter();
      await streamSession(file, io, {
        begin: (first) => writer.begin(first.saved.session),
        item: (item) => writer.item(item),
        end: (first) => writer.end({ state: first.saved.state }),
      });
    }
    return 0;
  }
  const loaded = await loadReported(file, io, { records: to === "jsonl" });
  const saved = loaded.saved;
  if (target !== undefined && to !== "md") {
    const copy = await writeCopy(loaded, { home: homeOf(args, io), format: to, target, io });
    await io.stdout.write(`Exported session ${saved.session.id} to ${copy.path}\n`);
    return 0;
  }
  let text: string;
  switch (to) {
    case "md":
      text = renderMarkdown(saved);
      break;
    case "json":
      text = `${JSON.stringify(saved, null, 2)}\n`;
      break;
    case "jsonl":
      text = copyLines(loaded, { now: new Date(), cwd: io.cwd }).text;
      break;
  }
  if (target === undefined) {
    await io.stdout.write(text);
    return 0;
  }
  writeNewFile(target, text);
  await io.stdout.write(`Exported session ${saved.session.id} to ${target}\n`);
  return 0;
}

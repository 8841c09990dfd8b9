/** `rollout convert`: a copy of a session in the journal or document format. */
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { RolloutError } from "../../schemas/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { counted, homeOf, SESSION_FLAGS, sessionPathOf } from "./context.ts";
import { UsageError } from "./usage_error.ts";
import { readForCopy, writeCopy } from "./write_copy.ts";

/** Where a converted copy goes by default: beside the source, with the new extension. */
export function defaultTarget(source: string, to: "jsonl" | "json"): string {
  const base = source.replace(/\.jsonl?$/, "");
  return `${base}.${to}`;
}

/** Runs `rollout convert`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FLAGS, to: { type: "string" }, output: { type: "string", short: "o" } },
    positionals: { min: 0, max: 1 },
  });
  const to = args.choice("to", ["jsonl", "json"] as const);
  if (to === undefined) throw new UsageError('missing option "--to jsonl|json"');
  const source = await sessionPathOf(args, io);
  const output = args.string("output");
  const target = output === undefined ? defaultTarget(source, to) : path.resolve(io.cwd, output);
  // A journal is copied in one read, after a first look at its first lines.
  const src = await readForCopy(source, io, { lines: to === "jsonl" });
  const loaded = src.first;
  // A journal copied to a journal still has a purpose (filled meta, inherited history inlined);
  // a document copied to a document has none.
  if (to === "json" && loaded.format === "document") {
    throw new RolloutError(
      "invalid_argument",
      `Cannot convert "${loaded.path}": it is already a document; nothing to do`,
    );
  }
  const copy = await writeCopy(src, { home: homeOf(args, io), format: to, target, io });
  const format = to === "jsonl" ? "journal" : "document";
  let text = `Converted ${loaded.path} (${loaded.format}) to ${copy.path} (${format}, ${
    counted(copy.source.itemCount, "item")
  })\n`;
  if (copy.filled.length > 0) text += `Filled in for Codex: ${copy.filled.join(", ")}\n`;
  if (copy.left !== null) text += `Left out (a document holds only the history): ${copy.left}\n`;
  await io.stdout.write(text);
  return 0;
}

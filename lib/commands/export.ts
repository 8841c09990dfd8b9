/** `rollout export`: Markdown, the SavedSession document or journal lines, to stdout or -o. */
import * as path from "node:path";
import { encodeLine, statePayload } from "../encode.ts";
import type { Io } from "../io.ts";
import { renderMarkdown } from "../markdown_transcript.ts";
import type { SavedSession } from "../saved_session.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf, loadReported, SESSION_FLAGS, sessionPathOf, writeNewFile } from "./context.ts";
import { UsageError } from "./usage_error.ts";
import { writeCopy } from "./write_copy.ts";

/** The session as journal lines (SPEC §2.1), every line stamped with the meta's time. */
export function journalText(saved: SavedSession): string {
  const timestamp = saved.session.timestamp;
  let ordinal = 0;
  let text = encodeLine("journal", {
    kind: "session_meta",
    payload: JSON.stringify(saved.session),
    timestamp,
    ordinal: ordinal++,
  });
  for (const item of saved.items) {
    text += encodeLine("journal", {
      kind: "response_item",
      payload: JSON.stringify(item),
      timestamp,
      ordinal: ordinal++,
    });
  }
  if (saved.state.previous_response_id !== undefined) {
    text += encodeLine("journal", {
      kind: "state",
      payload: statePayload(saved.state),
      timestamp,
      ordinal,
    });
  }
  return text;
}

/** Runs `rollout export`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FLAGS, to: { type: "string" }, output: { type: "string", short: "o" } },
    positionals: { min: 0, max: 1 },
  });
  const to = args.choice("to", ["md", "json", "jsonl"] as const);
  if (to === undefined) throw new UsageError('missing option "--to md|json|jsonl"');
  const output = args.string("output");
  const target = output === undefined ? undefined : path.resolve(io.cwd, output);
  const loaded = await loadReported(sessionPathOf(args, io), io);
  const saved = loaded.saved;
  if (target !== undefined && to !== "md") {
    const copy = await writeCopy(saved, { home: homeOf(args, io), format: to, target, io });
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
      text = journalText(saved);
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

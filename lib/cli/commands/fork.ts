/** `rollout fork`: a new session holding the first N items of another, naming its parent. */
import { VERSION } from "../../base/mod.ts";
import type { Io } from "../../runtime/mod.ts";
import { RolloutError } from "../../schemas/mod.ts";
import { UUID } from "../../store/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf, SESSION_FLAGS, sessionJson, sessionPathOf } from "./context.ts";
import { readForCopy, writeCopy } from "./write_copy.ts";

/** Runs `rollout fork`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      ...SESSION_FLAGS,
      at: { type: "string" },
      format: { type: "string" },
      json: { type: "boolean" },
    },
    positionals: { min: 0, max: 1 },
  });
  const at = args.integer("at");
  const format = args.choice("format", ["jsonl", "json"] as const) ?? "jsonl";
  // A whole journal copy reads the file once, after a look at its first lines; a cut needs
  // the count first.
  const src = await readForCopy(await sessionPathOf(args, io), io, {
    lines: at === undefined && format === "jsonl",
  });
  const loaded = src.first;
  const parent = loaded.saved.session;
  if (at !== undefined && at > loaded.itemCount) {
    throw new RolloutError(
      "invalid_argument",
      `Cannot fork "${loaded.path}" at item ${at}: it has only ${loaded.itemCount} items`,
    );
  }
  // The fork is written by rollout: its originator and version are ours, not the parent's.
  const { id: _id, timestamp: _ts, originator: _o, cli_version: _v, ...inherited } = loaded.rawMeta;
  const writer = { originator: "rollout", cli_version: VERSION };
  // Codex reads `forked_from_id` as a thread id, a UUID: a parent with another id (the 2025
  // format's, a TypeScript document's) is not named there, or Codex could not read the meta.
  const named = UUID.test(parent.id);
  const copy = await writeCopy(src, {
    home: homeOf(args, io),
    format,
    io,
    meta: { ...inherited, ...writer, ...(named ? { forked_from_id: parent.id } : {}) },
    ...(at === undefined ? {} : { keep: at }),
  });
  const total = copy.source.itemCount;
  const keep = at ?? total;
  if (args.flag("json")) {
    await io.stdout.write(sessionJson(copy.id, copy.path));
    return 0;
  }
  let text =
    `Forked session ${parent.id} at item ${keep} of ${total}\nCreated session ${copy.id}\n${copy.path}\n`;
  if (copy.filled.length > 0) text += `Filled in for Codex: ${copy.filled.join(", ")}\n`;
  if (!named) {
    text += `Parent not named in forked_from_id: its id ${
      JSON.stringify(parent.id)
    } is no UUID, which Codex requires there\n`;
  }
  await io.stdout.write(text);
  return 0;
}

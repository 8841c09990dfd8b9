/** `rollout fork`: a new session holding the first N items of another, naming its parent. */
import type { Io } from "../../runtime/mod.ts";
import { RolloutError } from "../../schemas/mod.ts";
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
  const src = await readForCopy(sessionPathOf(args, io), io, {
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
  const { id: _id, timestamp: _ts, originator: _o, cli_version: _v, ...inherited } = loaded.rawMeta;
  const copy = await writeCopy(src, {
    home: homeOf(args, io),
    format,
    io,
    meta: { ...inherited, forked_from_id: parent.id },
    ...(at === undefined ? {} : { keep: at }),
  });
  const total = copy.source.itemCount;
  const keep = at ?? total;
  await io.stdout.write(
    args.flag("json")
      ? sessionJson(copy.id, copy.path)
      : `Forked session ${parent.id} at item ${keep} of ${total}\nCreated session ${copy.id}\n${copy.path}\n`,
  );
  return 0;
}

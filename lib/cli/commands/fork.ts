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
  const src = await readForCopy(sessionPathOf(args, io), io);
  const loaded = src.first;
  const parent = loaded.saved.session;
  const total = loaded.itemCount;
  if (at !== undefined && at > total) {
    throw new RolloutError(
      "invalid_argument",
      `Cannot fork "${loaded.path}" at item ${at}: it has only ${total} items`,
    );
  }
  const keep = at ?? total;
  const { id: _id, timestamp: _ts, originator: _o, cli_version: _v, ...inherited } = loaded.rawMeta;
  const copy = await writeCopy(src, {
    home: homeOf(args, io),
    format,
    io,
    meta: { ...inherited, forked_from_id: parent.id },
    keep,
  });
  await io.stdout.write(
    args.flag("json")
      ? sessionJson(copy.id, copy.path)
      : `Forked session ${parent.id} at item ${keep} of ${total}\nCreated session ${copy.id}\n${copy.path}\n`,
  );
  return 0;
}

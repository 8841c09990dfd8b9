/** `rollout fork`: a new session holding the first N items of another, naming its parent. */
import type { Io } from "../../runtime/mod.ts";
import { RolloutError } from "../../schemas/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf, loadReported, SESSION_FLAGS, sessionJson, sessionPathOf } from "./context.ts";
import { forkRecords, writeCopy } from "./write_copy.ts";

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
  const loaded = await loadReported(sessionPathOf(args, io), io, { records: true });
  const parent = loaded.saved;
  const total = parent.items.length;
  if (at !== undefined && at > total) {
    throw new RolloutError(
      "invalid_argument",
      `Cannot fork "${loaded.path}" at item ${at}: it has only ${total} items`,
    );
  }
  const keep = at ?? total;
  const { id: _id, timestamp: _ts, originator: _o, cli_version: _v, ...inherited } = loaded.rawMeta;
  const copy = await writeCopy(loaded, {
    home: homeOf(args, io),
    format,
    io,
    meta: { ...inherited, forked_from_id: parent.session.id },
    records: forkRecords(loaded, keep),
    saved: { items: parent.items.slice(0, keep), state: keep === total ? parent.state : {} },
  });
  await io.stdout.write(
    args.flag("json")
      ? sessionJson(copy.id, copy.path)
      : `Forked session ${parent.session.id} at item ${keep} of ${total}\nCreated session ${copy.id}\n${copy.path}\n`,
  );
  return 0;
}

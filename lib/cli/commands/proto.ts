/** `rollout proto`: parses the op stream's flags and hands over to `runProto` (SPEC §4). */
import type { Io } from "../../runtime/mod.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../../formats/mod.ts";
import { runProto } from "../../proto/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf } from "./context.ts";
import { UsageError } from "./usage_error.ts";

/** Runs `rollout proto`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      format: { type: "string" },
      "no-fsync": { type: "boolean" },
      "max-line-bytes": { type: "string" },
      redact: { type: "boolean" },
    },
    positionals: { min: 0, max: 0 },
  });
  const maxLineBytes = args.integer("max-line-bytes") ?? DEFAULT_MAX_LINE_BYTES;
  if (maxLineBytes < 1) throw new UsageError('option "--max-line-bytes" must be at least 1');
  return await runProto({
    home: homeOf(args, io),
    format: args.choice("format", ["jsonl", "json"] as const) ?? "jsonl",
    sync: !args.flag("no-fsync"),
    maxLineBytes,
    redact: args.flag("redact"),
  }, io);
}

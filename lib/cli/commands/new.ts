/** `rollout new`: creates an empty session and prints its id and path. */
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { RolloutRecorder } from "../../store/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf, sessionJson } from "./context.ts";
import { UsageError } from "./usage_error.ts";

/** Runs `rollout new`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      format: { type: "string" },
      instructions: { type: "string" },
      cwd: { type: "string" },
      json: { type: "boolean" },
      redact: { type: "boolean" },
    },
    positionals: { min: 0, max: 0 },
  });
  const format = args.choice("format", ["jsonl", "json"] as const) ?? "jsonl";
  const instructions = args.string("instructions");
  const given = args.string("cwd");
  if (given === "") throw new UsageError('option "--cwd" needs a folder, got ""');
  const cwd = path.resolve(io.cwd, given ?? ".");
  const recorder = await RolloutRecorder.create({
    home: homeOf(args, io),
    format,
    meta: instructions === undefined ? { cwd } : { instructions, cwd },
    pid: io.pid,
    // Kept in the session's meta: every later writer of it redacts too.
    redact: args.flag("redact"),
  });
  await recorder.close();
  const file = recorder.path!;
  await io.stdout.write(
    args.flag("json")
      ? sessionJson(recorder.id, file)
      : `Created session ${recorder.id}${
        recorder.redacts ? " (secrets are redacted)" : ""
      }\n${file}\n`,
  );
  return 0;
}

/** `rollout state`: sets or clears a session's previous_response_id, durably. */
import type { Io } from "../../runtime/mod.ts";
import { RolloutRecorder } from "../../store/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { reportDamage, reportRestored, SESSION_FLAGS, sessionPathOf } from "./context.ts";
import { UsageError } from "./usage_error.ts";

/** Runs `rollout state`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      ...SESSION_FLAGS,
      "previous-response-id": { type: "string" },
      clear: { type: "boolean" },
    },
    positionals: { min: 0, max: 1 },
  });
  const id = args.string("previous-response-id");
  const clear = args.flag("clear");
  if ((id === undefined) === !clear) {
    throw new UsageError('give exactly one of "--previous-response-id ID" and "--clear"');
  }
  const file = await sessionPathOf(args, io);
  const { recorder, loaded, restored } = await RolloutRecorder.resume(file, { pid: io.pid });
  await reportRestored(io, restored, recorder.path);
  await reportDamage(io, loaded);
  try {
    await recorder.recordState(id === undefined ? {} : { previous_response_id: id });
  } finally {
    await recorder.close();
  }
  await io.stdout.write(
    id === undefined
      ? `Cleared previous_response_id of session ${recorder.id}\n`
      : `Set previous_response_id of session ${recorder.id} to ${id}\n`,
  );
  return 0;
}

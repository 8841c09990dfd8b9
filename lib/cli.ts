/**
 * The command line (SPEC §5): parses the arguments, dispatches to a command and returns the
 * exit status (0 ok, 1 failure, 2 usage). Never calls `process.exit`.
 */
import { RolloutError } from "./errors.ts";
import type { Io } from "./io.ts";
import { initRuntime } from "./runtime.ts";
import { VERSION } from "./version.ts";

const USAGE = `rollout ${VERSION}: durable session recording for AI agents

Usage: rollout COMMAND [ARGS] [--home DIR]
  rollout --version | --help | help COMMAND
`;

/** Runs the command line `argv` (without the program name) and returns the exit status. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const [command] = argv;
  if (command === "--version" || command === "-V") {
    await io.stdout.write(`rollout ${VERSION}\n`);
    return 0;
  }
  if (command === undefined || command === "--help" || command === "-h") {
    await io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    await initRuntime();
  } catch (error) {
    if (error instanceof RolloutError) await io.stderr.write(`rollout: ${error.message}\n`);
    throw error;
  }
  await io.stderr.write(`rollout: unknown command "${command}"\n${USAGE}`);
  return 2;
}

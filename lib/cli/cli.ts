/**
 * The command line (SPEC §5): picks the command, loads it on demand and turns its failures
 * into exit statuses (0 ok, 1 failure, 2 usage). Never calls `process.exit`; `--version` and
 * `--help` load nothing but text.
 */
import { RolloutError, VERSION } from "../base/mod.ts";
import type { Io } from "../runtime/mod.ts";
import { commandHelp, COMMANDS, overview } from "./commands/table.ts";
import { UsageError } from "./commands/usage_error.ts";

function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/** Runs the command line `argv` (without the program name) and returns the exit status. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return await outputFailed(error, argv[0] ?? "", io);
  }
}

/**
 * The end of a run whose output could not be written: EPIPE (the reader went away) is no
 * failure; any other errno error is the output itself failing (a full disk, /dev/full, a
 * closed descriptor), since files the commands touch report through RolloutError: one line on
 * stderr where it still works, and status 1. Anything else is a bug and is thrown.
 */
async function outputFailed(error: unknown, name: string, io: Io): Promise<number> {
  const code = typeof error === "object" && error !== null && "code" in error
    ? String((error as { code: unknown }).code)
    : "";
  if (code === "EPIPE") return 0;
  if (!/^E[A-Z]+$/.test(code)) throw error;
  const why = error instanceof Error ? error.message : String(error);
  const what = name === "" || name.startsWith("-") ? "rollout" : `rollout ${name}`;
  try {
    await io.stderr.write(`rollout: Cannot write the output of "${what}": ${why}\n`);
  } catch {
    // stderr is gone too: the exit status is all that is left to say it.
  }
  return 1;
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case "--version":
    case "-V":
      await io.stdout.write(`rollout ${VERSION}\n`);
      return 0;
    case "--help":
    case "-h":
      await io.stdout.write(overview(VERSION));
      return 0;
    case undefined:
      await io.stderr.write(overview(VERSION));
      return 2;
    case "help":
      return await help(rest, io);
  }
  const info = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (info === undefined) {
    await io.stderr.write(
      `rollout: unknown command "${name}"\nRun "rollout --help" for the list of commands.\n`,
    );
    return 2;
  }
  if (wantsHelp(rest)) {
    await io.stdout.write(commandHelp(info));
    return 0;
  }
  try {
    const command = await info.load();
    return await command.main(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      await io.stderr.write(`rollout ${name}: ${error.message}\nUsage: ${info.usage}\n`);
      return 2;
    }
    if (error instanceof RolloutError) {
      await io.stderr.write(`rollout: ${error.message}\n`);
      return 1;
    }
    // Failing output (EPIPE included) is handled once, in run().
    throw error;
  }
}

async function help(topics: readonly string[], io: Io): Promise<number> {
  const [topic] = topics;
  if (topic === undefined) {
    await io.stdout.write(overview(VERSION));
    return 0;
  }
  const info = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
  if (info === undefined || topics.length > 1) {
    await io.stderr.write(
      `rollout help: unknown command "${topics.join(" ")}"\nUsage: rollout help COMMAND\n`,
    );
    return 2;
  }
  await io.stdout.write(commandHelp(info));
  return 0;
}

#!/usr/bin/env -S deno run -A
/** The `rollout` binary: hands the arguments to `run` and exits with its status. */
import process from "node:process";
import { run } from "./lib/cli/mod.ts";
import { inputStillRead, processIo } from "./lib/runtime/mod.ts";

const status = await run(process.argv.slice(2), processIo());
process.exitCode = status;
// `proto` may end (shutdown, a signal) while its parse thread waits in a read of stdin, which
// would keep the process alive until stdin closes; every output was written by now.
if (inputStillRead()) process.exit(status);

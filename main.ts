#!/usr/bin/env -S deno run -A
/** The `rollout` binary: hands the arguments to `run` and exits with its status. */
import process from "node:process";
import { run } from "./lib/cli/mod.ts";
import { inputStillRead, processIo, restoreJitAfter } from "./lib/runtime/mod.ts";

// The binary starts with the JIT reluctant (package.json's build); a process that lives past
// this has long work to do, and gets the JIT's normal thresholds (lib/runtime/jit_policy.ts).
restoreJitAfter(100);
const status = await run(process.argv.slice(2), processIo());
process.exitCode = status;
// `proto` may end (shutdown, a signal) while its parse thread waits in a read of stdin, which
// would keep the process alive until stdin closes; every output was written by now.
if (inputStillRead()) process.exit(status);

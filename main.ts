#!/usr/bin/env -S deno run -A
/** The `rollout` binary: hands the arguments to `run` and exits with its status. */
import process from "node:process";
import { run } from "./lib/cli/mod.ts";
import { inputStillRead, LONG_MS, processIo, restoreJitAfter } from "./lib/runtime/mod.ts";

// The binary starts with the JIT reluctant (package.json's build); a process whose event loop
// still turns after LONG_MS has long work to do, and gets the JIT's normal thresholds
// (lib/runtime/jit_policy.ts).
restoreJitAfter(LONG_MS);
const status = await run(process.argv.slice(2), processIo());
process.exitCode = status;
// `proto` may end (shutdown, a signal) while its parse thread waits in a read of stdin, which
// would keep the process alive until stdin closes; every output was written by now.
if (inputStillRead()) process.exit(status);

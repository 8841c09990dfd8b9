#!/usr/bin/env -S deno run -A
/** The `rollout` binary: hands the arguments to `run` and exits with its status. */
import process from "node:process";
import { run } from "./lib/cli.ts";
import { processIo } from "./lib/process_io.ts";

process.exitCode = await run(process.argv.slice(2), processIo());

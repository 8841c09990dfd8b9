/**
 * The command line: `run(argv, io)` and the commands it loads on demand.
 */
export { run } from "./cli.ts";

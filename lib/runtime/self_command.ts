/**
 * How to start this very program again as a child process: the compiled binary itself, or
 * the runtime with the entry script (Deno needs `run -A`). One of the few modules that read
 * `process`.
 */
import process from "node:process";

/** The command and leading arguments that run `rollout` again. */
export function selfCommand(): { command: string; prefix: string[] } {
  const script = process.argv[1] ?? "";
  // A binary built by `bun build --compile` names its embedded entry under /$bunfs/.
  if (script.startsWith("/$bunfs/") || script === "") {
    return { command: process.execPath, prefix: [] };
  }
  if ("Deno" in globalThis) return { command: process.execPath, prefix: ["run", "-A", script] };
  return { command: process.execPath, prefix: [script] };
}

/**
 * What this process is: how to start it again as a child (the compiled binary itself, or the
 * runtime with the entry script; Deno needs `run -A`), and its user's home folder. One of the
 * few modules that read `process`.
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

/** This user's home folder from the password database, or undefined when there is none. */
export function passwdHome(): string | undefined {
  try {
    // node:os is loaded here, when asked, not at every start of the binary.
    const os = process.getBuiltinModule("node:os") as typeof import("node:os");
    const dir = os.userInfo().homedir;
    return dir === "" ? undefined : dir;
  } catch {
    return undefined;
  }
}

/**
 * Test helper run as a child process: `append_names.ts HOME ID COUNT [--as-codex]` gives
 * session ID the titles `ID title 0` .. `ID title COUNT-1` (padded to make long lines), one
 * call each, then prints `done`. With `--as-codex` each line is appended the way Codex's
 * `append_session_index_entry` does it: O_APPEND, one write, no lock of ours.
 */
import * as fs from "node:fs";
import process from "node:process";
import { initRuntime } from "../../lib/runtime/runtime.ts";
import { sessionIndexPath } from "../../lib/session/thread_names.ts";
import { appendThreadName } from "../../lib/session/thread_name_writer.ts";

const [home, id, count, mode] = process.argv.slice(2);
if (home === undefined || id === undefined || count === undefined) {
  throw new Error("usage: append_names.ts HOME ID COUNT [--as-codex]");
}
await initRuntime();
for (let i = 0; i < Number(count); i++) {
  const title = `${id} title ${i} ${"x".repeat(200)}`;
  if (mode === "--as-codex") {
    const line = { id, thread_name: title, updated_at: new Date().toISOString() };
    fs.appendFileSync(sessionIndexPath(home), `${JSON.stringify(line)}\n`);
  } else appendThreadName(home, { id, title });
}
process.stdout.write("done\n");

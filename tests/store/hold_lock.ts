/**
 * Test helper run as a child process: resumes the rollout named by its argument, prints
 * `holding <pid>` once it holds the writer lock, and keeps it until its stdin ends.
 * If the lock is refused it prints `refused <code>: <message>` and exits with 3. It takes the
 * lock without calling `initRuntime()` first, as the command line does: in Bun, the first lock
 * loads `flock` itself.
 */
import process from "node:process";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
const file = process.argv[2];
if (file === undefined) throw new Error("usage: hold_lock.ts ROLLOUT");
let recorder: RolloutRecorder;
try {
  recorder = (await RolloutRecorder.resume(file)).recorder;
} catch (error) {
  if (!(error instanceof RolloutError)) throw error;
  process.stdout.write(`refused ${error.code}: ${error.message}\n`);
  process.exit(3);
}
process.stdout.write(`holding ${process.pid}\n`);
for await (const _chunk of process.stdin) {
  // Input is ignored: its end is the signal to let go.
}
await recorder.close();
process.stdout.write("released\n");

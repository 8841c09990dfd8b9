/**
 * Run by jit_policy_test.ts in Bun: records each call of `Bun.unsafe.setJITPolicy` (passing
 * it on), does what `process.argv[2]` names, and prints the scales asked, in order, as JSON.
 *   - `none`: nothing;
 *   - `read`: reads that count 8 MiB through memoryRelief, as a long read makes;
 *   - `short`: 7 MiB, not long enough;
 *   - `twice`: 8 MiB, then 8 more;
 *   - `timer`: restoreJitAfter(5), and waits behind a timer that falls due after it;
 *   - `unref`: restoreJitAfter(60000): the process must end at once all the same;
 *   - `parser`: loads the op stream's parse thread module (which then waits for messages: the
 *     process exits once it has printed).
 */
import process from "node:process";

const unsafe = (globalThis as unknown as { Bun: { unsafe: Record<string, unknown> } }).Bun
  .unsafe;
const set = unsafe.setJITPolicy as (scale: number) => void;
const asked: number[] = [];
unsafe.setJITPolicy = (scale: number) => {
  asked.push(scale);
  set(scale);
};

const { memoryRelief, restoreJitAfter } = await import("../../lib/runtime/mod.ts");
const MiB = 1024 * 1024;
const read = (mib: number) => {
  const relieve = memoryRelief();
  for (let i = 0; i < mib; i++) relieve(MiB);
};

switch (process.argv[2]) {
  case "read":
    read(8);
    break;
  case "short":
    read(7);
    break;
  case "twice":
    read(8);
    read(8);
    break;
  case "timer":
    restoreJitAfter(5);
    // Timers fire in the order they fall due: this one after the restore's.
    await new Promise((resolve) => setTimeout(resolve, 20));
    break;
  case "unref":
    restoreJitAfter(60_000);
    break;
  case "parser":
    await import("../../lib/proto/parse_worker.ts");
    break;
}
process.stdout.write(`${JSON.stringify(asked)}\n`);
if (process.argv[2] === "parser") process.exit(0);

/**
 * Run by jit_policy_test.ts in Bun: records each call of `Bun.unsafe.setJITPolicy` (passing
 * it on), does what `process.argv[2]` names, and prints the scales asked, in order, as JSON.
 *   - `none`: nothing;
 *   - `counted`, `short`, `twice`: counts 8 MiB of reading, 7 MiB, 8 MiB twice;
 *   - `again`: restoreJit() twice;
 *   - `rollout`, `small`: reads a generated rollout of 9 MiB, of 1 MiB;
 *   - `document`: reads a `.json` document of 9 MiB;
 *   - `early`, `late`: writes output at once, or once the process has run 150 ms (`early`
 *     prints `[]` only when it ran before 100 ms, else `null`);
 *   - `timer`: restoreJitAfter(5), and waits behind a timer that falls due after it;
 *   - `unref`: restoreJitAfter(60000): the process must end at once all the same;
 *   - `parser`: loads the op stream's parse thread module (which then waits for messages: the
 *     process exits once it has printed).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

const unsafe = (globalThis as unknown as { Bun: { unsafe: Record<string, unknown> } }).Bun
  .unsafe;
const set = unsafe.setJITPolicy as (scale: number) => void;
const asked: number[] = [];
unsafe.setJITPolicy = (scale: number) => {
  asked.push(scale);
  set(scale);
};

const MiB = 1024 * 1024;
const mode = process.argv[2];
const { OutputBuffer } = await import("../../lib/cli/commands/output_buffer.ts");
const output = () => new OutputBuffer({ stdout: { write: async () => {} } } as never);
// Before the other modules load: the process may still be under 100 ms old here.
const early = mode === "early" && performance.now() < 100;
if (early) output().add("x");
const runtime = await import("../../lib/runtime/mod.ts");
const { loadRollout } = await import("../../lib/formats/mod.ts");
const { writeBigRollout } = await import("../../scripts/big_rollout.ts");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-jit-"));
let shown: number[] | null = asked;

try {
  const rollout = (bytes: number) => {
    const file = path.join(dir, "big.jsonl");
    writeBigRollout(file, bytes, { outputBytes: 16 * 1024, imageBytes: 16 * 1024 });
    return file;
  };
  switch (mode) {
    case "counted":
    case "short":
    case "twice":
      for (let i = 0; i < (mode === "short" ? 7 : mode === "twice" ? 16 : 8); i++) {
        runtime.noteRead(MiB);
      }
      break;
    case "again":
      runtime.restoreJit();
      runtime.restoreJit();
      break;
    case "rollout":
    case "small":
      loadRollout(rollout(mode === "small" ? MiB : 9 * MiB), { history: "count" });
      break;
    case "document": {
      const file = path.join(dir, "session.json");
      const items = Array.from({ length: 9 }, () => ({
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: "x".repeat(MiB) }],
      }));
      const session = { id: "019b0000-0000-7000-8000-000000000001", timestamp: "2026-11-01" };
      fs.writeFileSync(file, JSON.stringify({ session, items }));
      loadRollout(file, { history: "count" });
      break;
    }
    case "early":
      if (!early) shown = null;
      break;
    case "late":
      // The condition itself, not a wait for something else: the process has run 150 ms.
      while (performance.now() < 150) continue;
      output().add("x");
      break;
    case "timer":
      runtime.restoreJitAfter(5);
      // Timers fire in the order they fall due: this one after the restore's.
      await new Promise((resolve) => setTimeout(resolve, 20));
      break;
    case "unref":
      runtime.restoreJitAfter(60_000);
      break;
    case "parser":
      await import("../../lib/proto/parse_worker.ts");
      break;
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(shown)}\n`);
if (process.argv[2] === "parser") process.exit(0);

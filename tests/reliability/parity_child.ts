/**
 * Child of the parity tier, run on Deno or Bun: `write FILE jsonl|json` records a fixed
 * session (fixed clock and id, seeded items); `read FILE` prints what loadRollout returns.
 */
import process from "node:process";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { initRuntime } from "../../lib/runtime/runtime.ts";
import { parityItems } from "./parity_items.ts";

const [command, file, format] = process.argv.slice(2);
await initRuntime();
if (command === "write" && file !== undefined && (format === "jsonl" || format === "json")) {
  const recorder = await RolloutRecorder.create({
    home: "/nonexistent",
    path: file,
    format,
    clock: () => new Date("2026-11-26T11:15:28.123Z"),
    meta: { id: "019abc00-0000-7000-8000-00000000a7e1", instructions: "Parity: é中😀" },
  });
  const items = parityItems();
  await recorder.recordItems(items.slice(0, 10).map((g) => g.item));
  await recorder.recordState({ previous_response_id: "resp_1" });
  await Promise.all(items.slice(10).map((g) => recorder.recordItems([g.item])));
  await recorder.close();
} else if (command === "read" && file !== undefined) {
  const { format: read, saved, report } = loadRollout(file);
  process.stdout.write(JSON.stringify({ format: read, saved, report }));
} else {
  process.stderr.write("usage: parity_child.ts write FILE jsonl|json | read FILE\n");
  process.exitCode = 2;
}

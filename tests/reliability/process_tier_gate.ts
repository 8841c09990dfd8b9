/**
 * The process tiers (kills, strace, locking, parity, fuzz through the binary) spawn hundreds of
 * processes; they run under one test runner only (Deno) so `npm test` pays for them once.
 */
import * as fs from "node:fs";
import { runtimeName } from "../../lib/runtime/runtime.ts";
import { BINARY } from "./proto_process.ts";

/** False when the process tiers run here, else the reason they are skipped (printed once). */
export function processTierSkip(file: string): string | false {
  let reason: string | false = false;
  if (runtimeName() !== "deno") {
    reason = "process tiers run once, under `deno test`; `bun test` skips them";
  } else if (!fs.existsSync(BINARY)) reason = `${BINARY} is missing: run \`npm run build\` first`;
  if (reason !== false) console.log(`${file}: skipped: ${reason}`);
  return reason;
}

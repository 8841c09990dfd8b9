/** Shared test helpers: temporary homes, runtime init, reading files back. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initRuntime } from "../lib/runtime/runtime.ts";

/** A fresh temporary folder, removed with `cleanup`. */
export function tempDir(prefix = "rollout-test-"): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Loads the lock implementation of this runtime. */
export async function setup(): Promise<void> {
  await initRuntime();
}

/** A user message item. */
export function userMessage(text: string): Record<string, unknown> {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

/** The file's lines (without the last empty one). */
export function readLines(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The project's root folder. */
export const ROOT = path.resolve(import.meta.dirname ?? ".", "..");

/** Where the next read of `fd` starts, as Linux reports it in /proc/self/fdinfo. */
export function filePosition(fd: number): number {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
  return Number(/^pos:\s*(\d+)/m.exec(info)![1]);
}

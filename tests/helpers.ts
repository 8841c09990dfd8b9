/** Shared test helpers: temporary homes, runtime init, reading files back. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initRuntime } from "../lib/runtime/runtime.ts";
import { codexConformance } from "./formats/codex_model.ts";

/** Files a test wrote itself as fixtures (possibly damaged on purpose): not rollout's work. */
const FIXTURES = new Set<string>();

/** Marks `file` as written by the test, so {@linkcode tempDir}'s check leaves it alone. */
export function markFixture(file: string): string {
  FIXTURES.add(path.resolve(file));
  return file;
}

/**
 * A fresh temporary folder, removed with `cleanup`. Before removing it, every rollout in it
 * that rollout wrote (a meta with `originator: "rollout"`, not a test's own fixture) is checked
 * against Codex's own rules (tests/formats/codex_model.ts: the meta decodes, the paginated
 * ordinals materialize, the resume picker lists a session with a user message), so every file
 * rollout writes in the tests is one Codex reads; a problem fails the test.
 */
export function tempDir(prefix = "rollout-test-"): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    cleanup: () => {
      try {
        const problems = rolloutWrittenFiles(dir)
          .flatMap((file) => codexConformance(file).map((p) => `${file}: ${p}`));
        if (problems.length > 0) {
          throw new Error(`Codex would not read what rollout wrote:\n${problems.join("\n")}`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The `.jsonl` files under `dir` whose meta says rollout wrote them (links not followed). */
function rolloutWrittenFiles(dir: string): string[] {
  const out: string[] = [];
  const visit = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(file);
      if (!entry.isFile() || !entry.name.endsWith(".jsonl") || FIXTURES.has(path.resolve(file))) {
        continue;
      }
      const fd = fs.openSync(file, "r");
      const head = new Uint8Array(4096);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      fs.closeSync(fd);
      const first = new TextDecoder().decode(head.subarray(0, n)).split("\n")[0]!;
      if (first.includes('"originator":"rollout"')) out.push(file);
    }
  };
  if (fs.existsSync(dir)) visit(dir);
  return out;
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

/**
 * A test's skip reason, said out loud: runners print "ignored" or "skip" without the reason
 * (Deno), so the reason goes to the log once, with the file it belongs to.
 */
export function skipReason(file: string, reason: string | false): string | false {
  if (reason !== false) console.log(`${file}: skipped: ${reason}`);
  return reason;
}

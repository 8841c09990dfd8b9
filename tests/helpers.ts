/** Shared test helpers: temporary homes, runtime init, reading files back. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import type { FileSystem } from "../lib/runtime/file_system.ts";
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
 * `fsys` with no writes on their way (no `writeAt`, `writeAtAsync`): a streamed write then
 * writes each buffer in turn, so a test of its syncs ahead sees them start at known points.
 */
export function writingInTurn(fsys: FileSystem): FileSystem {
  const { writeAt: _writeAt, writeAtAsync: _writeAtAsync, ...inTurn } = fsys;
  return inTurn;
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

/** Runs `body` in a new temporary folder (the runtime set up first), removed afterwards. */
export async function inTempDir(
  body: (dir: string) => void | Promise<void>,
  prefix?: string,
): Promise<void> {
  await setup();
  const { dir, cleanup } = tempDir(prefix);
  try {
    await body(dir);
  } finally {
    cleanup();
  }
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

/** A full garbage collection: Bun's, or V8's when Deno runs with --v8-flags=--expose-gc. */
export const collect: (() => void) | null = "Bun" in globalThis
  ? () => (globalThis as unknown as { Bun: { gc(full: boolean): void } }).Bun.gc(true)
  : typeof (globalThis as { gc?: unknown }).gc === "function"
  ? (globalThis as unknown as { gc: () => void }).gc
  : null;

/**
 * A test's skip reason, said out loud: runners print "ignored" or "skip" without the reason
 * (Deno), so the reason goes to the log once, with the file it belongs to.
 */
export function skipReason(file: string, reason: string | false): string | false {
  if (reason !== false) console.log(`${file}: skipped: ${reason}`);
  return reason;
}

/** The compiled binary the process tests run. */
export const BINARY_PATH = path.join(ROOT, "dist", "rollout");

/** Why a test cannot run the binary as `nobody`, or null when it can; found once. */
let nobodyBlocked: string | null | undefined;

/**
 * A home where one session file cannot be read by the user `nobody`, who owns the rest: a
 * failed system call that root's tests cannot otherwise cause (root reads any file). The
 * `locked` file holds `word`; `unlock()` makes it readable with chmod, which changes neither
 * its size, nor its mtime, nor its inode. With `lock: "folder"`, its day folder (which holds
 * only it) is what cannot be read. Null, with the reason printed, when the test cannot
 * run so (not root, no `runuser`, no binary, `nobody` cannot run it or reach the home).
 */
export function lockedHome(
  file: string,
  home: string,
  word: string,
  options: { lock?: "file" | "folder" } = {},
): {
  locked: string;
  asNobody(args: string[]): { code: number | null; stdout: string; stderr: string };
  unlock(): void;
} | null {
  const runuser = ["/usr/sbin/runuser", "/sbin/runuser"].find((p) => fs.existsSync(p));
  const asNobody = (args: string[]) => {
    const run = spawnSync(runuser!, ["-u", "nobody", "--", BINARY_PATH, ...args], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NO_COLOR: "1" },
    });
    return { code: run.status, stdout: run.stdout ?? "", stderr: run.stderr ?? "" };
  };
  if (nobodyBlocked === undefined) {
    nobodyBlocked = process.getuid?.() !== 0
      ? "not run as root"
      : runuser === undefined
      ? "runuser is missing"
      : !fs.existsSync(BINARY_PATH)
      ? `${BINARY_PATH} is missing (npm run build)`
      : null;
    if (nobodyBlocked === null) {
      const version = asNobody(["--version"]);
      if (version.code !== 0) {
        nobodyBlocked = `the user nobody cannot run ${BINARY_PATH}: ${
          version.stderr.trim() || `exit ${version.code}`
        }`;
      }
    }
  }
  // Every folder above the home must let others pass (the home itself becomes nobody's).
  let closed: string | null = null;
  for (let at = path.dirname(home); closed === null; at = path.dirname(at)) {
    if ((fs.statSync(at).mode & 0o001) === 0) closed = at;
    if (at === path.dirname(at)) break;
  }
  const blocked = nobodyBlocked ??
    (closed === null ? null : `the user nobody cannot pass through ${closed}`);
  if (blocked !== null) {
    console.log(`${file}: part skipped: ${blocked}`);
    return null;
  }
  const line = (type: string, payload: unknown) =>
    JSON.stringify({ timestamp: "2026-11-20T09:00:00.000Z", type, payload }) + "\n";
  const id = "019abc00-0000-7000-8000-00000000a0c5";
  const folder = path.join(home, "sessions", "2026", "11", "20");
  fs.mkdirSync(folder, { recursive: true });
  const locked = markFixture(path.join(folder, `rollout-2026-11-20T09-00-00-${id}.jsonl`));
  fs.writeFileSync(
    locked,
    line("session_meta", { id, timestamp: "2026-11-20T09:00:00.000Z", cwd: "/locked" }) +
      line("response_item", {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: `${word} is in here` }],
      }),
    { mode: 0o600 },
  );
  // The home and all in it is nobody's, the locked file aside.
  const { uid, gid } = nobodyIds();
  const own = (at: string) => {
    fs.chownSync(at, uid, gid);
    if (fs.statSync(at).isDirectory()) {
      for (const name of fs.readdirSync(at)) own(path.join(at, name));
    }
  };
  own(home);
  if (options.lock === "folder") {
    // Its day folder is root's and closed: `nobody` cannot list it, nor reach the file.
    fs.chownSync(folder, 0, 0);
    fs.chmodSync(folder, 0o700);
    return { locked, asNobody, unlock: () => fs.chmodSync(folder, 0o755) };
  }
  fs.chownSync(locked, 0, 0);
  return { locked, asNobody, unlock: () => fs.chmodSync(locked, 0o644) };
}

/** The user and group ids of `nobody`. */
function nobodyIds(): { uid: number; gid: number } {
  const fields = fs.readFileSync("/etc/passwd", "utf8").split("\n").map((l) => l.split(":"))
    .find((f) => f[0] === "nobody");
  if (fields === undefined) throw new Error("no user nobody in /etc/passwd");
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * What B9 and B10 share: the `rollout` command they run (the compiled binary or, with
 * `--rollout`, any command line such as `deno run -A main.ts`), the Debian tools they
 * compare it with (installed when missing and allowed), and timed runs of either.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Settings } from "./bench_fixtures.ts";

/** The command line that runs `rollout`: the program and the words before the command. */
export function rolloutCommand(s: Settings): { program: string; prefix: string[] } {
  const [program, ...prefix] = s.rollout ?? [s.binary];
  return { program: program!, prefix };
}

/** How the table names the `rollout` being measured. */
export function rolloutLabel(s: Settings): string {
  if (s.rollout !== undefined) return s.rollout.join(" ");
  const relative = path.relative(process.cwd(), s.binary);
  return relative.startsWith("..") ? s.binary : relative;
}

/** Why `rollout COMMAND` cannot be measured, or null when it can. */
export function rolloutMissing(s: Settings, command: string): string | null {
  const { program, prefix } = rolloutCommand(s);
  if (s.rollout === undefined && !fs.existsSync(program)) {
    return `${program} is missing (run npm run build, or pass --rollout "deno run -A main.ts")`;
  }
  const run = spawnSync(program, [...prefix, command, "--help"], { encoding: "utf8" });
  return run.status === 0
    ? null
    : `"${rolloutLabel(s)} ${command}" is not available yet (exit ${run.status}: ${
      (run.stderr ?? run.error?.message ?? "").trim().split("\n")[0]
    })`;
}

/** Whether `program` runs (`--version` exits 0). */
function present(program: string): boolean {
  return spawnSync(program, ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Makes sure `program` is there, installing Debian's `pkg` with apt-get when it is missing and
 * this process is root; null when it runs, else why not.
 */
export function ensureTool(program: string, pkg: string): string | null {
  if (present(program)) return null;
  if (process.getuid?.() === 0) {
    spawnSync("apt-get", ["install", "-y", "-q", pkg], { stdio: "ignore" });
    if (!present(program)) {
      spawnSync("apt-get", ["update", "-q"], { stdio: "ignore" });
      spawnSync("apt-get", ["install", "-y", "-q", pkg], { stdio: "ignore" });
    }
    if (present(program)) return null;
  }
  return `${program} is missing and could not be installed (apt-get install -y ${pkg})`;
}

/** The first line of `program --version`, without decoration. */
export function toolVersion(program: string): string {
  const run = spawnSync(program, ["--version"], { encoding: "utf8" });
  return (run.stdout ?? "").split("\n")[0]!.replace(/\*/g, "").trim();
}

/** A command line as a shell would need it typed. */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => (/^[\w.,/=:+-]+$/.test(w) ? w : `'${w}'`)).join(" ");
}

/** One run: milliseconds, stdout when asked for. Throws unless the exit status is allowed. */
export function timeRun(
  program: string,
  args: readonly string[],
  options: { ok?: readonly number[]; capture?: boolean } = {},
): { ms: number; stdout: string } {
  const start = performance.now();
  const run = spawnSync(program, args, {
    stdio: ["ignore", options.capture === true ? "pipe" : "ignore", "pipe"],
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  if (!(options.ok ?? [0]).includes(run.status ?? -1)) {
    throw new Error(
      `"${program} ${args.join(" ")}" exited with ${run.status}: ${
        run.stderr || run.error?.message
      }`,
    );
  }
  return { ms, stdout: run.stdout ?? "" };
}

/** One run of `rollout ARGS`. */
export function timeRollout(
  s: Settings,
  args: readonly string[],
  options: { capture?: boolean } = {},
): { ms: number; stdout: string } {
  const { program, prefix } = rolloutCommand(s);
  return timeRun(program, [...prefix, ...args], options);
}

/** Reads every file under `dir` once, so that what follows runs with a warm page cache. */
export function warmUp(files: readonly string[]): number {
  let bytes = 0;
  const buffer = new Uint8Array(1 << 20);
  for (const file of files) {
    const fd = fs.openSync(file, "r");
    try {
      for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0;) bytes += n;
    } finally {
      fs.closeSync(fd);
    }
  }
  return bytes;
}

/** Every file under `dir`, sorted. */
export function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => `${e.parentPath}/${e.name}`)
    .sort();
}

/** Test helpers for the command line: a fake Io, `cli()` to run a command in-process. */
import process from "node:process";
import type { Io } from "../../lib/runtime/io.ts";
import { run } from "../../lib/cli/cli.ts";

/** What a fake process sees and captures. */
export interface FakeIoOptions {
  stdin?: string | Uint8Array[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** The terminal width stdout reports (with stdoutTTY). */
  columns?: number;
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
}

/** The result of one command. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An Io whose streams are strings. */
export function fakeIo(options: FakeIoOptions = {}): { io: Io; out(): string; err(): string } {
  let out = "";
  let err = "";
  const decoder = new TextDecoder();
  const text = (d: string | Uint8Array) => (typeof d === "string" ? d : decoder.decode(d));
  const input = options.stdin ?? [];
  const chunks = typeof input === "string" ? [new TextEncoder().encode(input)] : input;
  const io: Io = {
    stdin: (async function* () {
      for (const chunk of chunks) yield chunk;
    })(),
    stdinIsTTY: false,
    stdout: {
      isTTY: options.stdoutTTY ?? false,
      columns: options.columns,
      write: (d) => {
        out += text(d);
        return Promise.resolve();
      },
    },
    stderr: {
      isTTY: options.stderrTTY ?? false,
      write: (d) => {
        err += text(d);
        return Promise.resolve();
      },
    },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    pid: process.pid,
    onTerminate: () => () => {},
  };
  return { io, out: () => out, err: () => err };
}

/** Runs `rollout ...argv` in-process. */
export async function cli(
  argv: readonly string[],
  options: FakeIoOptions = {},
): Promise<CliResult> {
  const fake = fakeIo(options);
  const code = await run(argv, fake.io);
  return { code, stdout: fake.out(), stderr: fake.err() };
}

/** Replaces every occurrence of `dir` with `$DIR`, UUIDv7 ids with `<id>`, times with `<time>`. */
export function normalise(text: string, dir: string): string {
  return text.replaceAll(dir, "$DIR")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<id>")
    .replace(/\d{4}-\d\d-\d\dT\d\d[-:]\d\d[-:]\d\d(\.\d{3}Z)?/g, "<time>")
    .replace(/\d{4}\/\d\d\/\d\d/g, "<date>");
}

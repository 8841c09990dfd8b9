/**
 * A `rollout proto` child process seen from a harness: submissions written to its stdin with
 * back-pressure, events read from its stdout and checked against the Event schema.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { Event } from "../../lib/schemas/protocol.ts";
import { ROOT } from "../helpers.ts";

const encoder = new TextEncoder();

/** One way of running `rollout`: the compiled binary, or the source on Deno or on Bun. */
export interface Subject {
  name: "binary" | "deno" | "bun";
  command: string;
  /** Arguments before rollout's own. */
  prefix: string[];
}

/** The compiled binary (`npm run build`). */
export const BINARY = path.join(ROOT, "dist", "rollout");
/** The pinned runtimes' executables. */
export const DENO = path.join(ROOT, "node_modules", ".bin", "deno");
export const BUN = path.join(ROOT, "node_modules", ".bin", "bun");

/** The three subjects every process tier runs against. */
export const SUBJECTS: readonly Subject[] = [
  { name: "binary", command: BINARY, prefix: [] },
  { name: "deno", command: DENO, prefix: ["run", "-A", path.join(ROOT, "main.ts")] },
  { name: "bun", command: BUN, prefix: [path.join(ROOT, "main.ts")] },
];

/** The subject of this name. */
export function subjectNamed(name: Subject["name"]): Subject {
  const found = SUBJECTS.find((s) => s.name === name);
  if (found === undefined) throw new RangeError(`No subject "${name}"`);
  return found;
}

/** How the child ended. */
export interface Exit {
  code: number | null;
  signal: string | null;
}

/** A running `rollout proto` (optionally under a wrapper such as strace). */
export class ProtoProcess {
  readonly child: ChildProcess;
  /** Every event read so far, in order. */
  readonly events: Event[] = [];
  /** Output lines that were not events (must stay empty: stdout carries only events). */
  readonly strayLines: string[] = [];
  readonly exited: Promise<Exit>;
  #stderr = "";
  #buffer = "";
  #waiters: (() => void)[] = [];
  #done = false;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => this.#take(chunk));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (this.#stderr += chunk));
    // Writing to a killed child fails with EPIPE; the harness learns of the death from `exited`.
    child.stdin!.on("error", () => {});
    this.exited = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        if (this.#buffer !== "") this.strayLines.push(this.#buffer);
        this.#done = true;
        this.#wake();
        resolve({ code, signal });
      });
    });
  }

  /** Starts `rollout proto ARGS` as `subject`, optionally behind `wrapper` (a command line). */
  static start(
    subject: Subject,
    options: { args: string[]; wrapper?: string[]; env?: Record<string, string> },
  ): ProtoProcess {
    const argv = [subject.command, ...subject.prefix, "proto", ...options.args];
    const full = [...(options.wrapper ?? []), ...argv];
    const child = spawn(full[0]!, full.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", ...options.env },
    });
    return new ProtoProcess(child);
  }

  /** The pid of the spawned process (the wrapper's, if there is one). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** What the child wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Sends one submission; resolves when the pipe accepted it (false if the child is gone). */
  send(submission: unknown): Promise<boolean> {
    return this.sendRaw(encoder.encode(JSON.stringify(submission) + "\n"));
  }

  /** Sends raw text or bytes as they are. */
  sendRaw(data: string | Uint8Array): Promise<boolean> {
    const stdin = this.child.stdin!;
    if (this.#done || stdin.destroyed || stdin.writableEnded) return Promise.resolve(false);
    return new Promise((resolve) => {
      const ok = stdin.write(data, (error) => {
        if (error) resolve(false);
      });
      if (ok) resolve(true);
      else {
        const onDrain = () => {
          stdin.off("close", onClose);
          resolve(true);
        };
        const onClose = () => {
          stdin.off("drain", onDrain);
          resolve(false);
        };
        stdin.once("drain", onDrain);
        stdin.once("close", onClose);
      }
    });
  }

  /** Closes stdin (end of input). */
  end(): void {
    this.child.stdin!.end();
  }

  /** The first event with this id, awaited; null if the child ends without sending it. */
  async eventFor(id: string): Promise<Event | null> {
    for (;;) {
      const found = this.events.find((e) => e.id === id);
      if (found !== undefined) return found;
      if (this.#done) return null;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Resolves once at least `count` events arrived (or the child ended). */
  async waitForEvents(count: number): Promise<void> {
    while (this.events.length < count && !this.#done) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /**
   * Sends SIGKILL (or `signal`) and awaits the end. Sent with `process.kill`: Deno's
   * `ChildProcess.kill` closes the child's stdin first, and a writer that sees end of input
   * before the signal answers the half-sent last line, which is not what a kill tests.
   */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<Exit> {
    if (!this.#done) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // Already gone; `exited` says how it ended.
      }
    }
    return await this.exited;
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let newline = this.#buffer.indexOf("\n");
    while (newline >= 0) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 1);
      this.#parse(line);
      newline = this.#buffer.indexOf("\n");
    }
    this.#wake();
  }

  #parse(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.strayLines.push(line);
      return;
    }
    const event = Event.safeParse(value);
    if (event.success) this.events.push(event.data);
    else this.strayLines.push(line);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

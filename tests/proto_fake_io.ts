/** Test support for the op stream: a fake Io, scripted runs and event normalisation. */
import { runProto } from "../lib/proto/run_proto.ts";
import type { Io } from "../lib/io.ts";

const encoder = new TextEncoder();

/** A fake process: stdin from `chunks`, stdout and stderr collected. */
export interface FakeIo extends Io {
  out: string[];
  err: string[];
  /** Simulates SIGINT/SIGTERM/EPIPE delivery. */
  terminate(reason: "SIGINT" | "SIGTERM" | "EPIPE"): void;
  /** Events written to stdout, parsed. */
  events(): { id: string; msg: Record<string, unknown> }[];
}

/** Builds a fake Io; `write` lets a test slow down or fail stdout. */
export function fakeIo(
  stdin: AsyncIterable<Uint8Array> | readonly (string | Uint8Array)[],
  options: { cwd?: string; write?: (line: string) => Promise<void> } = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const handlers = new Set<(reason: "SIGINT" | "SIGTERM" | "EPIPE") => void>();
  const input: AsyncIterable<Uint8Array> = Symbol.asyncIterator in stdin
    ? stdin as AsyncIterable<Uint8Array>
    : (async function* () {
      for (const chunk of stdin as readonly (string | Uint8Array)[]) {
        yield typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      }
    })();
  return {
    out,
    err,
    stdin: input,
    stdinIsTTY: false,
    stdout: {
      isTTY: false,
      async write(data) {
        const text = typeof data === "string" ? data : new TextDecoder().decode(data);
        if (options.write !== undefined) await options.write(text);
        out.push(text);
      },
    },
    stderr: {
      isTTY: false,
      write(data) {
        err.push(typeof data === "string" ? data : new TextDecoder().decode(data));
        return Promise.resolve();
      },
    },
    env: {},
    cwd: options.cwd ?? "/",
    pid: 4242,
    onTerminate(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    terminate(reason) {
      for (const handler of handlers) handler(reason);
    },
    events() {
      return out.join("").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
    },
  };
}

/** One JSON line per submission. */
export function lines(submissions: readonly unknown[]): string {
  return submissions.map((s) => `${typeof s === "string" ? s : JSON.stringify(s)}\n`).join("");
}

/** Runs `rollout proto` in-process on `input` and returns its exit status and events. */
export async function runScript(
  input: string | readonly (string | Uint8Array)[],
  options: { home: string; format?: "jsonl" | "json"; maxLineBytes?: number; cwd?: string },
): Promise<{ status: number; events: { id: string; msg: Record<string, unknown> }[]; io: FakeIo }> {
  const io = fakeIo(typeof input === "string" ? [input] : input, { cwd: options.cwd ?? "/" });
  const status = await runProto({
    home: options.home,
    format: options.format ?? "jsonl",
    sync: true,
    maxLineBytes: options.maxLineBytes ?? 64 * 1024 * 1024,
  }, io);
  return { status, events: io.events(), io };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const DATED = /sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-/g;
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/**
 * Replaces what differs between runs: session ids (`<id1>`, `<id2>`, in order of first
 * appearance), the home folder (`<home>`), dated session folders and ISO timestamps.
 */
export function normalize<T>(value: T, options: { home: string; replace?: Map<string, string> }) {
  const ids = new Map<string, string>();
  const text = JSON.stringify(value)
    .replaceAll(options.home, "<home>")
    .replace(DATED, "sessions/<date>/rollout-<time>-")
    .replace(ISO, "<ts>")
    .replace(UUID, (id) => {
      if (!ids.has(id)) ids.set(id, `<id${ids.size + 1}>`);
      return ids.get(id)!;
    });
  let out = text;
  for (const [from, to] of options.replace ?? []) out = out.replaceAll(from, to);
  return JSON.parse(out) as T;
}

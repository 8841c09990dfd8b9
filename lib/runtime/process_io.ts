/**
 * The real {@linkcode Io} of this process on `node:process`, the same on Deno and Bun.
 * One of the few modules that touch `process`.
 */
import * as fs from "node:fs";
import process from "node:process";
import { concatBytes } from "../base/mod.ts";
import type { Io, OutputStream } from "./io.ts";
import { processStdin } from "./process_stdin.ts";

/**
 * Whether `fd` is a file or a character device (terminal, /dev/null): written synchronously,
 * as Node itself does. Pipes and sockets (back-pressure, EPIPE) always use the stream, which
 * the compiled Bun binary takes ~10 ms to set up (BENCH.md B6), so it is made on first use.
 */
function writesInline(fd: number): boolean {
  try {
    const stat = fs.fstatSync(fd);
    return stat.isFile() || stat.isCharacterDevice();
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

/** Where text is encoded for a synchronous write, used again for every one (no new memory). */
let scratch: Uint8Array | null = null;

/**
 * Writes `data` to `fd` synchronously, text encoded a MiB at a time into one reused buffer.
 * Returns what is left unwritten when the descriptor would block (`EAGAIN`): empty when done.
 */
export function writeInline(fd: number, data: string | Uint8Array): string | Uint8Array {
  const writeBytes = (bytes: Uint8Array): Uint8Array => {
    let done = 0;
    try {
      while (done < bytes.length) {
        const n = fs.writeSync(fd, bytes, done);
        if (n <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
        done += n;
      }
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EAGAIN") throw error;
    }
    return bytes.subarray(done);
  };
  if (typeof data !== "string") return writeBytes(data);
  scratch ??= new Uint8Array(1024 * 1024);
  let text = data;
  while (text.length > 0) {
    const { read, written } = encoder.encodeInto(text, scratch);
    text = text.slice(read);
    const left = writeBytes(scratch.subarray(0, written));
    // The stream takes over: the bytes not written (copied out of the buffer) and the rest.
    if (left.length > 0) return concatBytes([left, encoder.encode(text)]);
  }
  return "";
}

function streamOf(fd: 1 | 2, open: () => NodeJS.WriteStream): OutputStream {
  let inline = writesInline(fd);
  return {
    get isTTY() {
      return open().isTTY === true;
    },
    get columns() {
      const stream = open();
      return stream.isTTY === true && stream.columns > 0 ? stream.columns : undefined;
    },
    write(data) {
      let rest: string | Uint8Array = data;
      if (inline) {
        try {
          rest = writeInline(fd, data);
          if (rest.length === 0) return Promise.resolve();
        } catch (error) {
          return Promise.reject(error);
        }
        inline = false;
      }
      return writeStream(open(), rest);
    },
  };
}

/** Errors a stream reported after its write had already resolved (EPIPE when `| head` exits). */
const lateErrors = new WeakMap<NodeJS.WriteStream, Error>();
const watched = new WeakSet<NodeJS.WriteStream>();

/**
 * Keeps a stream's asynchronous `error` events from crashing the process: the error is kept and
 * the next write rejects with it, so commands end through their normal error path.
 */
function watch(stream: NodeJS.WriteStream): void {
  if (watched.has(stream)) return;
  watched.add(stream);
  stream.on("error", (error: Error) => {
    lateErrors.set(stream, error);
  });
}

function writeStream(stream: NodeJS.WriteStream, data: string | Uint8Array): Promise<void> {
  watch(stream);
  const late = lateErrors.get(stream);
  if (late !== undefined) return Promise.reject(late);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error | null) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
    const ok = stream.write(data, (error) => {
      if (error) settle(error);
    });
    if (ok) settle();
    else stream.once("drain", () => settle());
  });
}

/** The process's own streams, environment and signals. */
export function processIo(): Io {
  return {
    get stdin() {
      return processStdin();
    },
    stdinFd: 0,
    get stdinIsTTY() {
      return process.stdin.isTTY === true;
    },
    stdout: streamOf(1, () => process.stdout),
    stderr: streamOf(2, () => process.stderr),
    env: process.env,
    cwd: process.cwd(),
    pid: process.pid,
    onTerminate(handler) {
      const onInt = () => handler("SIGINT");
      const onTerm = () => handler("SIGTERM");
      // A closed terminal (SIGHUP) ends the run as SIGTERM does: everything synced, locks freed.
      const onHup = () => handler("SIGHUP");
      const onError = (error: { code?: string }) => {
        if (error.code === "EPIPE") handler("EPIPE");
      };
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
      process.on("SIGHUP", onHup);
      process.stdout.on("error", onError);
      return () => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
        process.off("SIGHUP", onHup);
        process.stdout.off("error", onError);
      };
    },
  };
}

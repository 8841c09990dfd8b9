/**
 * The real {@linkcode Io} of this process on `node:process`, the same on Deno and Bun.
 * One of the few modules that touch `process`.
 */
import process from "node:process";
import type { Io, OutputStream } from "./io.ts";

function streamOf(stream: NodeJS.WriteStream): OutputStream {
  return {
    isTTY: stream.isTTY === true,
    write(data) {
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
    },
  };
}

/** The process's own streams, environment and signals. */
export function processIo(): Io {
  return {
    stdin: process.stdin as AsyncIterable<Uint8Array>,
    stdinIsTTY: process.stdin.isTTY === true,
    stdout: streamOf(process.stdout),
    stderr: streamOf(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    pid: process.pid,
    onTerminate(handler) {
      const onInt = () => handler("SIGINT");
      const onTerm = () => handler("SIGTERM");
      const onError = (error: { code?: string }) => {
        if (error.code === "EPIPE") handler("EPIPE");
      };
      process.on("SIGINT", onInt);
      process.on("SIGTERM", onTerm);
      process.stdout.on("error", onError);
      return () => {
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
        process.stdout.off("error", onError);
      };
    },
  };
}

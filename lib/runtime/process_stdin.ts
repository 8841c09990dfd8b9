/**
 * This process's standard input as bytes, with a `return()` that really stops reading, so a
 * command that ends early (`proto` after `shutdown` or a signal) lets the process exit while
 * the writer still holds the pipe open. Deno reads `Deno.stdin`; Bun reads `process.stdin`.
 */
import process from "node:process";
import { runtimeName } from "./runtime.ts";

interface DenoStdin {
  read(buffer: Uint8Array): Promise<number | null>;
  close(): void;
}

const CHUNK = 65536;
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Deno: a pending `Deno.stdin.read` keeps the process alive until `close()` interrupts it. */
function denoStdin(stdin: DenoStdin): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      let stopped = false;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          if (stopped) return DONE;
          const buffer = new Uint8Array(CHUNK);
          let n: number | null;
          try {
            n = await stdin.read(buffer);
          } catch (error) {
            if (stopped) return DONE;
            throw error;
          }
          if (n === null) return DONE;
          return { done: false, value: buffer.subarray(0, n) };
        },
        return(): Promise<IteratorResult<Uint8Array>> {
          if (!stopped) {
            stopped = true;
            stdin.close();
          }
          return Promise.resolve(DONE);
        },
      };
    },
  };
}

/** Bun (and Node): destroying the stream ends a pending read ("Premature close"). */
function nodeStdin(): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const inner = (process.stdin as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      let stopped = false;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          if (stopped) return DONE;
          try {
            return await inner.next();
          } catch (error) {
            if (stopped) return DONE;
            throw error;
          }
        },
        return(): Promise<IteratorResult<Uint8Array>> {
          if (!stopped) {
            stopped = true;
            process.stdin.destroy();
          }
          return Promise.resolve(DONE);
        },
      };
    },
  };
}

/** Standard input of this process; see the module doc. */
export function processStdin(): AsyncIterable<Uint8Array> {
  if (runtimeName() === "deno") {
    return denoStdin((globalThis as unknown as { Deno: { stdin: DenoStdin } }).Deno.stdin);
  }
  return nodeStdin();
}

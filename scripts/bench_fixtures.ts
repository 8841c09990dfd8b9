/**
 * What the benchmarks write: deterministic ~1 KB items, temporary folders, a file system that
 * counts the bytes the writer hands to `write`, and the settings of one run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { encodeLine } from "../lib/formats/encode.ts";
import { type FileSystem, nodeFileSystem } from "../lib/runtime/file_system.ts";

/** Sizes and repetitions of one run (`--quick` shrinks them). */
export interface Settings {
  quick: boolean;
  reps: number;
  b1Items: number;
  b2Items: number;
  b3Sizes: number[];
  /** B3 sizes above this get a single repetition (the document at 5,000 is minutes). */
  b3SingleRepAbove: number;
  growthSizes: number[];
  b4Bytes: number;
  b5Sessions: number;
  b6Spawns: number;
  b7Ops: number;
  /** B8: sizes of the generated rollouts, in MiB. */
  b8Sizes: number[];
  /** B9: the generated home's sessions and bytes; repetitions of the first index. */
  b9Sessions: number;
  b9Bytes: number;
  b9IndexReps: number;
  /** B10: the image-heavy and the text-only sessions archived, and their bytes. */
  b10ImageSessions: number;
  b10ImageBytes: number;
  b10TextSessions: number;
  b10TextBytes: number;
  /** B12: the synced home's sessions and bytes, repetitions of the sync, records searched. */
  b12Sessions: number;
  b12Bytes: number;
  b12Reps: number;
  b12Records: number;
  /** B12: appends timed under `sync --watch`. */
  b12Appends: number;
  /** The compiled binary of B5–B10. */
  binary: string;
  /** B9 and B10 run this command line instead of the binary (`--rollout "deno run -A main.ts"`). */
  rollout?: string[];
}

const BINARY = path.resolve(import.meta.dirname ?? ".", "..", "dist", "rollout");

/** The sizes BENCH.md names. */
export const FULL: Settings = {
  quick: false,
  reps: 5,
  b1Items: 5_000,
  b2Items: 200_000,
  b3Sizes: [250, 500, 1_000, 2_000, 5_000],
  b3SingleRepAbove: 2_000,
  growthSizes: [1_000, 10_000, 100_000],
  b4Bytes: 100 * 2 ** 20,
  b5Sessions: 10_000,
  b6Spawns: 20,
  b7Ops: 100_000,
  b8Sizes: [100, 1024],
  b9Sessions: 10_000,
  b9Bytes: 1e9,
  b9IndexReps: 3,
  b10ImageSessions: 16,
  b10ImageBytes: 256e6,
  b10TextSessions: 100,
  b10TextBytes: 128e6,
  b12Sessions: 10_000,
  b12Bytes: 1e9,
  b12Reps: 3,
  b12Records: 1_000_000,
  b12Appends: 20,
  binary: BINARY,
};

/** Tiny sizes: the whole script in seconds, to keep it from rotting. */
export const QUICK: Settings = {
  quick: true,
  reps: 3,
  b1Items: 200,
  b2Items: 2_000,
  b3Sizes: [25, 50, 100],
  b3SingleRepAbove: 100,
  growthSizes: [100, 1_000],
  b4Bytes: 2 * 2 ** 20,
  b5Sessions: 200,
  b6Spawns: 3,
  b7Ops: 1_000,
  b8Sizes: [4],
  b9Sessions: 200,
  b9Bytes: 10e6,
  b9IndexReps: 1,
  b10ImageSessions: 4,
  b10ImageBytes: 8e6,
  b10TextSessions: 16,
  b10TextBytes: 4e6,
  b12Sessions: 200,
  b12Bytes: 10e6,
  b12Reps: 1,
  b12Records: 20_000,
  b12Appends: 5,
  binary: BINARY,
};

const FILLER = "The quick brown fox jumps over the lazy dog, then runs `ls -la /tmp` again. "
  .repeat(15);

/** Item `i`: an assistant message of about 1 KB of JSON. */
export function item(i: number): { type: string; [key: string]: unknown } {
  return {
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: `Answer ${i}: ${FILLER.slice(0, 960)}` }],
  };
}

/** Items 0..n-1. */
export function items(n: number, from = 0): { type: string; [key: string]: unknown }[] {
  return Array.from({ length: n }, (_, i) => item(from + i));
}

/** The journal line of item `i` at `ordinal`, as the writer encodes it. */
export function journalLine(i: number, ordinal: number, timestamp: string): string {
  return encodeLine("journal", {
    kind: "response_item",
    payload: JSON.stringify(item(i)),
    timestamp,
    ordinal,
  });
}

/** A fresh folder under the OS temporary folder. */
export function scratch(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rollout-bench-${prefix}-`));
}

/** Removes a scratch folder. */
export function remove(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The real file system, counting the bytes written through it. */
export function countingFs(): { fs: FileSystem; written(): number } {
  let bytes = 0;
  const counted: FileSystem = {
    ...nodeFileSystem,
    write: (fd, data) => {
      const n = nodeFileSystem.write(fd, data);
      bytes += n;
      return n;
    },
  };
  return { fs: counted, written: () => bytes };
}

/** Milliseconds taken by `fn`. */
export async function timed(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Keeps a long read's memory flat (SPEC §7). Reading a large rollout makes garbage far faster
 * than the collectors of Bun and Deno give it back: left alone, a process reading 300 MB
 * peaked 70 MB above its start, one reading 30 MB 30 MB above; memory grew with the file. A read calls `relieve()` after
 * every chunk; when the resident size has grown by a step since the last look, a full
 * collection runs, and the next one waits for another step of growth above what survived.
 */
import * as v8 from "node:v8";
import * as vm from "node:vm";

/** Growth of the resident size that triggers a collection. */
const STEP = 48 * 1024 * 1024;

let collect: (() => void) | null | undefined;

/** The runtime's full collection, or null where it has none reachable. */
function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) collect = () => bun.gc(true);
  else {
    try {
      // V8 (Deno): the flag exposes `gc` to contexts made from then on.
      v8.setFlagsFromString("--expose_gc");
      const gc = vm.runInNewContext("gc") as () => void;
      collect = typeof gc === "function" ? gc : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

/** A `relieve()` for one long read. */
export function memoryRelief(): () => void {
  const start = process.memoryUsage.rss();
  let trigger = start + STEP;
  return () => {
    const rss = process.memoryUsage.rss();
    if (rss < trigger) return;
    const gc = collector();
    if (gc === null) return;
    gc();
    // What survives a collection is held, not slack: wait for another step above it.
    trigger = Math.max(start + STEP, process.memoryUsage.rss() + STEP / 2);
  };
}

/**
 * Keeps a long read's memory flat (SPEC §7). Reading a large rollout makes garbage (decoded
 * text, parsed records) far faster than the collectors of Bun and Deno give it back: left
 * alone, the binary reading 1 GB peaked 80 MB above its start and Deno 100 MB. A read calls
 * `relieve()` after every chunk (1 MiB):
 * - in Bun, after every second chunk a collection of the young generation (JSC's `edenGC`;
 *   every third for a lean read, below), and every 32 of them one of the whole heap (`fullGC`:
 *   every 64 MiB, 96 for a lean read), neither returning memory to the system: the allocator
 *   then reuses what was freed instead of growing. Young collections while the young
 *   generation is still small are cheap and keep its memory in the cache: with one every
 *   chunk and a full one every 32 (2026-12-05), `show --no-redact` of a 1 GiB rollout took
 *   1.64–1.77 s (5 runs, peak 90–95 MB) against 2.13–2.39 s (94–96 MB) with a young
 *   collection every 4 chunks and a full one every 16; `validate` 1.10–1.25 s against
 *   1.32–1.49 s. Fewer collections cost more, not less: with none but the guard below, `show`
 *   took 4.4–5.0 s, every page then coming back by a fault;
 * - in both, when the resident size has still grown 40 MiB past the first read's start, a
 *   collection that also returns freed memory to the system. That one is dear (pages come back
 *   one fault at a time), so it only guards the bound.
 */
import process from "node:process";

/** The read size the relief counts in. */
const CHUNK = 1024 * 1024;
/** Growth of the resident size that triggers a collection returning memory. */
const STEP = 40 * 1024 * 1024;
/**
 * Chunks between two light collections (Bun). On the 1 GiB B8 rollout (2026-12-07, alternating
 * runs in a slow hour) `show` took 2.10 s with one every MiB and 1.93 s every 2 (12 runs each);
 * `export --to md` 1.44, 1.35 and 1.52 s every 1, 2 and 3 MiB (8 runs). Every second MiB pays
 * only since the outputs hold bytes, not texts, until they write (cli/commands/output_buffer.ts):
 * before, `show` took 1.5 → 2.0 s with it, its page faults 19,000 → 66,000. These runs kept
 * FULL_EVERY, so the full collections came every 64 MiB instead of 32.
 */
const LIGHT_EVERY = 2;
/**
 * The same for a lean read, whose consumer builds little for each record (`validate`, a line
 * copy that writes the lines as read): its young generation fills slower. On the 1 GiB B8
 * rollout (2026-12-06, six alternating runs each) `validate` took 0.99 s with a young
 * collection every MiB, 0.87 s every 2 and 0.83 s every 3.
 */
const LEAN_LIGHT_EVERY = 3;
/** Light collections between two of the whole heap (Bun). */
const FULL_EVERY = 32;
/** Chunks between two looks at the resident size. */
const LOOK_EVERY = 2;

interface Collectors {
  /** A collection that keeps its memory for reuse, or null. */
  light: (() => void) | null;
  /** A collection that gives freed memory back to the system, or null. */
  heavy: (() => void) | null;
}

let collectors: Collectors | undefined;

function collectorsOf(): Collectors {
  if (collectors !== undefined) return collectors;
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) {
    let light: (() => void) | null = null;
    try {
      const require = (import.meta as { require?: (id: string) => unknown }).require;
      const jsc = require?.("bun:jsc") as
        | { fullGC?: () => number; edenGC?: () => number }
        | undefined;
      const { fullGC, edenGC } = jsc ?? {};
      if (typeof fullGC === "function" && typeof edenGC === "function") {
        // Mostly the young generation (cheap); now and then the whole heap.
        let n = 0;
        light = () => (++n % FULL_EVERY === 0 ? fullGC() : edenGC());
      }
    } catch {
      light = null;
    }
    collectors = { light, heavy: () => bun.gc(true) };
    return collectors;
  }
  try {
    // V8 (Deno): the flag exposes `gc` to contexts made from then on. Loaded here, on the first
    // long read, not at every start.
    const v8 = process.getBuiltinModule("node:v8") as typeof import("node:v8");
    const vm = process.getBuiltinModule("node:vm") as typeof import("node:vm");
    v8.setFlagsFromString("--expose_gc");
    const gc = vm.runInNewContext("gc") as unknown;
    collectors = { light: null, heavy: typeof gc === "function" ? () => gc() : null };
  } catch {
    collectors = { light: null, heavy: null };
  }
  return collectors;
}

/** The resident size when the first long read of the process began. */
let baseline: number | null = null;

/**
 * A `relieve()` for one long read. Growth is counted from the first long read's start, so a
 * second read of the same command (as `load` makes) is held to the same bound. `lean`: the
 * reader keeps nothing of what it parses and builds little per record.
 */
export function memoryRelief(options: { lean?: boolean } = {}): (bytes?: number) => void {
  const start = baseline ??= process.memoryUsage.rss();
  const { light, heavy } = collectorsOf();
  let trigger = start + STEP;
  const lightEvery = options.lean === true ? LEAN_LIGHT_EVERY : LIGHT_EVERY;
  let chunks = 0;
  let bytesRead = 0;
  return (bytes = CHUNK) => {
    // Counted in MiB read, not in calls: a reader of many small files calls it per file.
    bytesRead += bytes;
    if (bytesRead < CHUNK) return;
    bytesRead -= CHUNK;
    ++chunks;
    if (light !== null && chunks % lightEvery === 0) light();
    // Reading the resident size costs about 0.1 ms in Bun: it is looked at every few chunks.
    if (heavy === null || chunks % LOOK_EVERY !== 0 || process.memoryUsage.rss() < trigger) return;
    heavy();
    // What survives a collection is held, not slack: wait for another half step above it.
    trigger = Math.max(start + STEP, process.memoryUsage.rss() + STEP / 2);
  };
}

/**
 * Collects the whole heap when the resident size is more than `above` bytes over where the
 * first long read began (or over now, before any): for a writer that builds large batches
 * between reads (the fleet store's pushes), after each batch is sent.
 */
export function collectIfAbove(above: number): void {
  const start = baseline ??= process.memoryUsage.rss();
  const { heavy } = collectorsOf();
  if (heavy !== null && process.memoryUsage.rss() > start + above) heavy();
}

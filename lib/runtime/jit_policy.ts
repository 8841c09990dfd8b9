/**
 * JavaScriptCore's tier-up thresholds in the binary. `npm run build` starts it with them 20
 * times higher (`bun build --compile-jit-policy=20`): most commands are over in tens of
 * milliseconds of code that runs once, which the JIT would otherwise compile for nothing, on
 * the same two cores. Long work gets the normal thresholds back, once, so that its loops reach
 * the optimizing tiers as soon as before:
 * - a read of rollouts once LONG_READ bytes were read ({@linkcode noteRead});
 * - output written in pieces after LONG_MS of the process ({@linkcode restoreJitIfLong});
 * - a process whose event loop turns after LONG_MS (a `proto` sidecar, `sync --watch`:
 *   {@linkcode restoreJitAfter}), and the parse thread of `proto` from its start.
 * Other synchronous work (a walk of an index's files, a table rendered at once) keeps the high
 * thresholds; its code still reaches the optimizing tiers, only later.
 *
 * Nothing changes in Deno, or in Bun running the source: their policy is the normal one.
 */

/** Bytes of rollouts read before the work counts as long. */
export const LONG_READ = 8 * 1024 * 1024;
/** Milliseconds since the process started after which its work counts as long. */
export const LONG_MS = 100;

interface BunUnsafe {
  setJITPolicy?(scale: number): void;
}

/** Nothing to give back outside Bun. */
let restored = !("Bun" in globalThis);
let read = 0;

/** Gives JavaScriptCore its normal tier-up thresholds back (once; never throws). */
export function restoreJit(): void {
  if (restored) return;
  restored = true;
  const bun = (globalThis as { Bun?: { unsafe?: BunUnsafe } }).Bun;
  try {
    bun?.unsafe?.setJITPolicy?.(1);
  } catch {
    // An older Bun without it: its policy is the normal one.
  }
}

/** Counts `bytes` of rollouts read; {@linkcode restoreJit} once they reach LONG_READ. */
export function noteRead(bytes: number): void {
  if (restored) return;
  read += bytes;
  if (read >= LONG_READ) restoreJit();
}

/** {@linkcode restoreJit} when the process has run LONG_MS or more. */
export function restoreJitIfLong(): void {
  if (!restored && performance.now() >= LONG_MS) restoreJit();
}

/**
 * {@linkcode restoreJit} after `ms` milliseconds, if the event loop turns then; the timer
 * keeps nothing alive.
 */
export function restoreJitAfter(ms: number): void {
  if (restored) return;
  const timer = setTimeout(restoreJit, ms);
  (timer as { unref?: () => void }).unref?.();
}

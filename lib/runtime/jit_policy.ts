/**
 * JavaScriptCore's tier-up thresholds in the binary. `npm run build` starts it with them 20
 * times higher (`bun build --compile-jit-policy=20`): most commands are over in tens of
 * milliseconds of code that runs once, which the JIT would otherwise compile for nothing, on
 * the same two cores. Long work gets the normal thresholds back, once, so that its loops reach
 * the optimizing tiers as soon as before: a read of a rollout once LONG_READ bytes were read
 * (memory.ts), and any process still running after a while (a `proto` sidecar, `sync --watch`).
 *
 * Nothing changes in Deno, or in Bun running the source: their policy is the normal one.
 */

/** Bytes of rollouts read before the work counts as long. */
export const LONG_READ = 8 * 1024 * 1024;

interface BunUnsafe {
  setJITPolicy?(scale: number): void;
}

let restored = false;

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

/**
 * {@linkcode restoreJit} after `ms` milliseconds, if the process is still running then; the
 * timer keeps nothing alive.
 */
export function restoreJitAfter(ms: number): void {
  if (restored || !("Bun" in globalThis)) return;
  const timer = setTimeout(restoreJit, ms);
  (timer as { unref?: () => void }).unref?.();
}

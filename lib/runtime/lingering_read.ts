/**
 * Whether a thread (the op stream's parse thread) was stopped while it may still be blocked
 * in a read of stdin. A process-wide fact, kept here free of imports so that `main.ts` can ask
 * without loading the op stream (the binary's start-up, BENCH.md B6).
 */
let lingering = false;

/** Notes one more thread stopped in the middle of reading stdin. */
export function noteLingeringRead(): void {
  lingering = true;
}

/**
 * True once a parser was closed while its worker was reading stdin: that thread may stay
 * blocked in a read, and keep the process alive, until stdin closes. The process should exit
 * explicitly when its work is done.
 */
export function inputStillRead(): boolean {
  return lingering;
}

/**
 * `12,345`: an integer with its digits grouped by thousands, as `toLocaleString("en-US")`
 * writes it, without it: the first call of `toLocaleString` sets up the engine's locale data,
 * 4.1–4.4 ms of a command's start in the binary (three runs), and each later call is slow
 * when made per item.
 */
export function thousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, ",");
}

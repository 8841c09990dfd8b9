/** How many secrets each rule replaced: what acknowledgements and reports say, never a secret. */

/** Secrets replaced, by rule name (`openai`, `jwt`, ...). */
export type RedactionCounts = Record<string, number>;

/** Adds the counts of `from` to `into`. */
export function addCounts(into: RedactionCounts, from: Readonly<RedactionCounts>): void {
  for (const [rule, n] of Object.entries(from)) into[rule] = (into[rule] ?? 0) + n;
}

/** How many secrets were replaced in all. */
export function totalRedacted(counts: Readonly<RedactionCounts>): number {
  let total = 0;
  for (const n of Object.values(counts)) total += n;
  return total;
}

/** `openai 2, jwt 1`: the rules by count, most first, then by name; "" for none. */
export function describeCounts(counts: Readonly<RedactionCounts>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0))
    .map(([rule, n]) => `${rule} ${n}`)
    .join(", ");
}

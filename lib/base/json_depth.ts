/**
 * A nesting limit for stored JSON. `JSON.parse` accepts any depth, but `JSON.stringify`
 * recurses (and on Bun takes seconds to fail), so anything stored must stay re-encodable.
 */

/** The deepest nesting of objects and arrays an item may have. */
export const MAX_NESTING = 1000;

/**
 * Whether `value` nests objects and arrays more than `limit` levels deep. Recursive, but never
 * deeper than `limit + 1` calls (about a thousand frames), and without allocating.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  return limit < 1 || deeper(value, limit - 1);
}

/** Whether `node` (one level, already counted) has descendants more than `budget` levels down. */
function deeper(node: object, budget: number): boolean {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const child: unknown = node[i];
      if (
        typeof child === "object" && child !== null && (budget === 0 || deeper(child, budget - 1))
      ) {
        return true;
      }
    }
    return false;
  }
  for (const key in node) {
    const child: unknown = (node as Record<string, unknown>)[key];
    if (
      typeof child === "object" && child !== null && (budget === 0 || deeper(child, budget - 1))
    ) {
      return true;
    }
  }
  return false;
}

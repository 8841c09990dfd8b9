/**
 * A nesting limit for stored JSON. `JSON.parse` accepts any depth, but `JSON.stringify`
 * recurses (and on Bun takes seconds to fail), so anything stored must stay re-encodable.
 */

/** The deepest nesting of objects and arrays an item may have. */
export const MAX_NESTING = 1000;

/** Whether `value` nests objects and arrays more than `limit` levels deep. Iterative. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === "object" && child !== null) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

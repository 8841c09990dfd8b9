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

/**
 * The deepest nesting of arrays and objects in a JSON text (its brackets outside its strings),
 * stopping once above `limit`: a text too deep to parse or lay out is told without parsing it.
 */
export function nestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c === 93 || c === 125) depth--;
  }
  return deepest;
}

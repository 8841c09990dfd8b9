/** The one test for "a JSON object" (not null, not an array) used across the readers. */

/** Whether `value` is an object other than null or an array. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Turns zod issues into one-line messages such as `items[2].call_id: expected string, got number`.
 * Pure: reads the issue and the value that failed, never throws.
 */
import type { z } from "zod";

/** `items[2].call_id` for the path `["items", 2, "call_id"]`, with an optional prefix. */
export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(key))) {
      out += out === "" ? String(key) : `.${String(key)}`;
    } else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === "" ? "(root)" : out;
}

/** The JSON type name of a value as users think of it. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value === undefined) return "nothing";
  return typeof value;
}

/**
 * What a value that is no number or no integer is, for a message: its JSON type, and for a
 * number its value (`1.5`), or that it is too large to hold (`1e999` reads as Infinity).
 */
function numberText(value: unknown): string {
  if (typeof value !== "number") return jsonTypeOf(value);
  return Number.isFinite(value) ? `${value}` : "a number too large to hold";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

const EXPECTED: Record<string, string> = {
  object: "an object",
  nonoptional: "a value",
  int: "an integer",
};

function sizeLimit(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, input: unknown) {
  const small = issue.code === "too_small";
  const limit = small ? issue.minimum : issue.maximum;
  const op = small ? (issue.inclusive ? ">=" : ">") : (issue.inclusive ? "<=" : "<");
  const got = valueAt(input, issue.path);
  switch (issue.origin) {
    case "string":
      if (small && limit === 1) return "must not be empty";
      return `expected a string of ${op} ${limit} characters, got ${String(got).length}`;
    case "array":
      return `expected ${op} ${limit} items, got ${Array.isArray(got) ? got.length : "?"}`;
    default:
      return `expected a number ${op} ${limit}, got ${JSON.stringify(got)}`;
  }
}

/** The first issue of a failed parse, as `path: what was expected, got what`. */
export function formatIssue(error: z.ZodError, input: unknown, prefix = ""): string {
  const issue = error.issues[0];
  if (issue === undefined) return `${prefix || "(root)"}: invalid`;
  const where = formatPath(issue.path, prefix);
  switch (issue.code) {
    case "invalid_type": {
      const got = valueAt(input, issue.path);
      if (got === undefined) {
        const what = issue.expected === "nonoptional" ? "field" : issue.expected;
        return `${where}: required ${what} is missing`;
      }
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      const numeric = issue.expected === "int" || issue.expected === "number";
      return `${where}: expected ${expected}, got ${numeric ? numberText(got) : jsonTypeOf(got)}`;
    }
    case "invalid_value":
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "unrecognized_keys":
      return `${where}: unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_union": {
      const shapes = issue.message === "Invalid input" ? "matches no allowed shape" : issue.message;
      return `${where}: ${shapes}, got ${jsonTypeOf(valueAt(input, issue.path))}`;
    }
    case "too_small":
    case "too_big":
      return `${where}: ${sizeLimit(issue, input)}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * Accept-only predicates compiled from zod schemas, for hot paths: a guard is true only for a
 * value its schema accepts unchanged; false means "ask the schema" (which accepts or says why).
 * The schema stays the only definition; a shape a guard does not understand is never accepted.
 */
import type { z } from "zod";

/** True only for values the schema surely accepts as they are. */
export type Guard = (value: unknown) => boolean;

/** The parts of zod's internal definition a guard reads (zod 4, pinned in package.json). */
interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
  entries?: Record<string, unknown>;
}

interface CheckDef {
  check: string;
  format?: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
}

const compiled = new WeakMap<z.ZodType, Guard>();
const refinements = new WeakMap<z.ZodType, Guard>();
const never: Guard = () => false;

/**
 * Declares what the custom refinements of `schema` (`refine`, `superRefine`) accept, so its
 * guard can use them; `accepts` must be the very predicate the refinement applies.
 */
export function refinedBy<T extends z.ZodType>(schema: T, accepts: Guard): T {
  refinements.set(schema, accepts);
  return schema;
}

/** The guard of `schema` (compiled once). */
export function guardOf(schema: z.ZodType): Guard {
  let guard = compiled.get(schema);
  if (guard === undefined) {
    guard = compile(schema);
    compiled.set(schema, guard);
  }
  return guard;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function compile(schema: z.ZodType): Guard {
  const def = defOf(schema);
  const base = compileType(def);
  if (def.checks === undefined || def.checks.length === 0) return base;
  const checks: Guard[] = [];
  for (const check of def.checks) {
    const kind = check._zod.def.check;
    if (kind === "custom") {
      const accepts = refinements.get(schema);
      if (accepts === undefined) return never;
      checks.push(accepts);
    } else {
      const known = compileCheck(check._zod.def);
      if (known === null) return never;
      checks.push(known);
    }
  }
  return (value) => {
    if (!base(value)) return false;
    for (let i = 0; i < checks.length; i++) if (!checks[i]!(value)) return false;
    return true;
  };
}

/** The built-in checks our schemas use; null for any other. */
function compileCheck(check: CheckDef): Guard | null {
  switch (check.check) {
    case "number_format":
      return check.format === "safeint" ? (v) => Number.isSafeInteger(v) : null;
    case "greater_than": {
      const bound = check.value;
      if (typeof bound !== "number") return null;
      return check.inclusive === true
        ? (v) => (v as number) >= bound
        : (v) => (v as number) > bound;
    }
    case "min_length": {
      const min = check.minimum ?? Infinity;
      return (v) => (v as { length: number }).length >= min;
    }
    default:
      return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null &&
    Object.getPrototypeOf(value) === Object.prototype;
}

function compileType(def: Def): Guard {
  switch (def.type) {
    case "string":
      return (v) => typeof v === "string";
    case "number":
      return (v) => typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return (v) => typeof v === "boolean";
    case "unknown":
    case "any":
      // zod refuses a missing key for these; an undefined value is left to the schema.
      return (v) => v !== undefined;
    case "literal": {
      const values = def.values ?? [];
      return (v) => values.includes(v);
    }
    case "enum": {
      const values = Object.values(def.entries ?? {});
      return (v) => values.includes(v);
    }
    case "optional": {
      const inner = guardOf(def.innerType!);
      return (v) => v === undefined || inner(v);
    }
    case "nullable": {
      const inner = guardOf(def.innerType!);
      return (v) => v === null || inner(v);
    }
    case "array": {
      const element = guardOf(def.element!);
      return (v) => {
        if (!Array.isArray(v) || Object.getPrototypeOf(v) !== Array.prototype) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case "union": {
      const options = (def.options ?? []).map(guardOf);
      return (v) => {
        for (let i = 0; i < options.length; i++) if (options[i]!(v)) return true;
        return false;
      };
    }
    case "object":
      return compileObject(def);
    case "record": {
      const key = guardOf(def.keyType!);
      const value = guardOf(def.valueType!);
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const k in v) if (!key(k) || !value(v[k])) return false;
        return true;
      };
    }
    default:
      return never;
  }
}

function compileObject(def: Def): Guard {
  const keys = Object.keys(def.shape ?? {});
  const fields = keys.map((key) => guardOf(def.shape![key]!));
  const count = keys.length;
  const catchall = def.catchall === undefined ? undefined : defOf(def.catchall).type;
  // A loose object's `unknown` catchall takes any other key and value: nothing to look at.
  if (catchall === "unknown") {
    return (v) => {
      if (!isPlainObject(v)) return false;
      for (let i = 0; i < count; i++) if (!fields[i]!(v[keys[i]!])) return false;
      return true;
    };
  }
  // No catchall strips unknown keys and `never` refuses them: either way they change the result.
  const known = new Set(keys);
  const extra = def.catchall === undefined ? never : guardOf(def.catchall);
  return (v) => {
    if (!isPlainObject(v)) return false;
    for (let i = 0; i < count; i++) if (!fields[i]!(v[keys[i]!])) return false;
    for (const key in v) if (!known.has(key) && !extra(v[key])) return false;
    return true;
  };
}

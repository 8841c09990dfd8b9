/**
 * Accept-only predicates compiled from zod schemas, for hot paths: a guard is true only for a
 * value its schema accepts unchanged; false means "ask the schema" (which accepts or says why).
 * The schema stays the only definition; a shape a guard does not understand is never accepted.
 * Each guard is generated as one straight-line function, so it runs fast from the first call.
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

interface Internals {
  def: Def;
  traits: Set<string>;
  /** The exact values a literal or enum accepts (an enum's reverse-mapped names left out). */
  values?: Set<unknown>;
}

function internals(schema: z.ZodType): Internals {
  return (schema as unknown as { _zod: Internals })._zod;
}

function defOf(schema: z.ZodType): Def {
  return internals(schema).def;
}

/**
 * zod's core classes a guard knows the meaning of. A schema that is also anything else (a
 * string or number format such as `z.email()` or `z.int()`, `z.exactOptional`, `z.xor`) is
 * never vouched for.
 */
const UNDERSTOOD = new Set([
  "$ZodType",
  "$ZodString",
  "$ZodNumber",
  "$ZodBoolean",
  "$ZodUnknown",
  "$ZodAny",
  "$ZodLiteral",
  "$ZodEnum",
  "$ZodOptional",
  "$ZodNullable",
  "$ZodArray",
  "$ZodUnion",
  "$ZodDiscriminatedUnion",
  "$ZodObject",
  "$ZodObjectJIT",
  "$ZodRecord",
]);

/** Thrown while generating code for a shape the guard does not understand. */
class Unsupported extends Error {}

/** Generated code and the values it refers to (`deps[i]`). */
class Emitter {
  readonly deps: unknown[] = [];
  #names = 0;

  name(prefix: string): string {
    return `${prefix}${this.#names++}`;
  }

  dep(value: unknown): string {
    this.deps.push(value);
    return `deps[${this.deps.length - 1}]`;
  }
}

function compile(schema: z.ZodType): Guard {
  const out = new Emitter();
  let body: string;
  try {
    body = statements(schema, "v", out);
  } catch (error) {
    if (error instanceof Unsupported) return never;
    throw error;
  }
  const source = `"use strict";\nreturn function guard(v) {\n${body}return true;\n};`;
  try {
    return new Function("deps", "OBJECT", "ARRAY", source)(
      out.deps,
      Object.prototype,
      Array.prototype,
    ) as Guard;
  } catch {
    // A runtime that forbids generating code: every value goes through the schema.
    return never;
  }
}

/** A JSON literal of a primitive the generated code may compare with. */
function literal(value: unknown): string {
  if (typeof value === "string" || typeof value === "boolean" || value === null) {
    return JSON.stringify(value);
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new Unsupported();
}

/** Statements that `return false` unless the value in variable `v` passes `schema`. */
function statements(schema: z.ZodType, v: string, out: Emitter): string {
  const { def, traits } = internals(schema);
  for (const trait of traits) {
    if (trait.startsWith("$") && !UNDERSTOOD.has(trait)) throw new Unsupported();
  }
  let code = typeStatements(schema, def, v, out);
  for (const check of def.checks ?? []) code += checkStatement(schema, check._zod.def, v, out);
  return code;
}

function checkStatement(schema: z.ZodType, check: CheckDef, v: string, out: Emitter): string {
  switch (check.check) {
    case "custom": {
      const accepts = refinements.get(schema);
      if (accepts === undefined) throw new Unsupported();
      return `if (!${out.dep(accepts)}(${v})) return false;\n`;
    }
    case "number_format":
      if (check.format !== "safeint") throw new Unsupported();
      return `if (!Number.isSafeInteger(${v})) return false;\n`;
    case "greater_than":
      return `if (!(${v} ${check.inclusive === true ? ">=" : ">"} ${
        literal(check.value)
      })) return false;\n`;
    case "min_length":
      return `if (!(${v}.length >= ${literal(check.minimum)})) return false;\n`;
    default:
      throw new Unsupported();
  }
}

function typeStatements(schema: z.ZodType, def: Def, v: string, out: Emitter): string {
  switch (def.type) {
    case "string":
    case "boolean":
      return `if (typeof ${v} !== "${def.type}") return false;\n`;
    case "number":
      return `if (typeof ${v} !== "number" || !Number.isFinite(${v})) return false;\n`;
    case "unknown":
    case "any":
      // zod refuses a missing key for these; an undefined value is left to the schema.
      return `if (${v} === undefined) return false;\n`;
    case "literal":
    case "enum": {
      const values = [...(internals(schema).values ?? [])];
      if (values.length === 0) throw new Unsupported();
      return `if (!(${values.map((x) => `${v} === ${literal(x)}`).join(" || ")})) return false;\n`;
    }
    case "optional":
      return `if (${v} !== undefined) {\n${statements(def.innerType!, v, out)}}\n`;
    case "nullable":
      return `if (${v} !== null) {\n${statements(def.innerType!, v, out)}}\n`;
    case "array": {
      const i = out.name("i");
      const item = out.name("v");
      return `if (!Array.isArray(${v}) || Object.getPrototypeOf(${v}) !== ARRAY) return false;\n` +
        `for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {\nconst ${item} = ${v}[${i}];\n` +
        `${statements(def.element!, item, out)}}\n`;
    }
    case "union": {
      // Any option passing is enough: a discriminated union's options have distinct
      // discriminators, so the option that passes is the one zod picks (`z.xor` is refused above).
      const options = (def.options ?? []).map((option) => `${out.dep(guardOf(option))}(${v})`);
      if (options.length === 0) throw new Unsupported();
      return `if (!(${options.join(" || ")})) return false;\n`;
    }
    case "object":
      return objectStatements(def, v, out);
    case "record": {
      // Keys from a fixed set (an enum or literal) must all be present: not a guard's business.
      if (internals(def.keyType!).values !== undefined) throw new Unsupported();
      const key = out.name("k");
      const value = out.name("v");
      return `${plainObject(v)}for (const ${key} in ${v}) {\nconst ${value} = ${v}[${key}];\n` +
        `${statements(def.keyType!, key, out)}${statements(def.valueType!, value, out)}}\n`;
    }
    default:
      throw new Unsupported();
  }
}

function plainObject(v: string): string {
  return `if (typeof ${v} !== "object" || ${v} === null || Object.getPrototypeOf(${v}) !== OBJECT) return false;\n`;
}

function objectStatements(def: Def, v: string, out: Emitter): string {
  let code = plainObject(v);
  const shape = def.shape ?? {};
  for (const [key, field] of Object.entries(shape)) {
    const name = out.name("v");
    code += `const ${name} = ${v}[${JSON.stringify(key)}];\n${statements(field, name, out)}`;
  }
  // A loose object's `unknown` catchall takes any other key and value: nothing to look at.
  const catchall = def.catchall === undefined ? undefined : defOf(def.catchall);
  if (catchall?.type === "unknown" && (catchall.checks ?? []).length === 0) return code;
  // No catchall strips unknown keys and `never` refuses them: either way they change the result.
  const known = out.dep(new Set(Object.keys(shape)));
  const key = out.name("k");
  return `${code}for (const ${key} in ${v}) if (!${known}.has(${key})) return false;\n`;
}

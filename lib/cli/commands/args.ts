/**
 * Flag parsing for every command on `node:util` parseArgs. Checking is strict (unknown flags,
 * missing values and stray arguments are usage errors) and done here so that the messages
 * are the same on Deno and Bun.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./usage_error.ts";

/** A flag a command accepts. `--home` and `--help` are added to every command. */
export interface FlagSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
}

/** The parsed flags and positionals of one command. */
export class ParsedArgs {
  readonly positionals: readonly string[];
  readonly #values: Map<string, (string | boolean)[]>;

  constructor(values: Map<string, (string | boolean)[]>, positionals: readonly string[]) {
    this.#values = values;
    this.positionals = positionals;
  }

  /** The last value of a string flag. */
  string(name: string): string | undefined {
    const value = this.#values.get(name)?.at(-1);
    return typeof value === "string" ? value : undefined;
  }

  /** Every value of a repeatable string flag, in order. */
  strings(name: string): string[] {
    return (this.#values.get(name) ?? []).filter((v): v is string => typeof v === "string");
  }

  /** Whether a boolean flag was given. */
  flag(name: string): boolean {
    return this.#values.has(name);
  }

  /** A whole number flag (`--limit 20`), or undefined when absent; `max` bounds it. */
  integer(name: string, options: { max?: number } = {}): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (/^-\d+$/.test(text)) {
      throw new UsageError(`option "--${name}" cannot be negative, got "${text}"`);
    }
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    if (/^\d+$/.test(text) && (text.length > 16 || Number(text) > max)) {
      throw new UsageError(`option "--${name}" can be at most ${max}, got "${text}"`);
    }
    if (!/^\d{1,16}$/.test(text)) {
      throw new UsageError(`option "--${name}" needs a whole number, got "${text}"`);
    }
    return Number(text);
  }

  /** A flag restricted to some values (`--to md|json|jsonl`). */
  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if (!(choices as readonly string[]).includes(text)) {
      throw new UsageError(
        `option "--${name}" must be ${choices.map((c) => `"${c}"`).join(" or ")}, got "${text}"`,
      );
    }
    return text as T;
  }
}

const COMMON: Record<string, FlagSpec> = {
  home: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Flags every SESSION command accepts besides its own. */
export const SESSION_FLAGS = { last: { type: "boolean" } } as const;

/**
 * Parses `argv` against `flags`; `positionals` bounds how many plain arguments are allowed.
 * Throws {@linkcode UsageError} for anything else.
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: {
    flags: Record<string, FlagSpec>;
    positionals: { min: number; max: number; name?: string };
  },
): ParsedArgs {
  const spec = { ...COMMON, ...options.flags };
  const { tokens } = parseArgs({
    args: [...argv],
    options: spec,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values = new Map<string, (string | boolean)[]>();
  const positionals: string[] = [];
  for (const token of tokens ?? []) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    const flag = spec[token.name];
    if (flag === undefined) throw new UsageError(`unknown option "${token.rawName}"`);
    let value: string | boolean = true;
    if (flag.type === "string") {
      if (token.value === undefined) {
        throw new UsageError(`option "${token.rawName}" needs a value`);
      }
      if (!token.inlineValue && /^-(?!\d)./.test(token.value)) {
        throw new UsageError(
          `option "${token.rawName}" needs a value, got the option "${token.value}" (write ${token.rawName}=VALUE for a value that starts with "-")`,
        );
      }
      value = token.value;
    } else if (token.value !== undefined) {
      throw new UsageError(`option "${token.rawName}" takes no value`);
    }
    const list = values.get(token.name) ?? [];
    list.push(value);
    values.set(token.name, list);
  }
  const parsed = new ParsedArgs(values, positionals);
  const { min, max, name } = options.positionals;
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument "${positionals[max]}"`);
  }
  if (positionals.length < min) throw new UsageError(`missing ${name ?? "argument"}`);
  return parsed;
}

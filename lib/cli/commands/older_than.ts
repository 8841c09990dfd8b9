/**
 * What `archive` and `prune` share: `--older-than DURATION` (`90m`, `12h`, `30d`, `2w`) and
 * sizes for people (`412.3 MB`).
 */
import type { ParsedArgs } from "./args.ts";
import { UsageError } from "./usage_error.ts";

const UNIT_MS: Readonly<Record<string, number>> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** A duration given to `--older-than`: the text as given and its length in milliseconds. */
export interface Age {
  text: string;
  ms: number;
}

/** The milliseconds of a duration such as `90m`, `12h`, `30d` or `2w`; null for anything else. */
export function durationMs(text: string): number | null {
  const match = /^(\d{1,6})([mhdw])$/.exec(text);
  return match === null ? null : Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Parses a duration such as `90m`, `12h`, `30d` or `2w`; anything else is a usage error. */
export function parseDuration(text: string, flag = "--older-than"): Age {
  const ms = durationMs(text);
  if (ms === null) {
    const hint = /^\d+$/.test(text)
      ? " (a number needs a unit: m, h, d or w)"
      : /^\d+(\.\d+)?[a-z]+$/i.test(text)
      ? " (a whole number and one of the units m, h, d, w)"
      : "";
    throw new UsageError(
      `option "${flag}" needs a duration such as 90m, 12h, 30d or 2w, got "${text}"${hint}`,
    );
  }
  return { text, ms };
}

/** `--older-than` of a command: its duration, or `fallback` when the flag is absent. */
export function olderThanOf(args: ParsedArgs, fallback: string): Age;
export function olderThanOf(args: ParsedArgs, fallback?: undefined): Age | undefined;
export function olderThanOf(args: ParsedArgs, fallback?: string): Age | undefined {
  const text = args.string("older-than") ?? fallback;
  return text === undefined ? undefined : parseDuration(text);
}

/** Bytes for people, in powers of 1000: `812 B`, `9.4 kB`, `412.3 MB`, `1.20 GB`. */
export function byteSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}

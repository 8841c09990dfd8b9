/**
 * What `export` and `show` share for redaction: the `--no-redact` flag, the redactor it
 * chooses, and the note on stderr saying what was replaced (by rule, never the secret).
 */
import type { Io } from "../../runtime/mod.ts";
import { describeCounts, Redactor, totalRedacted } from "../../redaction/mod.ts";
import type { ParsedArgs } from "./args.ts";

/** The flag of the commands that redact by default. */
export const REDACT_FLAGS = { "no-redact": { type: "boolean" } } as const;

/** The redactor of a command that redacts unless `--no-redact` is given; null with it. */
export function redactorOf(args: ParsedArgs): Redactor | null {
  return args.flag("no-redact") ? null : new Redactor();
}

/** `2 secrets (openai 1, jwt 1)`. */
export function secretsCounted(counts: Readonly<Record<string, number>>): string {
  const n = totalRedacted(counts);
  return `${n} secret${n === 1 ? "" : "s"} (${describeCounts(counts)})`;
}

/** Says on stderr what the redactor replaced, if anything. */
export async function reportRedacted(io: Io, redactor: Redactor | null): Promise<void> {
  if (redactor === null || redactor.total === 0) return;
  await io.stderr.write(
    `rollout: note: redacted ${secretsCounted(redactor.counts)}; --no-redact keeps them\n`,
  );
}

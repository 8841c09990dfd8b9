/**
 * `rollout redact`: rewrites a stored session with its secrets replaced (the original kept as
 * PATH.unredacted-<time> unless --no-keep) and says what it found by rule, never a secret.
 */
import type { Io } from "../../runtime/mod.ts";
import { describeCounts, totalRedacted } from "../../redaction/mod.ts";
import { type RedactResult, redactRollout } from "../../session/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { counted, SESSION_FLAGS, sessionPathOf } from "./context.ts";
import { Progress } from "./progress.ts";

/** The report of a run, as text. */
function report(result: RedactResult): string {
  const total = totalRedacted(result.counts);
  const where = `${result.path} (${result.format}, ${counted(result.records, "record")})`;
  if (total === 0) return `No secrets found in ${where}; nothing changed\n`;
  const width = Math.max(...Object.keys(result.counts).map((rule) => rule.length));
  const rules = describeCounts(result.counts).split(", ").map((entry) => {
    const [rule, n] = entry.split(" ");
    return `  ${rule!.padEnd(width)}  ${n}`;
  });
  const lines = [
    ...(result.restoredFrom === null ? [] : [
      `Restored ${result.restoredFrom} from its archive first (rollout archive compresses it again)`,
    ]),
    `${result.dryRun ? "Would redact" : "Redacted"} ${counted(total, "secret")} in ${where}, ${
      counted(result.changed, "record")
    } ${result.dryRun ? "to change" : "changed"}:`,
    ...rules,
  ];
  if (result.dryRun) {
    lines.push("Nothing was changed (--dry-run)");
    if (result.heldBy !== null) {
      lines.push(`A writer holds the session (${result.heldBy}): redact waits until it is closed`);
    }
  } else if (result.original !== null) {
    lines.push(
      `The original is kept as ${result.original} (it holds the secrets: delete it when done)`,
    );
  } else lines.push("The original was not kept (--no-keep)");
  return `${lines.join("\n")}\n`;
}

/** Runs `rollout redact`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      ...SESSION_FLAGS,
      "dry-run": { type: "boolean" },
      "no-keep": { type: "boolean" },
      json: { type: "boolean" },
    },
    positionals: { min: 0, max: 1 },
  });
  const file = await sessionPathOf(args, io);
  const json = args.flag("json");
  const progress = new Progress(io, { json });
  let result: RedactResult;
  try {
    result = await redactRollout(file, {
      pid: io.pid,
      now: new Date(),
      dryRun: args.flag("dry-run"),
      keep: !args.flag("no-keep"),
      progress: (phase) => progress.phase(phase),
    });
  } finally {
    progress.done();
  }
  if (!json) {
    await io.stdout.write(report(result));
    return 0;
  }
  const out = {
    path: result.path,
    format: result.format,
    dry_run: result.dryRun,
    secrets: result.counts,
    total: totalRedacted(result.counts),
    records: result.records,
    changed: result.changed,
    original: result.original,
    held_by: result.heldBy,
    restored_from: result.restoredFrom,
  };
  await io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}

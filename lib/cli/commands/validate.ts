/** `rollout validate`: checks files and folders; exit 1 if any file is invalid. For CI. */
import type { Io } from "../../runtime/mod.ts";
import { collectFiles, validateFile, type ValidationResult } from "../../session/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { counted } from "./context.ts";

/** Files checked before a progress line appears on a terminal. */
const PROGRESS_FROM = 20;

function where(e: { line: number | null; offset: number | null }): string {
  if (e.line === null) return "";
  return e.offset === null ? `line ${e.line}: ` : `line ${e.line} (byte ${e.offset}): `;
}

/** The text report of one file. */
export function describeResult(r: ValidationResult): string {
  const status = !r.ok ? "INVALID" : r.warnings.length > 0 ? "warning" : "ok";
  const what = r.format === null ? "" : ` (${r.format}, ${counted(r.items, "item")})`;
  const lines = [`${status.padEnd(7)}  ${r.path}${what}`];
  for (const e of r.errors) lines.push(`         error: ${where(e)}${e.message}`);
  for (const w of r.warnings) lines.push(`         warning: ${w}`);
  return `${lines.join("\n")}\n`;
}

/** Runs `rollout validate`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { json: { type: "boolean" }, strict: { type: "boolean" } },
    positionals: { min: 1, max: Infinity, name: "PATH" },
  });
  const files = collectFiles(args.positionals, io.cwd);
  const progress = io.stderr.isTTY && files.length >= PROGRESS_FROM;
  const results: ValidationResult[] = [];
  let text = "";
  for (const file of files) {
    if (progress && results.length % 10 === 0) {
      await io.stderr.write(`\rvalidating ${results.length}/${files.length}`);
    }
    const result = validateFile(file, { strict: args.flag("strict") });
    results.push(result);
    if (args.flag("json")) continue;
    // On a terminal the report waits for the progress line to finish; otherwise it streams.
    if (progress) text += describeResult(result);
    else await io.stdout.write(describeResult(result));
  }
  if (progress) await io.stderr.write(`\rvalidated ${files.length}/${files.length}\n`);
  if (text !== "") await io.stdout.write(text);
  const invalid = results.filter((r) => !r.ok).length;
  if (args.flag("json")) await io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    await io.stdout.write(
      `${counted(files.length, "file")}: ${files.length - invalid} valid, ${invalid} invalid\n`,
    );
  }
  return invalid === 0 ? 0 : 1;
}

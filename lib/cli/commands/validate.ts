/** `rollout validate`: checks files and folders; exit 1 if any file is invalid. For CI. */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { Io } from "../../runtime/mod.ts";
import { visible } from "../../base/mod.ts";
import { ioError, RolloutError } from "../../schemas/mod.ts";
import {
  collectFiles,
  readSessionHead,
  validateFile,
  type ValidationResult,
} from "../../session/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { counted } from "./context.ts";
import { Progress } from "./progress.ts";
import { UsageError } from "./usage_error.ts";
import { githubReport, junitReport, summary } from "./validate_report.ts";

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
  // A file's name, like what a rollout holds, never reaches the terminal as a control code.
  const shown = (text: string) => visible(text, { oneLine: true });
  const lines = [`${status.padEnd(7)}  ${shown(r.path)}${what}`];
  for (const e of r.errors) lines.push(`         error: ${where(e)}${shown(e.message)}`);
  for (const w of r.warnings) lines.push(`         warning: ${shown(w)}`);
  return `${lines.join("\n")}\n`;
}

/** Where a report goes: stdout, or the file of `-o` (replaced if it exists, 0600). */
async function deliver(text: string, output: string | undefined, io: Io): Promise<void> {
  if (output === undefined) return await io.stdout.write(text);
  const file = path.resolve(io.cwd, output);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, text, { mode: 0o600 });
  } catch (error) {
    throw ioError("write report", file, error);
  }
}

/**
 * Refuses an `-o` that would replace a session: one of the files being checked (the same file
 * by any path), or any file that reads as a rollout. A report replaces only what is no rollout.
 */
function refuseRolloutAsReport(file: string, files: readonly { path: string }[]): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return; // Absent (or unreachable): writing the report says what is wrong, if anything.
  }
  const same = (other: string) => {
    try {
      const o = fs.statSync(other);
      return o.ino === stat.ino && o.dev === stat.dev;
    } catch {
      return false;
    }
  };
  const why = files.some((f) => same(f.path))
    ? "it is one of the files being validated"
    : stat.isFile() && readSessionHead(file).ok
    ? "it holds a rollout session"
    : null;
  if (why !== null) {
    throw new RolloutError(
      "invalid_argument",
      `Cannot write the report to "${file}": ${why}; name another file`,
    );
  }
}

/** Runs `rollout validate`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      json: { type: "boolean" },
      strict: { type: "boolean" },
      format: { type: "string" },
      output: { type: "string", short: "o" },
    },
    positionals: { min: 1, max: Infinity, name: "PATH" },
  });
  const format = args.choice("format", ["text", "github", "junit"] as const) ??
    (args.flag("json") ? "json" : "text");
  if (args.flag("json") && args.string("format") !== undefined) {
    throw new UsageError('use either "--json" or "--format", not both');
  }
  const output = args.string("output");
  if (output === "") throw new UsageError('option "--output" needs a file name, got ""');
  const started = performance.now();
  const files = collectFiles(args.positionals, io.cwd);
  if (output !== undefined) refuseRolloutAsReport(path.resolve(io.cwd, output), files);
  // On a terminal, never for a machine format: files counted when there are many, else the
  // bytes of each large file.
  const quiet = format !== "text";
  const progress = io.stderr.isTTY && !quiet && files.length >= PROGRESS_FROM;
  const reading = new Progress(io, { json: quiet || progress });
  // The text report streams unless it goes to a file or waits for the progress line.
  const streaming = format === "text" && output === undefined && !progress;
  const results: ValidationResult[] = [];
  let text = "";
  for (const file of files) {
    if (progress && results.length % 10 === 0) {
      await io.stderr.write(`\rvalidating ${results.length}/${files.length}`);
    }
    const result = await validateFile(file, {
      strict: args.flag("strict"),
      progress: reading.tick,
    });
    reading.done();
    results.push(result);
    if (streaming) await io.stdout.write(describeResult(result));
    else if (format === "text" || (format === "junit" && output !== undefined)) {
      text += describeResult(result);
    }
  }
  if (progress) await io.stderr.write(`\rvalidated ${files.length}/${files.length}\n`);
  const invalid = results.filter((r) => !r.ok).length;
  switch (format) {
    case "json":
      await deliver(`${JSON.stringify(results, null, 2)}\n`, output, io);
      break;
    case "github":
      await deliver(githubReport(results), output, io);
      break;
    case "junit": {
      const seconds = (performance.now() - started) / 1000;
      await deliver(junitReport(results, seconds), output, io);
      // With the XML in a file, people still read the text report.
      if (output !== undefined) await io.stdout.write(`${text}${summary(results)}\n`);
      break;
    }
    case "text":
      await deliver(`${text}${summary(results)}\n`, streaming ? undefined : output, io);
      break;
  }
  return invalid === 0 ? 0 : 1;
}

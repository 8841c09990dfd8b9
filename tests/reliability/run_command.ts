/**
 * Runs a command to completion and collects its output; and `rollout validate --json` on
 * top of it, the verdict every crash tier asks for after recovery.
 */
import { spawn } from "node:child_process";
import { z } from "zod";
import { BINARY, type Subject } from "./proto_process.ts";

/** A finished command. */
export interface CommandResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args`, feeding `input` on stdin, and awaits its end. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input?: string | Uint8Array; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    child.stdin.on("error", () => {});
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** One file's verdict from `rollout validate --json` (SPEC §5). */
export const ValidateEntry = z.object({
  path: z.string(),
  ok: z.boolean(),
  format: z.string().nullable(),
  items: z.number().nullable(),
  errors: z.array(
    z.object({ line: z.number().nullable(), offset: z.number().nullable(), message: z.string() }),
  ),
  warnings: z.array(z.unknown()),
});
export type ValidateEntry = z.infer<typeof ValidateEntry>;

/** The outcome of `rollout validate --json PATHS`. */
export interface ValidateResult {
  code: number | null;
  entries: ValidateEntry[];
  stderr: string;
}

/** Runs `rollout validate --json` (by default with the compiled binary) on `paths`. */
export async function validate(
  paths: readonly string[],
  options: { subject?: Subject; strict?: boolean } = {},
): Promise<ValidateResult> {
  const subject = options.subject;
  const command = subject?.command ?? BINARY;
  const args = [...(subject?.prefix ?? []), "validate", "--json", ...paths];
  if (options.strict === true) args.push("--strict");
  const result = await runCommand(command, args);
  let entries: ValidateEntry[];
  try {
    entries = z.array(ValidateEntry).parse(JSON.parse(result.stdout));
  } catch (error) {
    throw new Error(
      `rollout validate printed no valid report (exit ${result.code}): ${
        result.stdout.slice(0, 300)
      }` +
        ` ${result.stderr.slice(0, 300)}`,
      { cause: error },
    );
  }
  return { code: result.code, entries, stderr: result.stderr };
}

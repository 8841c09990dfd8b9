/**
 * The one error class of `rollout`: a closed set of codes (SPEC §4) with an optional cause.
 * Expected failures carry one of these; anything else thrown is a bug.
 */
import { z } from "zod";

/** The closed set of error codes users and harnesses can see. */
export const ErrorCode = z.enum([
  "invalid_json",
  "invalid_submission",
  "unsupported_op",
  "no_session",
  "not_found",
  "invalid_rollout",
  "locked",
  "io_error",
  "line_too_long",
  "invalid_argument",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** An expected failure with a code from {@linkcode ErrorCode}. */
export class RolloutError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RolloutError";
    this.code = code;
  }
}

/** Wraps a file-system failure as an `io_error` (or `not_found`) naming the file. */
export function ioError(what: string, path: string, cause: unknown): RolloutError {
  const errno = errnoOf(cause);
  const code: ErrorCode = errno === "ENOENT" ? "not_found" : "io_error";
  const detail = errno === "ENOENT" ? "no such file or directory" : describe(cause);
  return new RolloutError(code, `Cannot ${what} "${path}": ${detail}`, { cause });
}

/** The `code` of a Node-style system error (`ENOENT`, `EIO`, ...), if it has one. */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** A short text for any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

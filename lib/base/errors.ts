/**
 * The one error class of `rollout`: a closed set of codes (SPEC §4) with an optional cause.
 * Expected failures carry one of these; anything else thrown is a bug. No schema here (the
 * codes' schema is in schemas/): a command that only reports errors loads no zod.
 */

/** The closed set of error codes users and harnesses can see. */
export const ERROR_CODES = [
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
] as const;
export type ErrorCode = typeof ERROR_CODES[number];

/** An expected failure with a code from {@linkcode ERROR_CODES}. */
export class RolloutError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RolloutError";
    this.code = code;
  }
}

/** What a system error means, in plain words and with what to do, by its errno code. */
const PLAIN: Record<string, string> = {
  EACCES: "permission denied: this user may not do that there (check the owner and mode)",
  EPERM: "the operation is not permitted here",
  ENOTDIR: "a part of the path is a file, not a folder",
  ENOENT: "no such file or directory",
  EISDIR: "it is a folder",
  ENOTREG: "it is not a regular file (a FIFO, a device or a socket)",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full: free some space and try again",
  EDQUOT: "the disk quota is used up: free some space and try again",
  EIO: "the device reported an input/output error (the disk may be failing)",
  ELOOP: "too many symbolic links (a loop?)",
  ENAMETOOLONG: "the name is too long",
  EEXIST: "it already exists",
  EMFILE: "too many files are open in this process",
  ENFILE: "too many files are open on this system",
  EBUSY: "it is busy",
  ENXIO: "no such device",
  ENODEV: "no such device",
};

/**
 * A system error in plain words (`permission denied: ... (EACCES in open)`), else its own
 * text. The code and the system call stay in parentheses, for a search.
 */
export function plainError(error: unknown): string {
  const errno = errnoOf(error);
  const plain = errno === undefined ? undefined : PLAIN[errno];
  if (plain === undefined) return describe(error);
  const syscall = (error as { syscall?: unknown }).syscall;
  return `${plain} (${errno}${typeof syscall === "string" ? ` in ${syscall}` : ""})`;
}

/** Wraps a file-system failure as an `io_error` (or `not_found`) naming the file. */
export function ioError(what: string, path: string, cause: unknown): RolloutError {
  const errno = errnoOf(cause);
  const code: ErrorCode = errno === "ENOENT" ? "not_found" : "io_error";
  const detail = errno === "ENOENT" ? "no such file or directory" : plainError(cause);
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

/**
 * Whether `error` is a system call's failure (a `code` such as ENOENT, EACCES, E2BIG): the disk
 * or the system, never the content of a file.
 */
export function isSystemError(error: unknown): boolean {
  return /^E[A-Z0-9]+$/.test(errnoOf(error) ?? "");
}

/** A short text for any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A search query that is no valid syntax; the message says what is wrong with it. */
export class BadQuery extends Error {}

/** A usage error (exit status 2): a bad flag or argument, printed with the command's usage. */

/** Thrown by argument parsing; the command line prints it with the usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

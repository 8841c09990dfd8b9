/**
 * What a command may touch of its process, passed in so that commands are testable without
 * one: standard streams, environment, signals. Only `process_io.ts` builds the real thing.
 */

/** A byte sink that honours back-pressure: `write` resolves when the data was accepted. */
export interface OutputStream {
  write(data: string | Uint8Array): Promise<void>;
  /** Whether the stream is a terminal (colour, progress lines). */
  readonly isTTY: boolean;
  /** A terminal's width in characters, when known. */
  readonly columns?: number | undefined;
}

/** The process around a command. */
export interface Io {
  readonly stdin: AsyncIterable<Uint8Array>;
  /**
   * The descriptor of the process's own stdin (0), for a thread that reads it directly;
   * absent when stdin is not the process's (tests), and commands then read `stdin`.
   */
  readonly stdinFd?: number;
  readonly stdinIsTTY: boolean;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly pid: number;
  /**
   * Calls `handler` on SIGINT/SIGTERM or when stdout is closed by the reader (EPIPE);
   * returns a function that removes it.
   */
  onTerminate(handler: (reason: "SIGINT" | "SIGTERM" | "SIGHUP" | "EPIPE") => void): () => void;
}

/**
 * Text a streaming command produces while it reads, written to stdout in pieces of a few
 * hundred KiB: few writes, and memory that does not grow with the file (SPEC §7).
 */
import type { Io } from "../../runtime/mod.ts";

/** Pieces held before a write; a piece as long as one line may exceed it. */
const FLUSH_CHARS = 256 * 1024;

export class OutputBuffer {
  readonly #io: Io;
  #pieces: string[] = [];
  #chars = 0;

  constructor(io: Io) {
    this.#io = io;
  }

  add(text: string): void {
    if (text.length === 0) return;
    this.#pieces.push(text);
    this.#chars += text.length;
  }

  /** Writes what is held once it is worth a write. */
  async flushIfFull(): Promise<void> {
    if (this.#chars >= FLUSH_CHARS) await this.flush();
  }

  /** Writes everything held. */
  async flush(): Promise<void> {
    if (this.#chars === 0) return;
    const text = this.#pieces.join("");
    this.#pieces = [];
    this.#chars = 0;
    await this.#io.stdout.write(text);
  }
}

/**
 * Text a streaming command produces while it reads, written to stdout in pieces of a few
 * hundred KiB: few writes, and memory that does not grow with the file (SPEC §7).
 */
import { TextPieces } from "../../base/mod.ts";
import { type Io, restoreJitIfLong } from "../../runtime/mod.ts";

export class OutputBuffer {
  readonly #io: Io;
  readonly #pieces = new TextPieces();
  #due = false;

  constructor(io: Io) {
    this.#io = io;
  }

  add(text: string): void {
    // Output that is still being made this late is long work (runtime/jit_policy.ts).
    restoreJitIfLong();
    this.#due = this.#pieces.add(text);
  }

  /** Writes what is held once it is worth a write. */
  async flushIfFull(): Promise<void> {
    if (this.#due) await this.flush();
  }

  /** Writes everything held. */
  async flush(): Promise<void> {
    this.#due = false;
    const text = this.#pieces.take();
    if (text.length > 0) await this.#io.stdout.write(text);
  }
}

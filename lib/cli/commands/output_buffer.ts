/**
 * Text a streaming command (`show`, `export`, `load`, `list`) produces while it reads, written
 * to stdout in pieces of 256 KiB to a few MiB: few writes, and memory that does not grow with
 * the file (SPEC §7). A caller awaits each flush before the next one: the writes of two
 * flushes at once could interleave.
 *
 * Each text is encoded as it is added, into one buffer used again and again, so no text
 * outlives its entry. Held as strings until the write (up to 256 Ki characters), the texts
 * lived through the young collections of the read (runtime/memory.ts) and made them dear:
 * `show --no-redact` of the 1 GiB B8 rollout with a young collection every 3 MiB took 2.49 s
 * and 93,031 page faults holding strings, 1.53 s and 27,917 faults holding bytes (one run of
 * each; the same with the texts dropped unwritten: 1.31 s, 23,548 faults).
 */
import { Utf8Buffer } from "../../base/mod.ts";
import { type Io, restoreJitIfLong } from "../../runtime/mod.ts";

/** Bytes held before a write is due. */
const WRITE_AT = 256 * 1024;

export class OutputBuffer {
  readonly #io: Io;
  /** Bytes of a full buffer, copied out (the buffer is filled again), waiting for a write. */
  #ready: Uint8Array[] = [];
  readonly #bytes = new Utf8Buffer((bytes) => {
    this.#ready.push(bytes.slice());
  });

  constructor(io: Io) {
    this.#io = io;
  }

  /**
   * Adds `text`, encoded on its own as `TextEncoder.encode(text)` would: a surrogate pair cut
   * between two texts is written as two U+FFFD, so each text ends on a whole character.
   */
  add(text: string): void {
    // Output that is still being made this late is long work (runtime/jit_policy.ts).
    restoreJitIfLong();
    this.#bytes.add(text);
  }

  /** Writes what is held once it is worth a write. */
  async flushIfFull(): Promise<void> {
    if (this.#ready.length > 0 || this.#bytes.held >= WRITE_AT) await this.flush();
  }

  /** Writes everything held. */
  async flush(): Promise<void> {
    // A copy, as for a full buffer: a write to a pipe may hold on to what it was given.
    this.#bytes.flush();
    const ready = this.#ready;
    this.#ready = [];
    for (const bytes of ready) await this.#io.stdout.write(bytes);
  }
}

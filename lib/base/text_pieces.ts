/**
 * Text gathered in pieces before one write: few writes, and memory that does not grow with
 * what is written (SPEC §7). Shared by the streamed outputs (stdout, new files, copies).
 */

/** Characters held before {@linkcode TextPieces.add} says a write is due. */
const WRITE_AT = 256 * 1024;

export class TextPieces {
  #pieces: string[] = [];
  #chars = 0;

  /** Adds `text`; true when enough is held to be worth a write. */
  add(text: string): boolean {
    if (text.length > 0) {
      this.#pieces.push(text);
      this.#chars += text.length;
    }
    return this.#chars >= WRITE_AT;
  }

  /** Everything held, as one text, and nothing held any more. */
  take(): string {
    const text = this.#pieces.join("");
    this.#pieces = [];
    this.#chars = 0;
    return text;
  }
}

/**
 * Text encoded as UTF-8 as it comes, into one buffer used again and again: the streamed
 * outputs (stdout, new files, copies) hold bytes, not the texts, until they write (SPEC §7).
 */

const encoder = new TextEncoder();

/** Bytes of a {@linkcode Utf8Buffer} before it hands them over. */
const BUFFER_BYTES = 1024 * 1024;

/**
 * What a {@linkcode Utf8Buffer} hands its bytes to, each time it is full: `bytes` are the held
 * part of `buffer`. Either the writer is done with them when it returns (the buffer is filled
 * again), or it keeps `buffer` and returns another, of the same size, to go on in.
 */
export type Utf8Writer = (bytes: Uint8Array, buffer: Uint8Array) => Uint8Array | void;

/**
 * Text encoded as UTF-8 straight into a buffer that is used again and again, handed to a
 * writer each time it is full: a copy of a gigabyte allocates no new memory per write (each
 * fresh buffer costs the kernel a fault per page touched).
 */
export class Utf8Buffer {
  readonly #write: Utf8Writer;
  #buffer: Uint8Array;
  #length = 0;

  /** `bytes`: the size of the buffer (and of any the writer gives back). */
  constructor(write: Utf8Writer, bytes = BUFFER_BYTES) {
    this.#write = write;
    // Room for any one character (4 bytes), so every pass over an empty buffer moves on.
    this.#buffer = new Uint8Array(Math.max(bytes, 4));
  }

  /**
   * Adds `text` (encoded on its own, as `TextEncoder.encode(text)` would), writing the buffer
   * out each time it fills.
   */
  add(text: string): void {
    let rest = text;
    for (;;) {
      const { read, written } = encoder.encodeInto(rest, this.#buffer.subarray(this.#length));
      this.#length += written;
      if (read === rest.length) return;
      rest = rest.slice(read);
      this.flush();
    }
  }

  /** Bytes held, not yet handed over. */
  get held(): number {
    return this.#length;
  }

  /** Writes out what is held. */
  flush(): void {
    if (this.#length === 0) return;
    const length = this.#length;
    this.#length = 0;
    const next = this.#write(this.#buffer.subarray(0, length), this.#buffer);
    if (next === undefined) return;
    if (next.length !== this.#buffer.length) throw new Error("a buffer of another size came back");
    this.#buffer = next;
  }
}

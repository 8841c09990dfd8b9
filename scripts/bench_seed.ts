/**
 * The seed's writer (B3's reference), exactly as `seed/000_…txt` did it: after every update,
 * seek to 0, truncate, write the whole session as pretty JSON. No sync, no rename.
 */
import * as fs from "node:fs";

const encoder = new TextEncoder();

/** The seed's `write_session` loop over one open file. */
export class SeedWriter {
  readonly #fd: number;
  readonly #data: { session: unknown; items: unknown[]; state: Record<string, unknown> };
  #written = 0;

  /** Creates (or empties) `file` and writes the session with `items`. */
  constructor(file: string, options: { meta: unknown; items?: unknown[] }) {
    this.#fd = fs.openSync(file, "w+", 0o600);
    this.#data = { session: options.meta, items: [...(options.items ?? [])], state: {} };
    this.#writeSession();
  }

  /** `RolloutCmd::AddItems`: append and rewrite everything. */
  addItems(items: readonly unknown[]): void {
    for (const item of items) this.#data.items.push(item);
    this.#writeSession();
  }

  /** Bytes handed to `write` so far. */
  get written(): number {
    return this.#written;
  }

  close(): void {
    fs.closeSync(this.#fd);
  }

  #writeSession(): void {
    fs.ftruncateSync(this.#fd, 0);
    const bytes = encoder.encode(JSON.stringify(this.#data, null, 2));
    let done = 0;
    while (done < bytes.length) {
      done += fs.writeSync(this.#fd, bytes, done, bytes.length - done, done);
    }
    this.#written += bytes.length;
  }
}

/**
 * Writes events to stdout strictly in submission order, one `write` per event, awaiting each
 * write (back-pressure). A failed write (EPIPE) stops the output; events after it are dropped.
 */
import type { OutputStream } from "../io.ts";
import type { EventMsg } from "../protocol.ts";

interface Slot {
  id: string;
  msg: EventMsg | Promise<EventMsg>;
}

/** The ordered event output of one op stream. */
export class EventWriter {
  readonly #out: OutputStream;
  readonly #onFailure: (error: unknown) => void;
  #slots: (Slot | undefined)[] = [];
  #head = 0;
  #pump: Promise<void> | null = null;
  #failed = false;
  #waiters: { below: number; resolve: () => void }[] = [];

  /** `onFailure` is called once, when a write fails (the reader closed stdout). */
  constructor(out: OutputStream, options: { onFailure: (error: unknown) => void }) {
    this.#out = out;
    this.#onFailure = options.onFailure;
  }

  /** Events submitted and not yet written. */
  get backlog(): number {
    return this.#slots.length - this.#head;
  }

  /** Whether a write failed (nothing more is written). */
  get failed(): boolean {
    return this.#failed;
  }

  /** Queues the event answering submission `id`; it is written after every earlier one. */
  push(id: string, msg: EventMsg | Promise<EventMsg>): void {
    this.#slots.push({ id, msg });
    this.#pump ??= this.#run();
  }

  /** Resolves once fewer than `below` events wait to be written. */
  below(below: number): Promise<void> {
    if (this.backlog < below) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below, resolve }));
  }

  /** Resolves once every queued event is written (or dropped after a failure). */
  async drained(): Promise<void> {
    while (this.#pump !== null) await this.#pump;
  }

  async #run(): Promise<void> {
    while (this.#head < this.#slots.length) {
      const slot = this.#slots[this.#head]!;
      const msg = await slot.msg;
      this.#slots[this.#head++] = undefined;
      if (this.#head > 4096 && this.#head * 2 > this.#slots.length) {
        this.#slots = this.#slots.slice(this.#head);
        this.#head = 0;
      }
      if (!this.#failed) await this.#write(`${JSON.stringify({ id: slot.id, msg })}\n`);
      this.#wake();
    }
    this.#pump = null;
  }

  async #write(line: string): Promise<void> {
    try {
      await this.#out.write(line);
    } catch (error) {
      this.#failed = true;
      this.#onFailure(error);
    }
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    const backlog = this.backlog;
    this.#waiters = this.#waiters.filter((w) => {
      if (backlog >= w.below) return true;
      w.resolve();
      return false;
    });
  }
}

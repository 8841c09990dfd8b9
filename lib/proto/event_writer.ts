/**
 * Writes events to stdout strictly in submission order, awaiting each write (back-pressure).
 * An event is never split across writes; events already settled when a write starts share it.
 * A failed write (EPIPE) stops the output; events after it are dropped.
 */
import type { OutputStream } from "../runtime/mod.ts";
import type { EventMsg } from "../schemas/mod.ts";

interface Slot {
  id: string;
  /** The event, a promise of it, or null when it comes through the slot's answer callback. */
  msg: EventMsg | Promise<EventMsg> | null;
  /** The event once known, so settled events can join one write. */
  settled: EventMsg | undefined;
  /** Wakes the writer waiting for this slot's answer (see `reserve`). */
  wake?: () => void;
}

/** The most bytes of events gathered into one write. */
const MAX_WRITE_CHARS = 1 << 20;

/**
 * One output line: `JSON.stringify({ id, msg })` and a `\n`. The acknowledgement of a
 * recording op, most of the stream, is assembled directly (keys in the schema's order).
 */
export function eventLine(id: string, msg: EventMsg): string {
  if (msg.type === "items_recorded" && msg.dropped.length === 0) {
    const redacted = msg.redacted === undefined
      ? ""
      : `,"redacted":${JSON.stringify(msg.redacted)}`;
    return `{"id":${
      JSON.stringify(id)
    },"msg":{"type":"items_recorded","recorded":${msg.recorded},"dropped":[],"item_count":${msg.item_count}${redacted}}}\n`;
  }
  return `${JSON.stringify({ id, msg })}\n`;
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
    const slot: Slot = { id, msg, settled: msg instanceof Promise ? undefined : msg };
    if (msg instanceof Promise) {
      msg.then((value) => {
        slot.settled = value;
      }, () => {});
    }
    this.#slots.push(slot);
    this.#pump ??= this.#run();
  }

  /**
   * Queues the event answering submission `id`, to be given later through the returned
   * callback (called once); it is written after every earlier one. Costs no promise unless
   * the writer has to wait for it.
   */
  reserve(id: string): (msg: EventMsg) => void {
    const slot: Slot = { id, msg: null, settled: undefined };
    this.#slots.push(slot);
    this.#pump ??= this.#run();
    return (msg) => {
      slot.settled = msg;
      slot.wake?.();
    };
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
      const first = this.#take(await this.#event(this.#slots[this.#head]!));
      let text = first;
      while (text.length < MAX_WRITE_CHARS && this.#head < this.#slots.length) {
        const next = this.#slots[this.#head]!.settled;
        if (next === undefined) break;
        text += this.#take(next);
      }
      if (!this.#failed) await this.#write(text);
      this.#wake();
    }
    this.#pump = null;
  }

  /** The slot's event, once known. */
  #event(slot: Slot): EventMsg | Promise<EventMsg> {
    if (slot.settled !== undefined) return slot.settled;
    if (slot.msg !== null) return slot.msg;
    return new Promise((resolve) => (slot.wake = () => resolve(slot.settled!)));
  }

  /** Removes the head slot, whose event is `msg`, and returns its line. */
  #take(msg: EventMsg): string {
    const slot = this.#slots[this.#head]!;
    this.#slots[this.#head++] = undefined;
    if (this.#head > 4096 && this.#head * 2 > this.#slots.length) {
      this.#slots = this.#slots.slice(this.#head);
      this.#head = 0;
    }
    return eventLine(slot.id, msg);
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

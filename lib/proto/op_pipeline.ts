/**
 * Runs ops in submission order without waiting for each to be durable. A `shared` op starts
 * as soon as no earlier op holds it back (recording ops then join the store's group commit);
 * an `exclusive` op starts only after every earlier op settled, and holds back every later op
 * until it settled.
 */

/** How an op may overlap with its neighbours. */
export type OpMode = "shared" | "exclusive";

interface Waiting {
  mode: OpMode;
  start: () => Promise<unknown>;
}

/** The ordering of the op stream; see the module doc. */
export class OpPipeline {
  #queue: Waiting[] = [];
  #head = 0;
  #shared = 0;
  #exclusive = false;
  #idle: (() => void)[] = [];

  /**
   * Starts `run` (now, or once the ops before it allow) and returns its outcome. `run` must
   * not reject: failures are values (error events).
   */
  submit<T>(mode: OpMode, run: () => Promise<T>): Promise<T> {
    if (mode === "shared" && !this.#exclusive && this.#head === this.#queue.length) {
      // Nothing waits ahead of it: start at once, without a queue entry (the common case).
      this.#shared++;
      const outcome = run();
      outcome.then(this.#sharedSettled, this.#sharedSettled);
      return outcome;
    }
    return new Promise<T>((resolve) => {
      this.#queue.push({
        mode,
        start: () => {
          const outcome = run();
          resolve(outcome);
          return outcome;
        },
      });
      this.#pump();
    });
  }

  /**
   * Starts a shared op now if nothing holds it back: returns the callback to call once it
   * has settled, or null (then `submit` it). The same ordering as `submit`, without promises.
   */
  startShared(): (() => void) | null {
    if (this.#exclusive || this.#head !== this.#queue.length) return null;
    this.#shared++;
    return this.#sharedSettled;
  }

  /** Resolves once every submitted op has settled. */
  settled(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #isIdle(): boolean {
    return this.#head === this.#queue.length && this.#shared === 0 && !this.#exclusive;
  }

  /** Starts every op at the head of the queue that may start now, in order. */
  #pump(): void {
    while (this.#head < this.#queue.length && !this.#exclusive) {
      const next = this.#queue[this.#head]!;
      if (next.mode === "exclusive" && this.#shared > 0) break;
      this.#queue[this.#head++] = undefined as unknown as Waiting;
      if (next.mode === "shared") {
        this.#shared++;
        next.start().then(this.#sharedSettled, this.#sharedSettled);
      } else {
        this.#exclusive = true;
        next.start().finally(() => {
          this.#exclusive = false;
          this.#after();
        });
      }
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
  }

  readonly #sharedSettled = (): void => {
    this.#shared--;
    this.#after();
  };

  #after(): void {
    this.#pump();
    if (!this.#isIdle() || this.#idle.length === 0) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * Runs ops in submission order without waiting for each to be durable. A `shared` op starts
 * at once (recording ops join the store's group commit); an `exclusive` op starts only after
 * every earlier op settled, and every later op starts only after it settled.
 */

/** How an op may overlap with its neighbours. */
export type OpMode = "shared" | "exclusive";

/** The ordering of the op stream; see the module doc. */
export class OpPipeline {
  #barrier: Promise<void> | null = null;
  #running = 0;
  #idle: (() => void)[] = [];

  /**
   * Starts `run` (now, or after the ops it must wait for) and returns its outcome. `run`
   * must not reject: failures are values (error events).
   */
  submit<T>(mode: OpMode, run: () => Promise<T>): Promise<T> {
    if (mode === "shared") {
      if (this.#barrier === null) return this.#track(run());
      return this.#barrier.then(() => this.#track(run()));
    }
    const before = this.#barrier ?? Promise.resolve();
    const outcome = before.then(() => this.#whenIdle()).then(run);
    const barrier: Promise<void> = outcome.then(() => {
      if (this.#barrier === barrier) this.#barrier = null;
    }, () => {
      if (this.#barrier === barrier) this.#barrier = null;
    });
    this.#barrier = barrier;
    return outcome;
  }

  /** Resolves once every submitted op has settled. */
  async settled(): Promise<void> {
    while (this.#barrier !== null) await this.#barrier;
    await this.#whenIdle();
    if (this.#barrier !== null) await this.settled();
  }

  #track<T>(outcome: Promise<T>): Promise<T> {
    this.#running++;
    const done = () => {
      if (--this.#running > 0) return;
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    };
    outcome.then(done, done);
    return outcome;
  }

  #whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

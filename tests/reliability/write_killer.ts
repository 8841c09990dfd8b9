/**
 * The kill campaign's side of the growth-killer worker: one worker per campaign, asked each
 * round to SIGKILL the writer inside a write.
 */
import type { GrowthKillRequest } from "./growth_killer.ts";

/** A worker that SIGKILLs a writer inside a write, reused for every round. */
export class GrowthKiller {
  readonly #worker = new Worker(new URL("./growth_killer.ts", import.meta.url).href, {
    type: "module",
  });

  /** Kills `pid` inside a write to `file` if it sees one within 300 ms. */
  killInWrite(file: string, pid: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#worker.onmessage = () => resolve();
      this.#worker.onerror = (event) =>
        reject(new Error(`The growth killer failed: ${event.message}`));
      const request: GrowthKillRequest = { file, pid, limitMs: 300 };
      this.#worker.postMessage(request);
    });
  }

  /** Ends the worker. */
  stop(): void {
    this.#worker.terminate();
  }
}

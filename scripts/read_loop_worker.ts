/**
 * The worker of scripts/bench_read_loops.ts: reads a file in 1 MiB chunks on its own thread and
 * hands them to the main thread, decoded (`decode`: texts posted, a few ahead) or as bytes
 * (`read`: a ring of slots in a SharedArrayBuffer, a slot filled again once the main thread
 * has taken it).
 */
import * as fs from "node:fs";

/**
 * What the main thread asks for. A ring starts with its control words (Int32): [0] chunks
 * produced, [1] chunks taken, [2 + slot] the length of the chunk in that slot (0: the end);
 * its data starts at byte `header`. (The main thread imports only this type: a worker module
 * that the main thread also ran would install its handler there.)
 */
export type LoopRequest =
  | { mode: "decode"; file: string; ahead: number }
  | {
    mode: "read";
    file: string;
    ring: SharedArrayBuffer;
    header: number;
    slots: number;
    size: number;
  };

const PRODUCED = 0;
const TAKEN = 1;

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;

/** Texts of 1 MiB chunks posted one by one; null at the end. One more per message received. */
function decodeAhead(file: string, ahead: number): void {
  const fd = fs.openSync(file, "r");
  const buffer = new Uint8Array(1024 * 1024);
  const decoder = new TextDecoder();
  let position = 0;
  let credits = ahead;
  const pump = () => {
    for (; credits > 0; credits--) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (n <= 0) {
        fs.closeSync(fd);
        scope.postMessage(null);
        return;
      }
      position += n;
      scope.postMessage(decoder.decode(buffer.subarray(0, n), { stream: true }));
    }
  };
  scope.onmessage = () => {
    credits++;
    pump();
  };
  pump();
}

/** Chunks read into the ring's slots, a slot reused once taken; a length of 0 at the end. */
function readIntoRing(request: Extract<LoopRequest, { mode: "read" }>): void {
  const { file, ring, header, slots, size } = request;
  const control = new Int32Array(ring, 0, 2 + slots);
  const data = new Uint8Array(ring, header, slots * size);
  const fd = fs.openSync(file, "r");
  let position = 0;
  for (let k = 0;; k++) {
    for (let taken = Atomics.load(control, TAKEN); k - taken >= slots;) {
      Atomics.wait(control, TAKEN, taken);
      taken = Atomics.load(control, TAKEN);
    }
    const slot = k % slots;
    const n = fs.readSync(fd, data, slot * size, size, position);
    position += n;
    Atomics.store(control, 2 + slot, n);
    Atomics.store(control, PRODUCED, k + 1);
    Atomics.notify(control, PRODUCED);
    if (n <= 0) break;
  }
  fs.closeSync(fd);
}

scope.onmessage = (event: MessageEvent) => {
  const request = event.data as LoopRequest;
  if (request.mode === "decode") decodeAhead(request.file, request.ahead);
  else readIntoRing(request);
};

/**
 * A parse worker for tests of the parse thread: it starts, then never answers a chunk that
 * mentions "silent" (a busy worker) and throws on any other chunk (a worker failing).
 */
interface Scope {
  onmessage: ((event: MessageEvent<{ kind: string; bytes?: Uint8Array }>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as Scope;
scope.onmessage = ({ data }) => {
  if (data.kind === "start") scope.postMessage({ kind: "ready" });
  else if (!new TextDecoder().decode(data.bytes).includes("silent")) {
    throw new Error("this worker fails on purpose");
  }
};

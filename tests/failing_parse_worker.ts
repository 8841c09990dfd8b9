/** A parse worker that starts, then fails on its first chunk (tests of the parse thread). */
interface Scope {
  onmessage: ((event: MessageEvent<{ kind: string }>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as Scope;
scope.onmessage = ({ data }) => {
  if (data.kind === "start") scope.postMessage({ kind: "ready" });
  else throw new Error("this worker fails on purpose");
};

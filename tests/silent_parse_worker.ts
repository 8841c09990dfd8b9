/** A parse worker that starts, then never answers (tests of the parse thread's bound). */
interface Scope {
  onmessage: ((event: MessageEvent<{ kind: string }>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as Scope;
scope.onmessage = ({ data }) => {
  if (data.kind === "start") scope.postMessage({ kind: "ready" });
};

/** Test support for the op stream: a fake Io, scripted runs and event normalisation. */
import { runProto } from "../../lib/proto/run_proto.ts";
import type { Io } from "../../lib/runtime/io.ts";
import { CODEX_ONLY_OPS } from "../../lib/schemas/protocol.ts";
import { userMessage } from "../helpers.ts";

const encoder = new TextEncoder();

/** A fake process: stdin from `chunks`, stdout and stderr collected. */
export interface FakeIo extends Io {
  out: string[];
  err: string[];
  /** Simulates SIGINT/SIGTERM/EPIPE delivery. */
  terminate(reason: "SIGINT" | "SIGTERM" | "EPIPE"): void;
  /** Events written to stdout, parsed. */
  events(): { id: string; msg: Record<string, unknown> }[];
}

/** Builds a fake Io; `write` lets a test slow down or fail stdout. */
export function fakeIo(
  stdin: AsyncIterable<Uint8Array> | readonly (string | Uint8Array)[],
  options: { cwd?: string; write?: (line: string) => Promise<void> } = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const handlers = new Set<(reason: "SIGINT" | "SIGTERM" | "EPIPE") => void>();
  const input: AsyncIterable<Uint8Array> = Symbol.asyncIterator in stdin
    ? stdin as AsyncIterable<Uint8Array>
    : (async function* () {
      for (const chunk of stdin as readonly (string | Uint8Array)[]) {
        yield typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      }
    })();
  return {
    out,
    err,
    stdin: input,
    stdinIsTTY: false,
    stdout: {
      isTTY: false,
      async write(data) {
        const text = typeof data === "string" ? data : new TextDecoder().decode(data);
        if (options.write !== undefined) await options.write(text);
        out.push(text);
      },
    },
    stderr: {
      isTTY: false,
      write(data) {
        err.push(typeof data === "string" ? data : new TextDecoder().decode(data));
        return Promise.resolve();
      },
    },
    env: {},
    cwd: options.cwd ?? "/",
    pid: 4242,
    onTerminate(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    terminate(reason) {
      for (const handler of handlers) handler(reason);
    },
    events() {
      return out.join("").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
    },
  };
}

/** `runProto` options for an in-process run in `home`: journals, no fsync, 1 MiB lines. */
export function protoOptions(home: string) {
  return { home, format: "jsonl" as const, sync: false, maxLineBytes: 1 << 20 };
}

/** The ids and types of the events a run wrote, in order. */
export function answers(io: FakeIo): [string, unknown][] {
  return io.events().map((e) => [e.id, e.msg.type]);
}

/** One JSON line per submission. */
export function lines(submissions: readonly unknown[]): string {
  return submissions.map((s) => `${typeof s === "string" ? s : JSON.stringify(s)}\n`).join("");
}

/** Runs `rollout proto` in-process on `input` and returns its exit status and events. */
export async function runScript(
  input: string | readonly (string | Uint8Array)[],
  options: {
    home: string;
    format?: "jsonl" | "json";
    maxLineBytes?: number;
    cwd?: string;
    parseThread?: boolean;
    /** A descriptor for the parse thread to read instead of `input` (until a handover). */
    stdinFd?: number;
  },
): Promise<{ status: number; events: { id: string; msg: Record<string, unknown> }[]; io: FakeIo }> {
  const fed = fakeIo(typeof input === "string" ? [input] : input, { cwd: options.cwd ?? "/" });
  const io = options.stdinFd === undefined ? fed : { ...fed, stdinFd: options.stdinFd };
  const status = await runProto({
    home: options.home,
    format: options.format ?? "jsonl",
    sync: true,
    maxLineBytes: options.maxLineBytes ?? 64 * 1024 * 1024,
    parseThread: options.parseThread ?? true,
  }, io);
  return { status, events: io.events(), io };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const DATED = /sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-/g;
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/**
 * Replaces what differs between runs: session ids (`<id1>`, `<id2>`, in order of first
 * appearance), the home folder (`<home>`), dated session folders and ISO timestamps.
 */
export function normalize<T>(value: T, options: { home: string; replace?: Map<string, string> }) {
  const ids = new Map<string, string>();
  const text = JSON.stringify(value)
    .replaceAll(options.home, "<home>")
    .replace(DATED, "sessions/<date>/rollout-<time>-")
    .replace(ISO, "<ts>")
    .replace(UUID, (id) => {
      if (!ids.has(id)) ids.set(id, `<id${ids.size + 1}>`);
      return ids.get(id)!;
    });
  let out = text;
  for (const [from, to] of options.replace ?? []) out = out.replaceAll(from, to);
  return JSON.parse(out) as T;
}

/** One hostile line (without `\n`) and the id its error event must carry. */
export function hostileLine(
  random: () => number,
  i: number,
  cap: number,
): { line: Uint8Array; id: string } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const id = `f${i}`;
  const sub = (op: unknown) => encoder.encode(JSON.stringify({ id, op }));
  const wrongValues = [42, -1, 1.5, "x", true, null, [], {}, [1, "a"], { type: 5 }];
  const wrongIds = wrongValues.filter((v) => typeof v !== "string");
  switch (Math.floor(random() * 12)) {
    case 0: { // random bytes, no newline
      const bytes = new Uint8Array(1 + Math.floor(random() * 80));
      for (let b = 0; b < bytes.length; b++) bytes[b] = Math.floor(random() * 256);
      return { line: bytes.map((b) => (b === 10 ? 32 : b)), id: "" };
    }
    case 1: { // a valid submission cut short
      const whole = JSON.stringify({ id, op: { type: "record_items", items: [userMessage("x")] } });
      return {
        line: encoder.encode(whole.slice(0, Math.floor(random() * (whole.length - 1)))),
        id: "",
      };
    }
    case 2: // known ops with fields of the wrong type
      return {
        line: sub(pick([
          { type: "record_items", items: pick(wrongValues.filter((v) => !Array.isArray(v))) },
          { type: "record_state", previous_response_id: pick([42, true, [], {}]) },
          { type: "user_input", items: [{ type: "text", text: pick([42, null, []]) }] },
          { type: "load_session", path: pick([42, null, ""]) },
          { type: "add_to_history", text: pick([42, null, {}]) },
          { type: "get_history_entry_request", offset: pick([-1, 1.5, "0"]), log_id: 1 },
          { type: "configure_session", cwd: pick([42, [], {}]) },
          { type: "configure_session", format: pick(["xml", 1, "JSONL"]) },
          { type: "configure_session", disable_response_storage: pick(["yes", 1]) },
          { type: pick(["get_session", "flush", "shutdown"]), extra: pick(wrongValues) },
        ])),
        id,
      };
    case 3: { // a batch with one broken item
      const items: unknown[] = [userMessage("a"), userMessage("b"), userMessage("c")];
      items[Math.floor(random() * 3)] = pick([
        { type: "function_call", name: "f", arguments: {}, call_id: "c" },
        { type: "message", role: 1, content: [] },
        { type: "local_shell_call", status: "done", action: { type: "exec", command: [] } },
        { type: "function_call_output", call_id: "c" },
        pick(wrongValues),
      ]);
      return { line: sub({ type: "record_items", items }), id };
    }
    case 4:
      return { line: sub({ type: pick(CODEX_ONLY_OPS) }), id };
    case 5:
      return { line: sub({ type: `op_${Math.floor(random() * 1e6)}` }), id };
    case 6: { // deep nesting
      const depth = 1001 + Math.floor(random() * 5000);
      return {
        line: encoder.encode("[".repeat(depth) + "{".repeat(Math.floor(random() * 3))),
        id: "",
      };
    }
    case 7: { // invalid UTF-8 inside a string
      const bytes = sub({ type: "add_to_history", text: "hello" });
      bytes[bytes.length - 5] = pick([0xff, 0xc0, 0x80, 0xed]);
      return { line: bytes, id: "" };
    }
    case 8: // too long
      return { line: encoder.encode("x".repeat(cap + 1 + Math.floor(random() * cap))), id: "" };
    case 9:
      return {
        line: encoder.encode(JSON.stringify({ id: pick(wrongIds), op: { type: "flush" } })),
        id: "",
      };
    case 10:
      return { line: encoder.encode(JSON.stringify(pick(wrongValues))), id: "" };
    default:
      return { line: sub(pick(wrongValues)), id };
  }
}

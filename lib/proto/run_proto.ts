/**
 * `rollout proto` (SPEC §4): Submissions on stdin, Events on stdout. Wires the reader, the op
 * pipeline and the ordered event writer, and ends cleanly on `shutdown`, end of input, a
 * signal or a closed stdout, always syncing pending work first. Never exits the process.
 */
import { initRuntime } from "../runtime.ts";
import { describe } from "../errors.ts";
import type { Io } from "../io.ts";
import type { ParsedSubmission } from "../protocol.ts";
import { EventWriter } from "./event_writer.ts";
import { History } from "./history.ts";
import { planOp } from "./op_handlers.ts";
import { OpPipeline } from "./op_pipeline.ts";
import { SessionHost } from "./session_host.ts";
import { SubmissionReader } from "./submission_reader.ts";

/** Options of {@linkcode runProto}, as parsed from the command line. */
export interface ProtoOptions {
  home: string;
  format: "jsonl" | "json";
  sync: boolean;
  maxLineBytes: number;
}

/** Reading pauses while this many events wait to be written, until half of them are. */
const MAX_BACKLOG = 16_384;

type Stop = "SIGINT" | "SIGTERM" | "EPIPE";

const EXIT_STATUS: Record<Stop, number> = { SIGINT: 130, SIGTERM: 143, EPIPE: 0 };

/** Runs the op stream until `shutdown`, end of input, a signal or EPIPE; returns the exit status. */
export async function runProto(options: ProtoOptions, io: Io): Promise<number> {
  await initRuntime();
  const warn = (message: string) => {
    io.stderr.write(`rollout proto: ${message}\n`).catch(() => {});
  };
  let stop: (reason: Stop) => void = () => {};
  const stopped = new Promise<Stop>((resolve) => (stop = resolve));
  const unsubscribe = io.onTerminate((reason) => stop(reason));
  const writer = new EventWriter(io.stdout, { onFailure: () => stop("EPIPE") });
  const history = new History(options.home, { sync: options.sync });
  const host = new SessionHost({ ...options, cwd: io.cwd, pid: io.pid, history, warn });
  const pipeline = new OpPipeline();
  const context = { host, history, cwd: io.cwd, clock: () => new Date() };
  let shutdown = false;
  const reader = new SubmissionReader({
    maxLineBytes: options.maxLineBytes,
    deliver(parsed: ParsedSubmission) {
      if (shutdown) return;
      if (!parsed.ok) {
        writer.push(parsed.id, { type: "error", code: parsed.code, message: parsed.message });
        return;
      }
      if (parsed.op.type === "shutdown") shutdown = true;
      const planned = planOp(parsed.op, context);
      writer.push(parsed.id, pipeline.submit(planned.mode, planned.run));
    },
  });

  let reason: Stop | null = null;
  const input = io.stdin[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (!shutdown) {
      const next = await Promise.race([input.next(), stopped]);
      if (typeof next === "string") {
        reason = next;
        break;
      }
      if (next.done === true) {
        finished = true;
        reader.end();
        break;
      }
      reader.push(next.value);
      if (writer.backlog >= MAX_BACKLOG) {
        const paused = await Promise.race([writer.below(MAX_BACKLOG / 2), stopped]);
        if (typeof paused === "string") {
          reason = paused;
          break;
        }
      }
    }
  } catch (error) {
    warn(`Cannot read standard input: ${describe(error)}`);
  }
  if (!finished) Promise.resolve(input.return?.()).catch(() => {});

  await pipeline.settled();
  await writer.drained();
  let status = 0;
  try {
    await host.close();
  } catch (error) {
    warn(describe(error));
    status = 1;
  }
  unsubscribe();
  if (reason !== null && status === 0) status = EXIT_STATUS[reason];
  return status;
}

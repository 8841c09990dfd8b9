/**
 * `rollout proto` (SPEC §4): Submissions on stdin, Events on stdout. Wires the reader, the op
 * pipeline and the ordered event writer, and ends cleanly on `shutdown`, end of input, a
 * signal or a closed stdout, always syncing pending work first. Never exits the process.
 */
import { initRuntime, type Io } from "../runtime/mod.ts";
import { describe, errnoOf, type ParsedSubmission } from "../schemas/mod.ts";
import { EventWriter } from "./event_writer.ts";
import { History } from "./history.ts";
import { planOp, recordPreparedNow } from "./op_handlers.ts";
import { OpPipeline } from "./op_pipeline.ts";
import { SessionHost } from "./session_host.ts";
import { startParser } from "./parse_thread.ts";

/** Options of {@linkcode runProto}, as parsed from the command line. */
export interface ProtoOptions {
  home: string;
  format: "jsonl" | "json";
  sync: boolean;
  maxLineBytes: number;
  /** Parse input on a worker thread when one starts (default); false parses on this thread. */
  parseThread?: boolean;
  /** Replaces the parse thread's module (tests use it to make the worker fail). */
  parseWorkerUrl?: string;
  /** `--redact`: secrets in items are replaced before anything reaches disk. */
  redact?: boolean;
}

/** Reading pauses while this many events wait to be written, until half of them are. */
const MAX_BACKLOG = 16_384;

type Stop = "SIGINT" | "SIGTERM" | "SIGHUP" | "EPIPE" | "OUTPUT";

/** EPIPE: the reader of the events went away, nothing is wrong; OUTPUT: stdout failed. */
const EXIT_STATUS: Record<Stop, number> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
  EPIPE: 0,
  OUTPUT: 1,
};

/** Runs the op stream until `shutdown`, end of input, a signal or EPIPE; returns the exit status. */
export async function runProto(options: ProtoOptions, io: Io): Promise<number> {
  await initRuntime();
  /** Warnings being written: awaited before returning, so that an exit cannot cut them. */
  const warnings: Promise<void>[] = [];
  const warn = (message: string) => {
    warnings.push(io.stderr.write(`rollout proto: ${message}\n`).catch(() => {}));
  };
  let reason: Stop | null = null;
  let shutdown = false;
  /** Set if the parse thread fails after it started: reading stops at once. */
  let parseFailure: Error | null = null;
  let interrupt: (() => void) | null = null;
  const stop = (why: Stop) => {
    reason ??= why;
    interrupt?.();
  };
  /**
   * `promise`'s value, or null once a stop, `shutdown` or a failure of the parse thread
   * arrives (no reaction is left behind).
   */
  const unlessStopped = <T>(promise: Promise<T>): Promise<T | null> => {
    if (reason !== null || shutdown || parseFailure !== null) return Promise.resolve(null);
    return new Promise<T | null>((resolve, reject) => {
      interrupt = () => resolve(null);
      promise.then(resolve, reject);
    }).finally(() => (interrupt = null));
  };
  const unsubscribe = io.onTerminate(stop);
  const writer = new EventWriter(io.stdout, {
    onFailure: (error) => {
      if (errnoOf(error) === "EPIPE") return stop("EPIPE");
      // A full disk or a broken device behind stdout: the harness gets no more answers, so the
      // run stops, says why, and fails.
      warn(`Cannot write events to standard output: ${describe(error)}; stopped`);
      stop("OUTPUT");
    },
  });
  const history = new History(options.home, { sync: options.sync });
  const host = new SessionHost({ ...options, cwd: io.cwd, pid: io.pid, history, warn });
  const pipeline = new OpPipeline();
  const context = {
    host,
    history,
    cwd: io.cwd,
    clock: () => new Date(),
    maxLineBytes: options.maxLineBytes,
  };
  const parser = startParser({
    maxLineBytes: options.maxLineBytes,
    thread: options.parseThread !== false,
    ...(options.parseWorkerUrl === undefined ? {} : { workerUrl: options.parseWorkerUrl }),
    ...(options.redact === true ? { redact: true } : {}),
    // The parse thread reads stdin itself, holding back while events wait to be written.
    ...(io.stdinFd === undefined ? {} : { readFd: io.stdinFd }),
    mayRead: () => writer.backlog >= MAX_BACKLOG ? writer.below(MAX_BACKLOG / 2) : null,
    onFailure(error) {
      parseFailure = error;
      interrupt?.();
    },
    deliver(parsed: ParsedSubmission) {
      if (shutdown) return;
      if (!parsed.ok) {
        writer.push(parsed.id, { type: "error", code: parsed.code, message: parsed.message });
        return;
      }
      if (parsed.op.type === "shutdown") {
        shutdown = true;
        interrupt?.();
      }
      if (parsed.prepared !== undefined) {
        const settled = pipeline.startShared();
        if (settled !== null) {
          const answer = writer.reserve(parsed.id);
          // The pipeline hears of the settlement a microtask later: an op waiting for this
          // one must not start inside the recorder's acknowledgement of a batch.
          recordPreparedNow(host, parsed.prepared, (msg) => {
            answer(msg);
            queueMicrotask(settled);
          });
          return;
        }
      }
      const planned = planOp(parsed.op, context, parsed.prepared);
      writer.push(parsed.id, pipeline.submit(planned.mode, planned.run));
    },
  });

  let status = 0;
  let input: AsyncIterator<Uint8Array> | null = null;
  /** Whether `input` was read to its end (else it is closed when the run stops). */
  let finished = false;
  try {
    // Fed from here unless the parse thread reads stdin to its end (it may hand it back).
    let feed = true;
    if (parser.reading !== null) feed = (await unlessStopped(parser.reading)) === "handover";
    // Created only now: on Bun, opening process.stdin may make the descriptor non-blocking.
    if (feed) input = io.stdin[Symbol.asyncIterator]();
    while (input !== null && !shutdown && reason === null && parseFailure === null) {
      const next = await unlessStopped(input.next());
      if (next === null) break;
      if (next.done === true) {
        finished = true;
        await parser.end();
        break;
      }
      await unlessStopped(parser.push(next.value));
      if (writer.backlog >= MAX_BACKLOG) await unlessStopped(writer.below(MAX_BACKLOG / 2));
    }
    // Whatever was read gets its events, as if it had been parsed the moment it arrived.
    await parser.idle();
  } catch (error) {
    // Set by the parser's callback: the compiler cannot see that from here.
    const failure = parseFailure as Error | null;
    // Reading failed: the lines read before it still get their answers.
    if (failure === null) await parser.idle().catch(() => {});
    warn(
      failure === null
        ? `Cannot read standard input: ${describe(error)}`
        : `Stopped reading standard input: ${failure.message}; the lines it held got no answer`,
    );
    status = 1;
  } finally {
    parser.close();
  }
  if (input !== null && !finished) Promise.resolve(input.return?.()).catch(() => {});

  await pipeline.settled();
  await writer.drained();
  try {
    await host.close();
  } catch (error) {
    warn(describe(error));
    status = 1;
  }
  unsubscribe();
  await Promise.all(warnings);
  const stopped = reason as Stop | null;
  if (stopped !== null && status === 0) status = EXIT_STATUS[stopped];
  return status;
}

/**
 * Tier 3 of RELIABILITY.md: `rollout proto` run under `strace -P <rollout>` with one fault
 * injected into the writer's own syscalls (EIO on `fdatasync`, ENOSPC on `write`, SIGKILL at
 * the N-th `write`/`fdatasync`/`rename`). The events are the ground truth; the file must hold
 * exactly what was acknowledged (or, after a kill, an acknowledged prefix) and recover.
 */
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { WriterLock } from "../../lib/store/writer_lock.ts";
import { invariantProblems, readDiskState } from "./disk_state.ts";
import { type GeneratedItem, generateItem } from "./item_generator.ts";
import { DEFAULT_BACKGROUND_SYNC_BYTES } from "../../lib/store/journal_sink.ts";
import { ProtoProcess, type Subject } from "./proto_process.ts";
import { validate } from "./run_command.ts";
import { SeededRandom } from "./seeded_random.ts";

/** Where strace is expected. */
export const STRACE = "/usr/bin/strace";

/** One injected fault. */
export interface FaultCase {
  /** `error=EIO`, `error=ENOSPC` or `signal=SIGKILL`. */
  fault: "EIO" | "ENOSPC" | "SIGKILL";
  syscall: "fdatasync" | "write" | "rename";
  /** Fail the N-th matching call; `from: true` also every later one (`when=N+`). */
  when: number;
  from?: boolean;
  /**
   * Items big enough (16-64 KiB) that each op's sync runs on a worker thread. strace counts
   * calls per thread, so only faults that do not depend on the count fit: every sync failing,
   * or a kill at the very first one. Otherwise items stay small and every sync is inline.
   */
  background?: boolean;
}

/** What one case saw. */
export interface FaultOutcome {
  injected: number;
  acked: number;
  /** Indexes (0-based) of the record ops that got an error event. */
  failedOps: number[];
  errors: string[];
  problems: string[];
}

/** Record ops per case, one at a time, so the N-th call is the N-th op's. */
export const OPS = 6;

/** The strace line that names a fault case, e.g. `fdatasync:error=EIO:when=3+`. */
export function injectSpec(c: FaultCase): string {
  const what = c.fault === "SIGKILL" ? "signal=SIGKILL" : `error=${c.fault}`;
  const syscalls = c.syscall === "rename" ? "rename,renameat,renameat2" : c.syscall;
  return `${syscalls}:${what}:when=${c.when}${c.from === true ? "+" : ""}`;
}

/** An item whose journal line is synced inline (below the threshold) or in the background. */
function opItem(rng: SeededRandom, label: string, background: boolean): GeneratedItem {
  const lineBytes = (item: GeneratedItem) => Buffer.byteLength(item.json) + 128;
  for (;;) {
    const item = background
      ? generateItem(rng, label, rng.logInt(DEFAULT_BACKGROUND_SYNC_BYTES, 64 * 1024))
      : generateItem(rng, label, rng.logInt(16, 8 * 1024));
    if ((lineBytes(item) >= DEFAULT_BACKGROUND_SYNC_BYTES) === background) return item;
  }
}

/**
 * The command line that runs a process under strace, threads followed: the `trace` calls
 * (on `path` only, if given) logged to `log`, with one fault injected if `inject` is given.
 */
export function straceWrapper(
  options: { log: string; trace: string; path?: string; inject?: string },
): string[] {
  return [
    STRACE,
    "-f",
    "-qq",
    "-o",
    options.log,
    ...(options.path === undefined ? [] : ["-P", options.path]),
    "-e",
    `trace=${options.trace}`,
    ...(options.inject === undefined ? [] : ["-e", `inject=${options.inject}`]),
    "--",
  ];
}

/** strace's own failure to follow a thread (it then exits 1 whatever the traced process did). */
const STRACE_FAILED = new RegExp(
  `^${STRACE.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: ptrace\\(`,
  "m",
);

/**
 * Runs one case in `dir` against `subject` and checks what it left. strace sometimes loses a
 * thread that is exiting ("ptrace(PTRACE_LISTEN, ...): Input/output error") and then exits 1,
 * hiding the child's own status: such a run says nothing about rollout and is run again, in a
 * fresh folder, up to twice.
 */
export async function runFaultCase(
  subject: Subject,
  c: FaultCase,
  options: { dir: string; seed: number },
): Promise<FaultOutcome> {
  for (let attempt = 1;; attempt++) {
    const dir = path.join(options.dir, `attempt-${attempt}`);
    const run = await runOnce(subject, c, { dir, seed: options.seed });
    if (!run.straceFailed || attempt === 3) return run.outcome;
    console.log(`strace lost a thread in ${injectSpec(c)} (${subject.name}); run again`);
  }
}

async function runOnce(
  subject: Subject,
  c: FaultCase,
  options: { dir: string; seed: number },
): Promise<{ outcome: FaultOutcome; straceFailed: boolean }> {
  const home = path.join(options.dir, "home");
  const document = c.syscall === "rename";
  const created = await RolloutRecorder.create({ home, format: document ? "json" : "jsonl" });
  const file = created.path!;
  await created.close();
  const log = path.join(options.dir, "strace.log");
  const wrapper = straceWrapper({
    log,
    trace: c.syscall === "rename" ? "rename,renameat,renameat2" : c.syscall,
    // strace matches a rename by its first path only (the temporary file's): no -P for it.
    ...(c.syscall === "rename" ? {} : { path: file }),
    inject: injectSpec(c),
  });
  const proc = ProtoProcess.start(subject, { args: ["--home", home], wrapper });
  const problems: string[] = [];
  await proc.send({ id: "c", op: { type: "configure_session", resume_path: file } });
  const configured = await proc.eventFor("c");
  if (configured?.msg.type !== "session_configured" && configured?.msg.type !== "session_loaded") {
    await proc.kill();
    const problem = `resume: ${JSON.stringify(configured)}`;
    const outcome = { injected: 0, acked: 0, failedOps: [], errors: [], problems: [problem] };
    return { outcome, straceFailed: STRACE_FAILED.test(proc.stderr) };
  }
  const rng = new SeededRandom(options.seed);
  const submitted: string[] = [];
  const ackedItems: string[] = [];
  const errors: string[] = [];
  const failedOps: number[] = [];
  for (let n = 0; n < OPS; n++) {
    const item = opItem(rng, `f${n}:`, c.background === true);
    submitted.push(item.json);
    await proc.send({ id: `k${n}`, op: { type: "record_items", items: [item.item] } });
    const event = await proc.eventFor(`k${n}`);
    if (event === null) break;
    if (event.msg.type === "items_recorded") ackedItems.push(item.json);
    else if (event.msg.type === "error") {
      errors.push(event.msg.code);
      failedOps.push(n);
    } else problems.push(`k${n}: unexpected ${JSON.stringify(event.msg)}`);
  }
  // A sticky fault ends at end of input, without shutdown: the final close fails, and the
  // exit status must say so.
  if (c.from !== true) await proc.send({ id: "s", op: { type: "shutdown" } });
  proc.end();
  const exit = await proc.exited;
  const injected = c.fault === "SIGKILL"
    ? (exit.signal === "SIGKILL" || exit.code === 137 ? 1 : 0)
    : fs.readFileSync(log, "utf8").split("\n").filter((l) => l.includes("INJECTED")).length;
  if (injected === 0) problems.push("the fault was never injected");
  if (errors.some((code) => code !== "io_error")) problems.push(`error codes ${errors}`);
  const disk = readDiskState(file);
  const truth = { base: [], submitted, acked: ackedItems.length };
  if (c.fault === "SIGKILL") {
    if (exit.signal !== "SIGKILL" && exit.code !== 137) {
      problems.push(`not killed: ${JSON.stringify(exit)}`);
    }
    if (errors.length > 0) problems.push(`errors before the kill: ${errors}`);
    problems.push(...invariantProblems(truth, disk.items));
  } else if (c.from === true) {
    // Every op from the first failed sync on fails; what was acknowledged is a prefix, and
    // the file may also hold items written before their sync failed.
    if (JSON.stringify(ackedItems) !== JSON.stringify(submitted.slice(0, ackedItems.length))) {
      problems.push("an op was acknowledged after a failed sync");
    }
    if (errors.length !== OPS - ackedItems.length) {
      problems.push(`${errors.length} error events, ${ackedItems.length} acknowledgements`);
    }
    if (exit.code !== 1) {
      problems.push(
        `exit ${JSON.stringify(exit)} after a failed final close: ${proc.stderr.trim()}`,
      );
    }
    problems.push(...invariantProblems(truth, disk.items));
  } else {
    // One failed call: exactly its op fails, the writer recovers, the file holds exactly
    // the acknowledged items.
    if (errors.length !== 1 || injected !== 1) {
      problems.push(`${errors.length} error events for ${injected} injected faults`);
    }
    if (JSON.stringify(disk.items) !== JSON.stringify(ackedItems)) {
      problems.push(`file holds ${disk.items.length} items, ${ackedItems.length} acknowledged`);
    }
    if (exit.code !== 0) problems.push(`exit ${JSON.stringify(exit)}: ${proc.stderr.trim()}`);
  }
  problems.push(...(await afterFault(file, disk.items, { killed: c.fault === "SIGKILL" })));
  return {
    outcome: { injected, acked: ackedItems.length, failedOps, errors, problems },
    straceFailed: STRACE_FAILED.test(proc.stderr),
  };
}

/** Invariants 4-6 after the fault: tidy, validate, lock free, resume + append, clean. */
async function afterFault(
  file: string,
  items: readonly string[],
  options: { killed: boolean },
): Promise<string[]> {
  const problems: string[] = [];
  // Tidy first: a resume removes stale temporary files, which would hide one a failed write
  // left behind. A killed process could not remove its own; the resume must.
  const before = readDiskState(file);
  if (!options.killed && before.strays.length > 0) {
    problems.push(`stray files after the fault: ${before.strays}`);
  }
  const result = await validate([file]);
  if (result.code !== 0 || result.entries[0]?.ok !== true) {
    problems.push(`validate: ${JSON.stringify(result.entries)}`);
  }
  try {
    WriterLock.acquire(file, { pid: process.pid }).release();
  } catch (error) {
    problems.push(`lock not free: ${String(error)}`);
  }
  const { recorder } = await RolloutRecorder.resume(file);
  const extra = { type: "message", role: "user", content: [{ type: "input_text", text: "after" }] };
  await recorder.recordItems([extra]);
  await recorder.close();
  const loaded = loadRollout(file);
  const disk = readDiskState(file);
  if (loaded.report.torn_tail !== null || loaded.report.skipped_lines.length > 0) {
    problems.push(`after restart: ${JSON.stringify(loaded.report)}`);
  }
  if (JSON.stringify(disk.items) !== JSON.stringify([...items, JSON.stringify(extra)])) {
    problems.push(`after restart the file holds ${disk.items.length} items`);
  }
  if (disk.strays.length > 0) problems.push(`stray files after restart: ${disk.strays}`);
  return problems;
}

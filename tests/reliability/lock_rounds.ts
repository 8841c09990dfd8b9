/**
 * Tier 6 of RELIABILITY.md: two `rollout proto` writers on one session, Deno against Bun in
 * turn. Each round a new writer on the other runtime asks for the session held by the last
 * one: it must be refused at once with `locked` naming the holder's pid; after `kill -9` of
 * the holder it gets the lock, writes, and becomes the holder of the next round.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { readDiskState } from "./disk_state.ts";
import { ProtoProcess, subjectNamed } from "./proto_process.ts";
import { validate } from "./run_command.ts";

/** What the rounds measured. */
export interface LockFigures {
  rounds: number;
  /** Refusals with `locked` naming the holder's pid. */
  refused: number;
  /** Takeovers right after the holder was killed. */
  takenOver: number;
  /** The slowest refusal, in ms (a refusal must not wait for the lock). */
  slowestRefusalMs: number;
  problems: string[];
}

const RUNTIMES = ["deno", "bun"] as const;

function note(n: number): Record<string, unknown> {
  return { type: "message", role: "user", content: [{ type: "input_text", text: `held ${n}` }] };
}

async function startWriter(round: number, home: string): Promise<ProtoProcess> {
  const proc = ProtoProcess.start(subjectNamed(RUNTIMES[round % 2]!), { args: ["--home", home] });
  await proc.send({ id: "c", op: { type: "configure_session", disable_response_storage: true } });
  const event = await proc.eventFor("c");
  if (event?.msg.type !== "session_configured") {
    throw new Error(`configure_session: ${JSON.stringify(event)} ${proc.stderr}`);
  }
  return proc;
}

/** Runs `rounds` lock handovers on one session and checks the file afterwards. */
export async function runLockRounds(options: { rounds: number }): Promise<LockFigures> {
  const figures: LockFigures = {
    rounds: 0,
    refused: 0,
    takenOver: 0,
    slowestRefusalMs: 0,
    problems: [],
  };
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-lock-"));
  let holder: ProtoProcess | null = null;
  let contender: ProtoProcess | null = null;
  try {
    const created = await RolloutRecorder.create({ home });
    const file = created.path!;
    await created.close();
    holder = await startWriter(0, home);
    await holder.send({ id: "l", op: { type: "load_session", path: file } });
    if ((await holder.eventFor("l"))?.msg.type !== "session_loaded") {
      throw new Error("The first writer could not load the session");
    }
    for (let round = 1; round <= options.rounds && figures.problems.length === 0; round++) {
      contender = await startWriter(round, home);
      const asked = performance.now();
      await contender.send({ id: "a", op: { type: "load_session", path: file } });
      const refusal = await contender.eventFor("a");
      const waited = performance.now() - asked;
      figures.slowestRefusalMs = Math.max(figures.slowestRefusalMs, waited);
      const named = `process ${holder.pid}`;
      if (
        refusal?.msg.type === "error" && refusal.msg.code === "locked" &&
        refusal.msg.message.includes(named)
      ) figures.refused++;
      else {figures.problems.push(
          `round ${round}: not refused naming ${named}: ${JSON.stringify(refusal)}`,
        );}
      await holder.kill("SIGKILL");
      await contender.send({ id: "b", op: { type: "load_session", path: file } });
      const takeover = await contender.eventFor("b");
      if (takeover?.msg.type === "session_loaded" && takeover.msg.item_count === round - 1) {
        figures.takenOver++;
      } else figures.problems.push(`round ${round}: takeover ${JSON.stringify(takeover)}`);
      await contender.send({ id: "w", op: { type: "record_items", items: [note(round)] } });
      if ((await contender.eventFor("w"))?.msg.type !== "items_recorded") {
        figures.problems.push(`round ${round}: the new holder could not write`);
      }
      holder = contender;
      contender = null;
      figures.rounds++;
    }
    await holder.send({ id: "s", op: { type: "shutdown" } });
    holder.end();
    const exit = await holder.exited;
    if (exit.code !== 0) figures.problems.push(`last holder exited ${JSON.stringify(exit)}`);
    const expected = Array.from({ length: figures.rounds }, (_, i) => JSON.stringify(note(i + 1)));
    if (JSON.stringify(readDiskState(file).items) !== JSON.stringify(expected)) {
      figures.problems.push("the session does not hold one item per round, in order");
    }
    const verdict = await validate([file]);
    if (verdict.code !== 0 || verdict.entries[0]?.ok !== true) {
      figures.problems.push(`validate: ${JSON.stringify(verdict.entries)}`);
    }
  } finally {
    await contender?.kill();
    await holder?.kill();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return figures;
}

/**
 * Tier 2 of RELIABILITY.md: `rollout proto` recording deterministic items is SIGKILLed at
 * seeded random moments; the acknowledgements it printed are the ground truth. After every
 * kill the file is validated, the invariants checked, the lock tried, and the next round
 * resumes the same file (cutting whatever tail the kill left) until the chain is long enough.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { WriterLock } from "../../lib/store/writer_lock.ts";
import { invariantProblems, readDiskState } from "./disk_state.ts";
import { itemStream } from "./item_generator.ts";
import { ProtoProcess, type Subject } from "./proto_process.ts";
import { validate } from "./run_command.ts";
import { GrowthKiller } from "./write_killer.ts";
import { SeededRandom } from "./seeded_random.ts";

/** Options of {@linkcode runKillCampaign}. */
export interface KillCampaignOptions {
  subject: Subject;
  kills: number;
  seed: number;
  /** The kill lands uniformly in [0, maxDelayMs] after the first acknowledgement. */
  maxDelayMs?: number;
  /**
   * Share of kills aimed at a write: after the random delay the kill waits until the file
   * grows (default 0.5). The others land at the random moment itself.
   */
  writeTargeted?: number;
  /** Share of chains that record a document (`.json`) instead of a journal (default 0.2). */
  documentShare?: number;
  /** A chain of rounds on one file ends when the file reaches this size (default 4 MiB). */
  chainBytes?: number;
  /** Largest item text in bytes (default 1 MiB). */
  maxItemBytes?: number;
  /** Check each file with `rollout validate` (the compiled binary); default true. */
  validateWithCli?: boolean;
  /** Called after every kill (progress output of the script). */
  onKill?: (figures: KillFigures) => void;
}

/** What a campaign measured. Every problem is a broken promise. */
export interface KillFigures {
  subject: string;
  kills: number;
  /** Kills that left a torn tail or a stray temporary file: they hit a write. */
  midWrite: number;
  /** Kills after which complete items that were never acknowledged were on disk. */
  unackedOnDisk: number;
  /** Acknowledged items found on disk, byte-identical, after a kill. */
  ackedVerified: number;
  /** Items checked on disk after kills (acknowledged or not). */
  itemsChecked: number;
  validateRuns: number;
  /** Chains ended by resuming with the library, appending and validating cleanly. */
  resumesChecked: number;
  problems: string[];
}

interface Chain {
  home: string;
  format: "jsonl" | "json";
  file: string | null;
  base: string[];
  rounds: number;
}

/** Runs `options.kills` kill rounds against one subject and returns the figures. */
export async function runKillCampaign(options: KillCampaignOptions): Promise<KillFigures> {
  const rng = new SeededRandom(options.seed);
  const figures: KillFigures = {
    subject: options.subject.name,
    kills: 0,
    midWrite: 0,
    unackedOnDisk: 0,
    ackedVerified: 0,
    itemsChecked: 0,
    validateRuns: 0,
    resumesChecked: 0,
    problems: [],
  };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `rollout-kill-${options.subject.name}-`));
  const formatOf = (): Chain["format"] =>
    rng.chance(options.documentShare ?? 0.2) ? "json" : "jsonl";
  let chain = newChain(root, 0, formatOf());
  const killer = new GrowthKiller();
  try {
    for (let round = 0; round < options.kills && figures.problems.length === 0; round++) {
      const problems = await killRound({ options, rng, chain, round, figures, killer });
      figures.problems.push(...problems.map((p) => `${options.subject.name} round ${round}: ${p}`));
      options.onKill?.(figures);
      const size = chain.file === null ? 0 : fs.statSync(chain.file).size;
      // A document is rewritten whole on every commit: its chains stay a quarter as long.
      const cap = (options.chainBytes ?? 4 * 1024 * 1024) / (chain.format === "json" ? 4 : 1);
      if (figures.problems.length === 0 && size >= cap) {
        figures.problems.push(...(await endChain(chain, figures)));
        chain = newChain(root, round + 1, formatOf());
      }
    }
    if (figures.problems.length === 0 && chain.file !== null) {
      figures.problems.push(...(await endChain(chain, figures)));
    }
  } finally {
    killer.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  return figures;
}

function newChain(root: string, n: number, format: Chain["format"]): Chain {
  const home = path.join(root, `chain-${n}`);
  fs.mkdirSync(home);
  return { home, format, file: null, base: [], rounds: 0 };
}

async function killRound(ctx: {
  options: KillCampaignOptions;
  rng: SeededRandom;
  chain: Chain;
  round: number;
  figures: KillFigures;
  killer: GrowthKiller;
}): Promise<string[]> {
  const { options, rng, chain, figures } = ctx;
  const proc = ProtoProcess.start(options.subject, { args: ["--home", chain.home] });
  const configure = chain.file === null
    ? { type: "configure_session", instructions: "kill campaign", format: chain.format }
    : { type: "configure_session", resume_path: chain.file };
  await proc.send({ id: "c", op: configure });
  const configured = await proc.eventFor("c");
  if (configured === null || configured.msg.type === "error") {
    await proc.kill();
    return [`configure_session failed: ${JSON.stringify(configured?.msg)} ${proc.stderr}`];
  }
  const file = "rollout_path" in configured.msg ? configured.msg.rollout_path : null;
  if (file === null || (chain.file !== null && file !== chain.file)) {
    await proc.kill();
    return [`configure_session named the rollout ${JSON.stringify(file)}`];
  }
  chain.file = file;
  chain.rounds++;
  const stale = readDiskState(file).strays;
  if (stale.length > 0) {
    await proc.kill();
    return [`stale files beside the rollout after it was resumed: ${stale.join(", ")}`];
  }

  const submitted: string[] = [];
  const items = itemStream(rng, {
    prefix: `r${ctx.round}-`,
    largeShare: 0.3,
    ...(options.maxItemBytes === undefined ? {} : { maxBytes: options.maxItemBytes }),
  });
  let killed = false;
  const feeding = (async () => {
    for (let n = 0; !killed; n++) {
      const next = items.next().value!;
      submitted.push(next.json);
      const sent = await proc.send({
        id: `k${n}`,
        op: { type: "record_items", items: [next.item] },
      });
      if (!sent) return;
    }
  })();
  await proc.eventFor("k0");
  const delay = rng.next() * (options.maxDelayMs ?? 120);
  await new Promise((resolve) => setTimeout(resolve, delay));
  if (rng.chance(options.writeTargeted ?? 0.5)) await ctx.killer.killInWrite(file, proc.pid);
  killed = true;
  const exit = await proc.kill();
  await feeding;
  figures.kills++;

  const problems: string[] = [];
  if (exit.signal !== "SIGKILL") problems.push(`proto ended by itself: ${JSON.stringify(exit)}`);
  if (proc.strayLines.length > 0) problems.push(`stdout held non-events: ${proc.strayLines[0]}`);
  const acked = ackedCount(proc, chain.base.length, problems);
  if (problems.length > 0) problems.push(keepEvidence(proc, submitted, options.subject.name));
  const disk = readDiskState(file);
  problems.push(
    ...invariantProblems({ base: chain.base, submitted, acked }, disk.items),
  );
  if (disk.tornBytes > 0 || disk.strays.length > 0) figures.midWrite++;
  if (disk.items.length > chain.base.length + acked) figures.unackedOnDisk++;
  figures.ackedVerified += acked;
  figures.itemsChecked += disk.items.length;
  problems.push(...lockProblems(file));
  if (options.validateWithCli !== false) {
    figures.validateRuns++;
    const result = await validate([file]);
    const entry = result.entries[0];
    if (result.code !== 0 || entry?.ok !== true || entry.items !== disk.items.length) {
      problems.push(`rollout validate: exit ${result.code}, ${JSON.stringify(result.entries)}`);
    }
  }
  chain.base = disk.items;
  return problems;
}

/**
 * Saves the submitted items of a round that went wrong (for a bug report) and says where.
 */
function keepEvidence(proc: ProtoProcess, submitted: readonly string[], name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rollout-kill-evidence-${name}-`));
  fs.writeFileSync(path.join(dir, "submitted.jsonl"), submitted.join("\n") + "\n");
  fs.writeFileSync(
    path.join(dir, "events.jsonl"),
    proc.events.map((e) => JSON.stringify(e)).join("\n"),
  );
  fs.writeFileSync(path.join(dir, "stderr.txt"), proc.stderr);
  return `evidence kept in ${dir} (submitted item n is on line n + 2 of the op stream)`;
}

/** Checks the acknowledgements: in order, counting up from the base; returns how many. */
function ackedCount(proc: ProtoProcess, base: number, problems: string[]): number {
  let acked = 0;
  for (const event of proc.events) {
    if (event.id === "c") continue;
    if (event.id !== `k${acked}` || event.msg.type !== "items_recorded") {
      problems.push(`unexpected event ${JSON.stringify(event).slice(0, 300)}`);
      break;
    }
    if (event.msg.item_count !== base + acked + 1 || event.msg.recorded !== 1) {
      problems.push(`acknowledgement ${JSON.stringify(event)} miscounts (base ${base})`);
    }
    acked++;
  }
  return acked;
}

/** The lock of a killed holder must be free at once (invariant 6). */
function lockProblems(file: string): string[] {
  try {
    WriterLock.acquire(file, { pid: process.pid }).release();
    return [];
  } catch (error) {
    return [`the lock is not free after the kill: ${String(error)}`];
  }
}

/** Invariant 5: the library resumes the chain's file, appends, and a clean load follows. */
async function endChain(chain: Chain, figures: KillFigures): Promise<string[]> {
  const file = chain.file!;
  try {
    const { recorder } = await RolloutRecorder.resume(file);
    const item = { type: "message", role: "user", content: [{ type: "input_text", text: "end" }] };
    await recorder.recordItems([item]);
    await recorder.close();
    const loaded = loadRollout(file);
    const disk = readDiskState(file);
    figures.resumesChecked++;
    const expected = [...chain.base, JSON.stringify(item)];
    if (loaded.report.torn_tail !== null || loaded.report.skipped_lines.length > 0) {
      return [`after resume the file is damaged: ${JSON.stringify(loaded.report)}`];
    }
    if (disk.tornBytes !== 0 || JSON.stringify(disk.items) !== JSON.stringify(expected)) {
      return [
        `after resume the items differ from the chain's (${disk.items.length} vs ${expected.length})`,
      ];
    }
    return [];
  } catch (error) {
    return [`resume after the kills failed: ${String(error)}`];
  } finally {
    fs.rmSync(chain.home, { recursive: true, force: true });
  }
}

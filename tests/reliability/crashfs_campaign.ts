/**
 * The tier 1 CrashFS campaign (RELIABILITY.md): workloads run through RolloutRecorder on a
 * CrashFS that loses power at every operation in turn; every image is checked against the
 * six invariants, and a sample of them is recovered while power is lost again.
 */
import { encodeLine } from "../../lib/formats/encode.ts";
import type { ResponseItem } from "../../lib/schemas/items.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { sessionPath } from "../../lib/store/paths.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import type { SessionState } from "../../lib/schemas/session_meta.ts";
import { CrashFS } from "./crash_fs.ts";
import {
  checkImage,
  type Content,
  contentOf,
  type Expectation,
  type Invariant,
} from "./invariants.ts";
import { type GeneratedItem, generateItem } from "./item_generator.ts";
import { SeededRandom } from "./seeded_random.ts";
import { REAL_WRITERS, type Writers } from "./writers.ts";

/** Options of {@linkcode runCrashFsCampaign}. */
export interface CampaignOptions {
  /** 1 is the CI profile; the work grows about linearly with it. */
  scale: number;
  seed: number;
  /** The writer to crash (default: the real one; source_mutants.ts makes broken ones). */
  writers?: Writers;
  /** Stop after this many violations (default: never). */
  stopAfter?: number;
}

/** One broken invariant, with where it was seen. */
export interface CampaignViolation {
  workload: string;
  crashAt: number;
  image: string;
  invariant: Invariant;
  detail: string;
}

/** What a campaign did and found. */
export interface CampaignFigures {
  workloads: number;
  /** Runs that lost power at one operation (recovery runs included). */
  crashPoints: number;
  /** Post-crash images checked, recovery images included. */
  images: number;
  /** Images taken while a recovery (resume, tail cut, rewrite, append) lost power. */
  recoveryImages: number;
  /** Acknowledged items found in place, summed over all images. */
  ackedItemsVerified: number;
  violations: CampaignViolation[];
}

type Step = { kind: "items"; items: GeneratedItem[] } | { kind: "state"; state: SessionState };

/** A rollout to start from: durable on `fs`, holding `content`. */
interface Base {
  fs: CrashFS;
  file: string;
  sessionId: string;
  content: Content;
}

interface Workload {
  name: string;
  document: boolean;
  pipelined: boolean;
  steps: Step[];
  start: { kind: "create"; file: string; sessionId: string; initial: GeneratedItem[] } | {
    kind: "resume";
    base: Base;
  };
}

interface Outcome {
  fs: CrashFS;
  started: boolean;
  /** Per step: whether its promise resolved. */
  acked: boolean[];
}

const HOME = "/home/u/.codex";
const clock = () => new Date("2026-11-26T11:15:28.123Z");
const GROUP = 3;

const asItem = (g: GeneratedItem) => g.item as ResponseItem;

function randomItems(random: SeededRandom, label: string, count: number): GeneratedItem[] {
  const out: GeneratedItem[] = [];
  for (let i = 0; i < count; i++) {
    out.push(generateItem(random, `${label}.${i}:`, random.logInt(16, 3000)));
  }
  return out;
}

function randomSteps(random: SeededRandom, label: string): Step[] {
  const steps: Step[] = [];
  const count = random.int(4, 7);
  for (let i = 0; i < count; i++) {
    if (i > 0 && random.chance(0.25)) {
      steps.push({ kind: "state", state: { previous_response_id: `resp_${random.int(1, 3)}` } });
    } else {steps.push({
        kind: "items",
        items: randomItems(random, `${label}${i}`, random.int(1, 3)),
      });}
  }
  return steps;
}

/**
 * The content after each prefix of the submitted records (a crash may keep part of a batch),
 * and the index of the first content after each step.
 */
function contents(start: Content, steps: readonly Step[]): { all: Content[]; afterStep: number[] } {
  const all = [start];
  const afterStep: number[] = [];
  let current = start;
  for (const step of steps) {
    if (step.kind === "state") {
      current = { items: current.items, state: step.state };
      all.push(current);
    } else {
      for (const g of step.items) {
        current = { items: [...current.items, g.json], state: current.state };
        all.push(current);
      }
    }
    afterStep.push(all.length - 1);
  }
  return { all, afterStep };
}

async function run(w: Workload, crashAt: number, writer: typeof RolloutRecorder): Promise<Outcome> {
  // Pipelined workloads sync batches in the background (as big batches do) and commit a burst
  // above 2 KiB at once, inline (as a burst above 8 MiB does); the others sync inline.
  const options = {
    lock: false,
    clock,
    ...(w.pipelined ? { backgroundSyncBytes: 0, maxBatchBytes: 2048 } : {}),
  };
  const acked = w.steps.map(() => false);
  let fs: CrashFS;
  let recorder: RolloutRecorder;
  try {
    if (w.start.kind === "create") {
      fs = new CrashFS({ crashAt });
      recorder = await writer.create({
        ...options,
        fs,
        home: HOME,
        format: w.document ? "json" : "jsonl",
        meta: { id: w.start.sessionId, instructions: "Be terse." },
        items: w.start.initial.map(asItem),
      });
    } else {
      fs = w.start.base.fs.restarted({ crashAt });
      recorder = (await writer.resume(w.start.base.file, { ...options, fs })).recorder;
    }
  } catch {
    return { fs: fs!, started: false, acked };
  }
  const submit = (step: Step) =>
    step.kind === "items"
      ? recorder.recordItems(step.items.map(asItem))
      : recorder.recordState(step.state);
  const size = w.pipelined ? GROUP : 1;
  for (let i = 0; i < w.steps.length; i += size) {
    const settled = await Promise.allSettled(w.steps.slice(i, i + size).map(submit));
    settled.forEach((s, j) => (acked[i + j] = s.status === "fulfilled"));
    if (settled.some((s) => s.status === "rejected")) break;
  }
  await recorder.close().catch(() => {});
  return { fs, started: true, acked };
}

function expectationOf(
  w: Workload,
  outcome: Outcome,
  writer: typeof RolloutRecorder,
): Expectation {
  const create = w.start.kind === "create";
  const start: Content = w.start.kind === "create"
    ? { items: w.start.initial.map((g) => g.json), state: {} }
    : w.start.base.content;
  const { all, afterStep } = contents(start, w.steps);
  const lastAcked = outcome.acked.lastIndexOf(true);
  const ackedPrefix = lastAcked < 0 ? 0 : afterStep[lastAcked]!;
  return {
    file: w.start.kind === "create" ? w.start.file : w.start.base.file,
    sessionId: w.start.kind === "create" ? w.start.sessionId : w.start.base.sessionId,
    candidates: outcome.started ? all.slice(ackedPrefix) : all.slice(0, 1),
    mayBeAbsent: create && !outcome.started,
    document: w.document,
    recorder: writer,
  };
}

/** A finished rollout to resume: some items, a state, optionally a torn tail, a stale temp. */
async function buildBase(
  random: SeededRandom,
  options: { document: boolean; torn: boolean; sessionId: string },
): Promise<Base> {
  const fs = new CrashFS();
  const recorder = await RolloutRecorder.create({
    fs,
    home: HOME,
    lock: false,
    clock,
    format: options.document ? "json" : "jsonl",
    meta: { id: options.sessionId },
    items: randomItems(random, "base", 2).map(asItem),
  });
  await recorder.recordState({ previous_response_id: "resp_0" });
  await recorder.recordItems(randomItems(random, "base+", 1).map(asItem));
  await recorder.close();
  const file = recorder.path!;
  const image = fs.restarted();
  if (options.torn) {
    const line = new TextEncoder().encode(encodeLine("journal", {
      kind: "response_item",
      payload: randomItems(random, "torn", 1)[0]!.json,
      timestamp: clock().toISOString(),
      ordinal: 4,
    }));
    const old = image.peek(file)!;
    const bytes = new Uint8Array(old.length + line.length);
    bytes.set(old);
    bytes.set(line, old.length);
    image.seed(file, bytes.subarray(0, old.length + random.int(1, line.length - 1)));
  }
  image.seed(`${file}.tmp-stale${random.int(1000, 9999)}`, new Uint8Array([123, 10]));
  return {
    fs: image,
    file,
    sessionId: options.sessionId,
    content: contentOf(loadRollout(file, { fs: image })),
  };
}

async function workloads(random: SeededRandom, round: number): Promise<Workload[]> {
  const out: Workload[] = [];
  for (const document of [false, true]) {
    const kind = document ? "document" : "journal";
    for (const pipelined of [false, true]) {
      const sessionId = `019abc00-0000-7000-8000-${
        String(round * 10 + out.length).padStart(12, "0")
      }`;
      out.push({
        name: `${kind} create ${pipelined ? "pipelined" : "sequential"} #${round}`,
        document,
        pipelined,
        steps: randomSteps(random, `c${round}.`),
        start: {
          kind: "create",
          sessionId,
          file: sessionPath(HOME, {
            id: sessionId,
            created: clock(),
            extension: document ? "json" : "jsonl",
          }),
          initial: randomItems(random, `init${round}`, random.int(0, 2)),
        },
      });
      const torn = !document;
      out.push({
        name: `${kind} resume${torn ? " torn tail" : ""} ${
          pipelined ? "pipelined" : "sequential"
        } #${round}`,
        document,
        pipelined,
        steps: randomSteps(random, `r${round}.`),
        start: {
          kind: "resume",
          base: await buildBase(random, {
            document,
            torn,
            sessionId: `019abc00-0000-7000-9000-${
              String(round * 10 + out.length).padStart(12, "0")
            }`,
          }),
        },
      });
    }
  }
  return out;
}

/**
 * Runs the campaign: for each workload, a power loss at every operation; every image of
 * every crash is checked, and `2 × scale` images per workload are recovered under crashes too.
 */
export async function runCrashFsCampaign(options: CampaignOptions): Promise<CampaignFigures> {
  const figures: CampaignFigures = {
    workloads: 0,
    crashPoints: 0,
    images: 0,
    recoveryImages: 0,
    ackedItemsVerified: 0,
    violations: [],
  };
  const random = new SeededRandom(options.seed);
  const stopAfter = options.stopAfter ?? Infinity;
  const reorders = 2 * options.scale;
  const writer = (options.writers ?? REAL_WRITERS).RolloutRecorder;
  const done = () => figures.violations.length >= stopAfter;
  for (let round = 0; round < options.scale && !done(); round++) {
    for (const w of await workloads(random, round)) {
      if (done()) break;
      figures.workloads++;
      const nested = new Set<number>();
      await crashEveryOperation(w, {
        random,
        reorders,
        writer,
        figures,
        done,
        onImage: async (image, verdictContent, expect, index) => {
          if (verdictContent === null || nested.size >= 2 * options.scale) return;
          if (!random.chance(0.03) || nested.has(index)) return;
          nested.add(index);
          const recovery: Workload = {
            name: `${w.name} recovery of image ${index}`,
            document: w.document,
            pipelined: true,
            steps: [{ kind: "items", items: randomItems(random, "rec", 2) }, {
              kind: "items",
              items: randomItems(random, "rec+", 1),
            }],
            start: {
              kind: "resume",
              base: {
                fs: image,
                file: expect.file,
                sessionId: expect.sessionId,
                content: verdictContent,
              },
            },
          };
          const before = figures.images;
          await crashEveryOperation(recovery, {
            random,
            reorders,
            writer,
            figures,
            done,
          });
          figures.recoveryImages += figures.images - before;
        },
      });
    }
  }
  return figures;
}

async function crashEveryOperation(
  w: Workload,
  ctx: {
    random: SeededRandom;
    reorders: number;
    writer: typeof RolloutRecorder;
    figures: CampaignFigures;
    done: () => boolean;
    onImage?: (
      image: CrashFS,
      content: Content | null,
      expect: Expectation,
      index: number,
    ) => Promise<void>;
  },
): Promise<void> {
  const total = (await run(w, Infinity, ctx.writer)).fs.operations;
  let index = 0;
  for (let crashAt = 0; crashAt <= total && !ctx.done(); crashAt++) {
    ctx.figures.crashPoints++;
    const outcome = await run(w, crashAt, ctx.writer);
    const expect = expectationOf(w, outcome, ctx.writer);
    for (
      const image of outcome.fs.images({ seed: ctx.random.int(0, 2 ** 31), reorders: ctx.reorders })
    ) {
      const pristine = ctx.onImage === undefined ? null : image.fs.restarted();
      const verdict = await checkImage(image.fs, expect);
      ctx.figures.images++;
      index++;
      if (!verdict.ok) {
        ctx.figures.violations.push({
          workload: w.name,
          crashAt,
          image: image.label,
          ...verdict.violation,
        });
        if (ctx.done()) return;
        continue;
      }
      ctx.figures.ackedItemsVerified += expect.candidates[0]!.items.length;
      if (pristine !== null) await ctx.onImage!(pristine, verdict.content, expect, index);
    }
  }
}

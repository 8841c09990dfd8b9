/**
 * The six invariants of RELIABILITY.md, checked on one post-crash or post-fault image: no
 * loss, no phantoms, prefix, readable, writable, tidy. Test-only.
 */
import * as path from "node:path";
import { isTempOf } from "../../lib/store/atomic_replace.ts";
import type { FileSystem } from "../../lib/runtime/file_system.ts";
import { type LoadedRollout, loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import type { SessionState } from "../../lib/schemas/session_meta.ts";

/** The items (as JSON text) and state of a rollout. */
export interface Content {
  items: string[];
  state: SessionState;
}

/** What a correct writer may have left in one image. */
export interface Expectation {
  file: string;
  sessionId: string;
  /**
   * Every acceptable content, shortest first: the acknowledged one, then each later
   * submitted one. Anything else is a loss, a phantom or a mixture.
   */
  candidates: Content[];
  /** The file may be missing: its creation was never acknowledged. */
  mayBeAbsent: boolean;
  /** A journal may end in a torn tail; a document must be whole. */
  document: boolean;
  /** The writer under test, for the writable check (default: the real one). */
  recorder?: typeof RolloutRecorder | undefined;
  /**
   * The writer ran to its end (a fault, no crash): it must have removed its temporary files
   * itself, so they are looked for before the writable check resumes (which removes them).
   */
  tidyNow?: boolean;
}

/** The invariant names, in RELIABILITY.md order. */
export type Invariant = "no_loss" | "no_phantoms" | "prefix" | "readable" | "writable" | "tidy";

/** A broken invariant. */
export interface Violation {
  invariant: Invariant;
  detail: string;
}

/** The verdict on one image: a violation, or the content found (null when the file is absent). */
export type Verdict = { ok: false; violation: Violation } | { ok: true; content: Content | null };

const clock = () => new Date("2026-11-26T12:00:00.000Z");

/** The probe item the writable check appends. */
export const PROBE = {
  type: "message",
  role: "user",
  content: [{ type: "input_text", text: "probe ✓" }],
};

/** The content of a loaded rollout, items as JSON text. */
export function contentOf(loaded: LoadedRollout): Content {
  return {
    items: loaded.saved.items.map((item) => JSON.stringify(item)),
    state: loaded.saved.state,
  };
}

function sameContent(a: Content, b: Content): boolean {
  return a.state.previous_response_id === b.state.previous_response_id &&
    a.items.length === b.items.length && a.items.every((item, i) => item === b.items[i]);
}

function damage(loaded: LoadedRollout, document: boolean): string | null {
  const report = loaded.report;
  if (report.skipped_lines.length > 0) {
    return `skipped ${JSON.stringify(report.skipped_lines[0])}`;
  }
  // The writer's own records besides items and state: the event_msg mirrors of messages.
  const foreign = Object.keys(report.skipped_types).filter((type) => type !== "event_msg");
  if (foreign.length > 0) return `skipped record types ${foreign.join(", ")}`;
  if (report.ordinal_errors !== undefined) {
    return `ordinal ${JSON.stringify(report.ordinal_errors[0])}`;
  }
  if (report.warnings.length > 0) return `warning ${report.warnings[0]}`;
  if (document && report.torn_tail !== null) return "a document with a torn tail";
  return null;
}

function classify(found: Content, expect: Expectation): Violation {
  const submitted = new Set(expect.candidates.flatMap((c) => c.items));
  const phantom = found.items.find((item) => !submitted.has(item));
  if (phantom !== undefined) {
    return { invariant: "no_phantoms", detail: `unknown item ${phantom.slice(0, 80)}` };
  }
  const acked = expect.candidates[0]!;
  if (!acked.items.every((item, i) => found.items[i] === item)) {
    return {
      invariant: "no_loss",
      detail: `${found.items.length} item(s) found, ${acked.items.length} acknowledged`,
    };
  }
  return {
    invariant: "prefix",
    detail: `${found.items.length} item(s), state ${
      JSON.stringify(found.state)
    } match no submitted prefix`,
  };
}

function violation(invariant: Invariant, detail: string): Verdict {
  return { ok: false, violation: { invariant, detail } };
}

/**
 * Checks the invariants on `fs` (a post-crash image it may change: the writable check
 * resumes the rollout and appends to it).
 */
export async function checkImage(fs: FileSystem, expect: Expectation): Promise<Verdict> {
  const dir = path.dirname(expect.file);
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch {
    names = [];
  }
  if (!names.includes(path.basename(expect.file))) {
    if (expect.mayBeAbsent) return { ok: true, content: null };
    return violation("no_loss", "the rollout is gone");
  }
  let loaded: LoadedRollout;
  try {
    loaded = loadRollout(expect.file, { fs });
  } catch (error) {
    return violation("readable", `load failed: ${(error as Error).message}`);
  }
  const damaged = damage(loaded, expect.document);
  if (damaged !== null) return violation("readable", damaged);
  if (loaded.saved.session.id !== expect.sessionId) {
    return violation("readable", `session id ${loaded.saved.session.id}`);
  }
  const found = contentOf(loaded);
  if (!expect.candidates.some((c) => sameContent(c, found))) {
    return { ok: false, violation: classify(found, expect) };
  }
  if (expect.tidyNow === true) {
    const left = fs.readdir(dir).filter((name) => isTempOf(expect.file, name));
    if (left.length > 0) return violation("tidy", `left by the writer: ${left.join(", ")}`);
  }
  const writable = await checkWritable(fs, expect, found);
  if (writable !== null) return violation("writable", writable);
  const stray = fs.readdir(dir).filter((name) => isTempOf(expect.file, name));
  if (stray.length > 0) return violation("tidy", `stray ${stray.join(", ")}`);
  return { ok: true, content: found };
}

/** Resume, append the probe, close, reload: the probe must follow what was there. */
async function checkWritable(
  fs: FileSystem,
  expect: Expectation,
  found: Content,
): Promise<string | null> {
  try {
    const writer = expect.recorder ?? RolloutRecorder;
    const { recorder } = await writer.resume(expect.file, { fs, lock: false, clock });
    await recorder.recordItems([PROBE]);
    await recorder.close();
    const again = loadRollout(expect.file, { fs });
    const damaged = damage(again, true);
    if (damaged !== null) return `after an append: ${damaged}`;
    const want = { items: [...found.items, JSON.stringify(PROBE)], state: found.state };
    if (!sameContent(want, contentOf(again))) {
      return `after an append: ${again.saved.items.length} item(s), expected ${want.items.length}`;
    }
    return null;
  } catch (error) {
    return `resume and append failed: ${(error as Error).message}`;
  }
}

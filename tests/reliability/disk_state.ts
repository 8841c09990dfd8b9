/**
 * What a crashed writer left on disk, read without the code under test: the exact payload
 * bytes of every complete item, the torn tail, stray temporary files. And the check of the
 * RELIABILITY.md invariants 1-3 against the acknowledgements (the ground truth).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The items found in a rollout file, as the JSON text stored for each. */
export interface DiskState {
  format: "journal" | "document";
  /** Journal: the payload text of each complete `response_item` line, byte for byte. */
  items: string[];
  /** Journal: bytes after the last `\n` (a torn tail). */
  tornBytes: number;
  /** Files beside the rollout other than itself and its lock file. */
  strays: string[];
  size: number;
}

const fatal = new TextDecoder("utf-8", { fatal: true });
/**
 * The envelope before the payload, exactly as SPEC §2.1 orders it; only `state` lines, which
 * are not Codex's, carry no ordinal (SPEC §6).
 */
const ENVELOPE_HEAD = /^\{"timestamp":"[0-9TZ:.-]+",(?:"ordinal":(\d+),)?"type":"(\w+)","payload":/;

/** Reads `file` (our journal or our document) and lists what a harness needs to judge it. */
export function readDiskState(file: string): DiskState {
  const bytes = fs.readFileSync(file);
  const base = path.basename(file);
  const strays = fs.readdirSync(path.dirname(file)).filter((name) =>
    name !== base && name !== `${base}.lock`
  );
  if (file.endsWith(".json")) {
    const doc = JSON.parse(fatal.decode(bytes)) as { items: unknown[] };
    const items = doc.items.map((item) => JSON.stringify(item));
    return { format: "document", items, tornBytes: 0, strays, size: bytes.length };
  }
  const end = bytes.lastIndexOf(10) + 1;
  const text = fatal.decode(bytes.subarray(0, end));
  const items: string[] = [];
  const lines = text.split("\n").slice(0, -1);
  let ordinal = 0;
  lines.forEach((line, index) => {
    const head = ENVELOPE_HEAD.exec(line);
    const numbered = head !== null &&
      (head[1] === undefined
        ? head[2] === "state"
        : Number(head[1]) === ordinal++ && head[2] !== "state");
    if (head === null || !numbered || !line.endsWith("}")) {
      throw new Error(
        `Line ${index + 1} of "${file}" is not a journal record: ${line.slice(0, 80)}`,
      );
    }
    if (head[2] === "response_item") items.push(line.slice(head[0].length, -1));
  });
  return { format: "journal", items, tornBytes: bytes.length - end, strays, size: bytes.length };
}

/** What one writer run was given and what it acknowledged. */
export interface RunTruth {
  /** Items on disk before the run (a resumed session's). */
  base: readonly string[];
  /** The items submitted in this run, in submission order, as canonical JSON. */
  submitted: readonly string[];
  /** How many of `submitted` were acknowledged (always a prefix). */
  acked: number;
}

/**
 * The invariant violations of `recovered` (empty when all hold): no loss (the base and every
 * acknowledged item present, once, in order), no phantoms (every other item byte-identical
 * to a submitted one), prefix (acknowledged ⊆ recovered ⊆ submitted, in order).
 */
export function invariantProblems(truth: RunTruth, recovered: readonly string[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < truth.base.length; i++) {
    if (recovered[i] !== truth.base[i]) {
      problems.push(`item ${i} of the earlier session is ${describeItem(recovered[i])}`);
      return problems;
    }
  }
  const added = recovered.slice(truth.base.length);
  if (added.length < truth.acked) {
    problems.push(`${truth.acked} items acknowledged but only ${added.length} recovered`);
  }
  if (added.length > truth.submitted.length) {
    problems.push(`${added.length} items recovered but only ${truth.submitted.length} submitted`);
  }
  for (let i = 0; i < added.length && i < truth.submitted.length; i++) {
    if (added[i] !== truth.submitted[i]) {
      problems.push(
        `recovered item ${truth.base.length + i} is ${describeItem(added[i])}, not submitted ` +
          `item ${i} (${describeItem(truth.submitted[i])})`,
      );
      break;
    }
  }
  return problems;
}

function describeItem(json: string | undefined): string {
  if (json === undefined) return "missing";
  return `${JSON.stringify(json.slice(0, 60))} (${json.length} chars)`;
}

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { damagedRollout } from "./damaged_files.ts";
import { type HostileLine, hostileLine } from "./hostile_lines.ts";
import { processTierSkip } from "./process_tier_gate.ts";
import { ProtoProcess, type Subject, SUBJECTS } from "./proto_process.ts";
import { validate } from "./run_command.ts";
import { SeededRandom } from "./seeded_random.ts";
import { tempDir, userMessage } from "../helpers.ts";

const skip = processTierSkip("fuzz_test.ts");
const MAX_LINE = 16 * 1024;
/** Lines per subject: the compiled binary gets the big run, the sources a smaller one each. */
const LINES: Record<Subject["name"], number> = { binary: 50_000, deno: 20_000, bun: 20_000 };
const encoder = new TextEncoder();

/** Sends `lines` with back-pressure, each followed by `\n`, in batches of about 256 KiB. */
async function sendAll(proc: ProtoProcess, lines: readonly HostileLine[]): Promise<void> {
  let batch: Uint8Array[] = [];
  let size = 0;
  const flush = async () => {
    const out = new Uint8Array(size);
    let at = 0;
    for (const part of batch) {
      out.set(part, at);
      at += part.length;
    }
    batch = [];
    size = 0;
    assert.ok(await proc.sendRaw(out), "rollout proto stopped reading its input");
  };
  const newline = encoder.encode("\n");
  for (const line of lines) {
    batch.push(line.bytes, newline);
    size += line.bytes.length + 1;
    if (size >= 256 * 1024) await flush();
  }
  await flush();
}

for (const subject of SUBJECTS) {
  const count = LINES[subject.name];
  test(
    `rollout proto (${subject.name}) answers ${count} hostile lines with one error each and changes nothing`,
    {
      skip,
    },
    async () => {
      const { dir, cleanup } = tempDir("rollout-fuzz-");
      try {
        const home = path.join(dir, "home");
        const proc = ProtoProcess.start(subject, {
          args: ["--home", home, "--max-line-bytes", String(MAX_LINE)],
        });
        await proc.send({ id: "c", op: { type: "configure_session", instructions: "fuzz" } });
        for (let n = 0; n < 3; n++) {
          await proc.send({
            id: `k${n}`,
            op: { type: "record_items", items: [userMessage(`m${n}`)] },
          });
        }
        await proc.send({ id: "g1", op: { type: "get_session" } });
        const before = await proc.eventFor("g1");
        const configured = proc.events[0]!.msg;
        assert.equal(configured.type, "session_configured");
        const file = "rollout_path" in configured ? configured.rollout_path! : "";
        const bytes = fs.readFileSync(file);

        const rng = new SeededRandom(4242 + count);
        const lines = Array.from({ length: count }, (_, n) => hostileLine(rng, n, MAX_LINE));
        await sendAll(proc, lines);
        await proc.send({ id: "g2", op: { type: "get_session" } });
        await proc.send({ id: "s", op: { type: "shutdown" } });
        proc.end();
        assert.deepEqual(await proc.exited, { code: 0, signal: null });
        assert.deepEqual(proc.strayLines, []);

        const answers = proc.events.slice(5, 5 + count);
        assert.equal(proc.events.length, 5 + count + 2, "not one event per line");
        const wrong = answers.flatMap((event, i) => {
          const line = lines[i]!;
          const ok = event.msg.type === "error" && line.ids.includes(event.id) &&
            line.codes.includes(event.msg.code);
          return ok ? [] : [`line ${i + 6} (${line.kind}): ${JSON.stringify(event).slice(0, 200)}`];
        });
        assert.deepEqual(wrong.slice(0, 5), []);
        const after = proc.events.at(-2)!;
        assert.equal(after.id, "g2");
        assert.deepEqual(after.msg, before!.msg);
        assert.deepEqual(proc.events.at(-1), { id: "s", msg: { type: "shutdown_complete" } });
        assert.ok(fs.readFileSync(file).equals(bytes), "the session file changed");
        assert.equal(fs.existsSync(path.join(home, "history.jsonl")), false);
        const kinds = new Map<string, number>();
        for (const line of lines) kinds.set(line.kind, (kinds.get(line.kind) ?? 0) + 1);
        console.log(
          `fuzz_test ${subject.name}: ${count} hostile lines, one error each: ${
            JSON.stringify(Object.fromEntries(kinds))
          }`,
        );
      } finally {
        cleanup();
      }
    },
  );
}

const DAMAGED = 3_000;

/** Writes `count` damaged rollouts into `dir`; returns their paths with what the library said. */
function writeDamaged(dir: string, count: number, seed: number) {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, (_, n) => {
    const { bytes, kinds } = damagedRollout(rng);
    const file = path.join(dir, `damaged-${String(n).padStart(5, "0")}.jsonl`);
    fs.writeFileSync(file, bytes);
    return { file, bytes, kinds };
  });
}

/** One line of a file as an independent reader sees it. */
interface RawLine {
  line: number;
  offset: number;
  bytes: Uint8Array;
}

function rawLines(bytes: Uint8Array): { lines: RawLine[]; tail: RawLine | null } {
  const lines: RawLine[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    lines.push({ line: lines.length + 1, offset: start, bytes: bytes.subarray(start, i) });
    start = i + 1;
  }
  const rest = bytes.subarray(start);
  const tail = rest.length === 0 ? null : { line: lines.length + 1, offset: start, bytes: rest };
  return { lines, tail };
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Why an independent reader cannot read a line as a JSON object, or null. */
function unreadable(raw: Uint8Array): "utf8" | "json" | "object" | null {
  let text: string;
  try {
    text = strict.decode(raw);
  } catch {
    return "utf8";
  }
  if (text.endsWith("\r")) text = text.slice(0, -1);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "json";
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? null : "object";
}

/**
 * The loader's report against the bytes, read independently of the loader: every line that is
 * no UTF-8, no JSON or no object is reported as skipped, at its own line number and byte
 * offset, with the matching reason; nothing is reported at an offset that starts no line; the
 * torn tail is exactly the bytes after the last line end, unless they are a whole object.
 */
function checkAgainstLines(
  bytes: Uint8Array,
  report: ReturnType<typeof loadRollout>["report"],
  what: string,
): void {
  const { lines, tail } = rawLines(bytes);
  const skipped = new Map(report.skipped_lines.map((s) => [s.line, s]));
  for (const raw of lines.slice(1)) {
    const why = unreadable(raw.bytes);
    const entry = skipped.get(raw.line);
    if (why === null) continue;
    assert.notEqual(entry, undefined, `${what}: line ${raw.line} (${why}) not reported`);
    assert.equal(entry!.offset, raw.offset, `${what}: line ${raw.line} offset`);
    const expected = why === "utf8"
      ? "not valid UTF-8"
      : why === "json"
      ? (strict.decode(raw.bytes).trim() === "" ? "empty line" : "not JSON")
      : "not a JSON object";
    // A line too long for the cap is reported as such before its content is looked at.
    if (entry!.message !== "line is too long") {
      assert.equal(entry!.message, expected, `${what}: line ${raw.line}`);
    }
  }
  for (const entry of report.skipped_lines) {
    const raw = lines[entry.line! - 1];
    assert.notEqual(
      raw,
      undefined,
      `${what}: line ${entry.line} reported, the file has ${lines.length}`,
    );
    assert.equal(entry.offset, raw!.offset, `${what}: line ${entry.line} offset`);
  }
  const whole = tail !== null && unreadable(tail.bytes) === null;
  if (tail === null || whole) assert.equal(report.torn_tail, null, `${what}: torn tail`);
  else {
    assert.deepEqual(report.torn_tail, {
      line: tail.line,
      offset: tail.offset,
      bytes: tail.bytes.length,
    }, `${what}: torn tail`);
  }
  assert.equal(
    report.line_end_missing?.offset,
    whole ? tail!.offset : undefined,
    `${what}: line end`,
  );
}

test(`loadRollout() never crashes on ${DAMAGED} damaged files: a report or invalid_rollout, file untouched`, () => {
  const { dir, cleanup } = tempDir("rollout-fuzz-files-");
  try {
    const outcomes = { loaded: 0, damageReported: 0, refused: 0, checkedLines: 0 };
    for (const { file, bytes, kinds } of writeDamaged(dir, DAMAGED, 31337)) {
      try {
        const loaded = loadRollout(file);
        outcomes.loaded++;
        const r = loaded.report;
        if (r.torn_tail !== null || r.skipped_lines.length > 0 || r.warnings.length > 0) {
          outcomes.damageReported++;
        }
        assert.ok(Array.isArray(loaded.saved.items), `${kinds}: no item list`);
        if (loaded.historyMode !== null) {
          // A line file: its report is checked against the bytes, line by line.
          checkAgainstLines(bytes, loaded.report, kinds.join(", "));
          outcomes.checkedLines++;
        }
      } catch (error) {
        if (!(error instanceof RolloutError) || error.code !== "invalid_rollout") {
          assert.fail(`${kinds.join(", ")}: ${String(error)}`);
        }
        assert.match(error.message, /^Cannot load rollout ".*damaged-\d+\.jsonl": /);
        outcomes.refused++;
      }
      assert.ok(fs.readFileSync(file).equals(bytes), `${kinds}: loading changed the file`);
    }
    console.log(`fuzz_test damaged files: ${JSON.stringify(outcomes)}`);
    assert.equal(outcomes.loaded + outcomes.refused, DAMAGED);
    // The generator must produce both kinds, or it tests one path only.
    assert.ok(outcomes.damageReported > DAMAGED / 10 && outcomes.refused > DAMAGED / 10);
    assert.ok(outcomes.checkedLines > DAMAGED / 4, `${outcomes.checkedLines} line files checked`);
  } finally {
    cleanup();
  }
});

test(
  `rollout validate agrees with loadRollout() and with the bytes on 1000 damaged files, exit 1 exactly when one is invalid`,
  {
    skip,
  },
  async () => {
    const { dir, cleanup } = tempDir("rollout-fuzz-validate-");
    try {
      const files = writeDamaged(dir, 1000, 7331);
      const result = await validate([dir]);
      const byPath = new Map(result.entries.map((e) => [e.path, e]));
      assert.equal(byPath.size, files.length);
      // Exit 1 exactly when a file is invalid.
      assert.equal(result.code, result.entries.some((e) => !e.ok) ? 1 : 0, result.stderr);
      const disagreements: string[] = [];
      for (const { file, kinds } of files) {
        const entry = byPath.get(file);
        let libraryOk: boolean;
        try {
          libraryOk = loadRollout(file).report.skipped_lines.length === 0;
        } catch {
          libraryOk = false;
        }
        if (entry === undefined) disagreements.push(`${file}: no verdict`);
        else if (!libraryOk && (entry.ok || entry.errors.length === 0)) {
          disagreements.push(`${file} (${kinds}): validate passed what loadRollout refused`);
        }
        if (entry === undefined || entry.format === null || entry.format.includes("document")) {
          continue;
        }
        // Independently of the library: every line of a line file that is no UTF-8, no JSON or
        // no object is an error of the file, at its own line and byte offset.
        const { lines } = rawLines(fs.readFileSync(file));
        for (const raw of lines.slice(1)) {
          if (unreadable(raw.bytes) === null) continue;
          const found = entry.errors.some((e) => e.line === raw.line && e.offset === raw.offset);
          if (!found) disagreements.push(`${file} (${kinds}): line ${raw.line} not reported`);
          if (entry.ok) disagreements.push(`${file} (${kinds}): valid despite line ${raw.line}`);
        }
      }
      assert.deepEqual(disagreements.slice(0, 5), []);
    } finally {
      cleanup();
    }
  },
);

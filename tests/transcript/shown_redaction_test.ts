/**
 * `show` searches a tool output for secrets only where the fold shows it (`redactShown`): the
 * shown part of each shown line and SHOWN_REACH characters after it. These tests hold it to
 * printing what redacting the whole output prints, with secrets planted on the cut, before it
 * and far past it, and check the reach itself on a sample of every secret format.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TimelineEntry } from "../../lib/formats/mod.ts";
import {
  mayHoldSecret,
  type RedactionCounts,
  redactValue,
  totalRedacted,
} from "../../lib/redaction/mod.ts";
import { redactShown, SHOWN_REACH } from "../../lib/transcript/mod.ts";
import { outputEntry, shown } from "./output_entries.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";
import { type Planted, plantedSecrets, SecretMaker } from "../redaction/secret_samples.ts";

/** The entry as show redacts it, and as redacting every string of it does. */
function bothWays(entry: TimelineEntry): {
  part: TimelineEntry;
  partTotal: number;
  whole: string;
  wholeTotal: number;
} {
  const partCounts: RedactionCounts = {};
  const part = redactShown(entry, (value) => redactValue(value, partCounts));
  const wholeCounts: RedactionCounts = {};
  const whole = shown(redactValue(entry, wholeCounts));
  return {
    part,
    partTotal: totalRedacted(partCounts),
    whole,
    wholeTotal: totalRedacted(wholeCounts),
  };
}

/** The count of characters a cut line leaves out, which may differ (stored, not redacted). */
function sameButCounts(text: string): string {
  return text.replace(/\d+ more characters/g, "N more characters");
}

/** Words of a tool output: none holds an anchor of a secret. */
function words(rand: () => number, length: number): string {
  const pool = [
    "build",
    "test",
    "ok",
    "ran",
    "in",
    "ms",
    "file",
    "line",
    "error",
    "warning",
    "src",
  ];
  let out = "";
  while (out.length < length) out += `${pool[Math.floor(rand() * pool.length)]} `;
  return out.slice(0, length);
}

/**
 * The planted samples a line-by-line redaction reads (no PEM block, no JSON text), that may
 * stand in the middle of a line.
 */
function lineSecrets(seed: number): Planted[] {
  return plantedSecrets(new SecretMaker(seed)).filter((s) =>
    s.rule !== "private_key" && !/^\s*[[{]/.test(s.text) && s.atLineEnd !== true
  );
}

test("every sample secret has an anchor ending within the reach of where it starts", () => {
  const samples = plantedSecrets(new SecretMaker(5));
  assert.ok(samples.length >= 20, `only ${samples.length} samples`);
  for (const sample of samples) {
    const start = sample.text.indexOf(sample.secret);
    assert.ok(start >= 0, sample.rule);
    // The documented reach is 13 characters; SHOWN_REACH leaves room past it.
    assert.ok(mayHoldSecret(sample.text.slice(0, start + 14)), `${sample.rule}: ${sample.text}`);
    assert.ok(SHOWN_REACH >= 14);
  }
});

test("show prints a tool output redacted where it shows it as redacting the whole would", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    const secrets = lineSecrets(seed);
    // Where a line is cut: one line shows 4,000 characters, many lines 250 each.
    const shapes = [
      { lines: 1, length: () => 3_990 + Math.floor(rand() * 40), cut: 4_000 },
      { lines: 1, length: () => 4_000 + Math.floor(rand() * 60_000), cut: 4_000 },
      { lines: 3, length: () => 1_000 + Math.floor(rand() * 2_000), cut: -1 },
      { lines: 30, length: () => 200 + Math.floor(rand() * 400), cut: 250 },
    ];
    let fast = 0;
    let planted = 0;
    for (let round = 0; round < 120; round++) {
      const shape = shapes[round % shapes.length]!;
      const lines = Array.from({ length: shape.lines }, () => words(rand, shape.length()));
      const kind = Math.floor(round / shapes.length) % 3;
      const used: Planted[] = [];
      if (kind > 0) {
        // One secret on a line that is shown: across the cut, just before it, or far past it.
        const line = shape.lines > 20 ? (rand() < 0.5 ? 0 : shape.lines - 1) : 0;
        const cut = shape.cut > 0 ? shape.cut : Math.min(lines[line]!.length, 4_000);
        const secret = secrets[Math.floor(rand() * secrets.length)]!;
        const text = secret.text.replaceAll("\n", " ");
        const at = kind === 1
          ? Math.max(0, cut - Math.floor(rand() * (text.length + 20)))
          : cut + SHOWN_REACH + Math.floor(rand() * 200);
        const host = lines[line]!;
        lines[line] = `${host.slice(0, at)} ${text} ${host.slice(at)}`;
        used.push(secret);
        planted++;
      }
      const output = lines.join("\n");
      const entry = outputEntry(output);
      const { part, partTotal, whole, wholeTotal } = bothWays(entry);
      const printed = shown(part);
      const where = `round ${round} (seed ${seed}): ${shape.lines} line(s), ${used[0]?.rule}`;
      assert.equal(sameButCounts(printed), sameButCounts(whole), where);
      for (const secret of used) {
        assert.ok(!printed.includes(secret.secret), `${where}: the secret is shown`);
      }
      assert.ok(partTotal <= wholeTotal, where);
      const untouched = part.kind === "item" && part.item.output === output;
      if (untouched) fast++;
      if (kind === 0) {
        // Nothing to find: the output is printed as stored, not copied.
        assert.ok(untouched, `${where}: an output without secrets was redacted`);
        assert.equal(printed, whole, where);
      }
    }
    assert.ok(planted >= 70, `${planted} secrets planted`);
    assert.ok(fast >= 50, `only ${fast} of 120 outputs were printed as stored`);
  });
});

test("a secret whose first characters a cut line would show is redacted whole", () => {
  const make = new SecretMaker(3);
  const token = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
  // The cut falls inside the token at every offset, its prefix too short to be one alone.
  for (let before = 1; before <= token.length + 1; before++) {
    const line = `${"x".repeat(4_000 - before - 1)} ${token} ${"y ".repeat(3_000)}`;
    const { part, whole } = bothWays(outputEntry(line));
    const printed = shown(part);
    assert.equal(printed, whole, `${before} character(s) of the token before the cut`);
    // What shows at the cut is the start of the marker, never the token's first characters.
    if (before >= 3) assert.ok(!printed.includes(token.slice(0, before)), `${before}`);
    assert.ok(printed.includes("[REDACTED:github]".slice(0, Math.min(before, 17))), `${before}`);
  }
});

test("only a tool output's text is left as stored: its other fields are redacted", () => {
  const make = new SecretMaker(9);
  const token = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
  const entry: TimelineEntry = {
    kind: "item",
    item: { type: "function_call_output", call_id: token, output: "done" },
  };
  const part = redactShown(entry, (value) => redactValue(value, {}));
  assert.ok(part.kind === "item");
  assert.equal(part.item.output, "done");
  assert.equal(part.item.call_id, "[REDACTED:github]");
  // A message is redacted as a whole.
  const message: TimelineEntry = {
    kind: "item",
    item: { type: "message", role: "user", content: [{ type: "input_text", text: token }] },
  };
  const redacted = shown(redactShown(message, (value) => redactValue(value, {})));
  assert.ok(!redacted.includes(token) && redacted.includes("[REDACTED:github]"));
});

test("a private key cut short whose first line the fold hides is redacted on the lines it shows", () => {
  // A block without its END line: its BEGIN line is hidden, its last lines of base64 shown.
  const pem = plantedSecrets(new SecretMaker(4)).find((s) => s.rule === "private_key")!;
  const keyLines = pem.text.split("\n").filter((line) => /^[A-Za-z0-9+/=]{16,}$/.test(line));
  const begin = pem.text.split("\n").find((line) => line.startsWith("-----BEGIN"))!;
  const filler = Array.from({ length: 30 }, (_, i) => `step ${i} done`);
  const output = [...filler, begin, ...keyLines, "$ done"].join("\n");
  const shownBody = keyLines.slice(-3);
  // Nothing on the shown lines looks like a secret by itself: only reading across lines does.
  assert.ok(!mayHoldSecret(shownBody.join("\n")), "the sample's last lines hold an anchor");
  const { part, whole } = bothWays(outputEntry(output));
  const printed = shown(part);
  assert.equal(printed, whole);
  for (const line of shownBody) assert.ok(!printed.includes(line), line);
});

test("a secret past all a fold shows is neither searched for nor counted", () => {
  const make = new SecretMaker(13);
  const token = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
  // Three lines of 3,000 characters: the fold's 4,000 run out in the second; the third line,
  // which holds the token past the reach, shows nothing.
  const line = (c: string) => `${c} `.repeat(1_500);
  const output = [line("a"), line("b"), `${line("c").slice(0, 100)}${token} ${line("c")}`].join(
    "\n",
  );
  const { part, partTotal, whole, wholeTotal } = bothWays(outputEntry(output));
  assert.ok(part.kind === "item" && part.item.output === output, "the output was searched");
  assert.equal(sameButCounts(shown(part)), sameButCounts(whole));
  assert.equal(partTotal, 0);
  assert.equal(wholeTotal, 1);
  // On the first line it shows, and is counted.
  const first = [`${token} ${line("c")}`, line("a"), line("b")].join("\n");
  const again = bothWays(outputEntry(first));
  assert.equal(shown(again.part), again.whole);
  assert.equal(again.partTotal, 1);
});

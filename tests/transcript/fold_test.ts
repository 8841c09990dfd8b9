/**
 * `show` redacts only what it shows of a folded tool output (`shownPart`): the lines the fold
 * hides are emptied first. These tests hold it to showing exactly what redacting the whole
 * output shows, with secrets planted in the shown and the hidden lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TimelineEntry } from "../../lib/formats/mod.ts";
import {
  type RedactionCounts,
  redactText,
  redactValue,
  totalRedacted,
} from "../../lib/redaction/mod.ts";
import { hideFolded, shownPart } from "../../lib/transcript/mod.ts";
import { outputEntry, shown } from "./output_entries.ts";
import { prng, runSeed, withSeed } from "../fixtures_random.ts";
import { plantedSecrets, SecretMaker } from "../redaction/secret_samples.ts";

function redacted(entry: TimelineEntry): { text: string; total: number } {
  const counts: RedactionCounts = {};
  const text = shown(redactValue(entry, counts));
  return { text, total: totalRedacted(counts) };
}

function randomLines(rand: () => number, count: number): string[] {
  return Array.from({ length: count }, () => {
    const length = Math.floor(rand() ** 3 * 400);
    let line = "";
    while (line.length < length) {
      line += rand() < 0.15 ? " " : String.fromCharCode(97 + rand() * 26);
    }
    return line.slice(0, length);
  });
}

test("hideFolded leaves the fold of any text as it was", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (const count of [1, 15, 16, 17, 19, 20, 21, 22, 40, 300]) {
      for (const end of ["", "\n", "\r\n"]) {
        const lines = randomLines(rand, count);
        const text = lines.join("\n") + end;
        const hidden = hideFolded(text);
        const expected = shown(outputEntry(text));
        assert.equal(
          shown(outputEntry(hidden)),
          expected,
          `${count} lines, ending ${JSON.stringify(end)}`,
        );
        const lineCount = (s: string) => s.split("\n").length;
        assert.equal(lineCount(hidden), lineCount(text));
        const body = (text.endsWith("\n") ? text.slice(0, -1) : text).split("\n");
        if (body.length <= 20) {
          assert.equal(hidden, text);
          continue;
        }
        const after = (hidden.endsWith("\n") ? hidden.slice(0, -1) : hidden).split("\n");
        assert.deepEqual(after.slice(0, 12), body.slice(0, 12));
        assert.deepEqual(after.slice(-4), body.slice(-4));
        assert.ok(after.slice(12, -4).every((line) => line === ""), "hidden lines emptied");
      }
    }
  });
});

test("show redacts a folded output's shown lines as it would redact the whole, and searches only those", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    const secrets = plantedSecrets(new SecretMaker(seed)).filter((s) => s.rule !== "private_key");
    let folded = 0;
    for (let round = 0; round < 60; round++) {
      const count = 21 + Math.floor(rand() * 200);
      const lines = randomLines(rand, count);
      // Secrets on the first, the last and random lines: shown ones and hidden ones.
      const at = new Set([0, count - 1, Math.floor(rand() * count), Math.floor(rand() * count)]);
      for (const i of at) {
        const planted = secrets[Math.floor(rand() * secrets.length)]!;
        // Planted texts may span lines: the secret's line is the one counted.
        lines[i] = `${lines[i]!.slice(0, 40)} ${planted.text.replaceAll("\n", " ")}`;
      }
      const entry = outputEntry(lines.join("\n"));
      const whole = redacted(entry);
      const cut = shownPart(entry);
      // A first line opening with `{` or `[` (a planted JSON text) keeps the whole output.
      if (cut !== entry) folded++;
      const part = redacted(cut);
      assert.equal(part.text, whole.text, `round ${round}: ${count} lines, secrets at ${[...at]}`);
      // Each line redacted alone: the whole finds what its lines find, and show what its
      // shown lines find (secrets on hidden lines are not searched for, nor counted).
      const found = lines.map((line) => {
        const counts: RedactionCounts = {};
        redactText(line, counts);
        return totalRedacted(counts);
      });
      const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
      assert.equal(whole.total, sum(found));
      const shownLines = cut === entry ? found : [...found.slice(0, 12), ...found.slice(-4)];
      assert.equal(part.total, sum(shownLines));
      for (const planted of secrets) {
        if (whole.text.includes(planted.secret)) continue;
        assert.ok(!part.text.includes(planted.secret), `${planted.rule} shown`);
      }
    }
    assert.ok(folded >= 40, `only ${folded} of 60 outputs had their hidden lines emptied`);
  });
});

test("show's redaction of a folded output matches the whole's at the shown lines' borders, CRLF too", () => {
  const make = new SecretMaker(11);
  const token = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
  // A keyword ending one line and its value starting the next, on each border of the fold.
  const borders = (
    count: number,
  ) => [[11, 12], [12, 13], [count - 5, count - 4], [count - 4, count - 3]];
  for (const end of ["\n", "\r\n"]) {
    for (const count of [21, 22, 40]) {
      for (const [first, second] of borders(count)) {
        const lines = Array.from({ length: count }, (_, i) => `line ${i}`);
        lines[first!] = `export API_KEY=`;
        lines[second!] = `${token} password: hunter2x9 url https://u:s3cretpw@db.example:5432`;
        const entry = outputEntry(lines.join(end));
        const cut = shownPart(entry);
        assert.notEqual(cut, entry, "hidden lines emptied");
        const whole = redacted(entry);
        assert.equal(redacted(cut).text, whole.text, `${count} lines, ${first}/${second}`);
        assert.ok(!whole.text.includes(token));
      }
    }
  }
});

test("an output redaction must read whole is redacted whole: a private key, JSON, a data URL", () => {
  const secrets = plantedSecrets(new SecretMaker(7));
  const pem = secrets.find((s) => s.rule === "private_key" && s.text.includes("END"))!;
  const filler = Array.from({ length: 40 }, (_, i) => `line ${i}`);
  // The key starts on a shown line and runs on into the hidden ones.
  const withKey = [...filler.slice(0, 10), ...pem.text.split("\n"), ...filler].join("\n");
  const json = JSON.stringify({ token: "a1", lines: filler }, null, 2);
  const dataUrl = `data:text/plain;base64,${btoa(filler.join("\n"))}\n${filler.join("\n")}`;
  for (const output of [withKey, json, dataUrl]) {
    const entry = outputEntry(output);
    assert.equal(shownPart(entry), entry, output.slice(0, 40));
  }
  const shownKey = redacted(shownPart(outputEntry(withKey))).text;
  assert.ok(shownKey.includes("[REDACTED:private_key]"));
  for (const line of pem.text.split("\n").slice(1, -1)) assert.ok(!shownKey.includes(line));
  // Other items and short outputs are left as they are.
  const message: TimelineEntry = {
    kind: "item",
    item: {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: filler.join("\n") }],
    },
  };
  assert.equal(shownPart(message), message);
  const short = outputEntry(filler.slice(0, 20).join("\n"));
  assert.equal(shownPart(short), short);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ScanHash } from "../../lib/index/scan_hash.ts";

type Fed = ({ text: string } | { number: number })[];

function digestOf(fed: Fed): string {
  const hash = new ScanHash();
  for (const part of fed) {
    if ("text" in part) hash.text(part.text);
    else hash.number(part.number);
  }
  return hash.digest();
}

const file = (path: string, size: number, mtime: number, ino: number): Fed => [
  { text: path },
  { number: size },
  { number: mtime },
  { number: 2049 },
  { number: ino },
];

test("the scan digest is the same for the same scan and changes with any one thing seen", () => {
  const a = file("/h/sessions/2026/11/01/rollout-a.jsonl", 1234, 1764000000123.4567, 77);
  const b = file("/h/sessions/2026/11/01/rollout-b.jsonl", 99, 1764000000200.25, 78);
  const base = digestOf([...a, ...b]);
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(digestOf([...a, ...b]), base);
  const variants: [string, Fed][] = [
    ["order", [...b, ...a]],
    ["a file gone", [...a]],
    ["a file more", [...a, ...b, ...file("/h/x.jsonl", 1, 1, 1)]],
    ["one byte more", [
      ...file("/h/sessions/2026/11/01/rollout-a.jsonl", 1235, 1764000000123.4567, 77),
      ...b,
    ]],
    ["a time's fraction", [
      ...file("/h/sessions/2026/11/01/rollout-a.jsonl", 1234, 1764000000123.4577, 77),
      ...b,
    ]],
    ["another inode", [
      ...file("/h/sessions/2026/11/01/rollout-a.jsonl", 1234, 1764000000123.4567, 77 + 2 ** 32),
      ...b,
    ]],
    ["a renamed file", [
      ...file("/h/sessions/2026/11/01/rollout-c.jsonl", 1234, 1764000000123.4567, 77),
      ...b,
    ]],
    ["empty", []],
  ];
  const seen = new Set([base]);
  for (const [what, fed] of variants) {
    const digest = digestOf(fed);
    assert.ok(!seen.has(digest), `${what}: ${digest} seen before`);
    seen.add(digest);
  }
  // Where one text ends and the next begins counts.
  assert.notEqual(
    digestOf([{ text: "ab" }, { text: "c" }]),
    digestOf([{ text: "a" }, { text: "bc" }]),
  );
  assert.notEqual(digestOf([{ number: 0 }]), digestOf([{ text: "" }]));
  // Codes go in two to a step: the last of an odd text, and either of a pair, count alone.
  const texts = [
    "rollout-a.jsonl",
    "rollout-b.jsonl",
    "rollout-a.jsonm",
    "rollout-a.jsonl.",
    "xollout-a.jsonl",
  ];
  const digests = new Set(texts.map((text) => digestOf([{ text }])));
  assert.equal(digests.size, texts.length);
  assert.notEqual(digestOf([{ text: "\u0001\u0000" }]), digestOf([{ text: "\u0000\u0001" }]));
});

test("the scan digest spreads: 20,000 scans differing in one size each give 20,000 digests", () => {
  const digests = new Set<string>();
  for (let size = 0; size < 20_000; size++) {
    digests.add(digestOf(file("/h/sessions/rollout.jsonl", size, 1764000000000, 5)));
  }
  assert.equal(digests.size, 20_000);
});

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { githubReport, junitReport } from "../../lib/cli/commands/validate_report.ts";
import type { ValidationResult } from "../../lib/session/mod.ts";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { fixtureText, idOf } from "./fixtures.ts";

/** Paths and messages with everything the two formats must escape. */
const HOSTILE = "a%b,c:d\ne\r<x>&y]]>'\"\u0001\u001b\ud800z";

function result(over: Partial<ValidationResult>): ValidationResult {
  return {
    path: "/p.jsonl",
    ok: true,
    format: "journal",
    items: 1,
    errors: [],
    warnings: [],
    ...over,
  };
}

/**
 * Reads GitHub workflow commands back, per GitHub's own rules (an independent reader): the
 * command, its properties (split on `,`, then on the first `=`) and the message, unescaped.
 */
function parseCommands(
  text: string,
): { command: string; props: Record<string, string>; message: string }[] {
  const unescape = (s: string) =>
    s.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%3A", ":").replaceAll("%2C", ",")
      .replaceAll("%25", "%");
  return text.split("\n").filter((line) => line.startsWith("::")).map((line) => {
    const end = line.indexOf("::", 2);
    const [command, ...rest] = line.slice(2, end).split(" ");
    const props: Record<string, string> = {};
    for (const pair of rest.join(" ").split(",")) {
      const eq = pair.indexOf("=");
      props[pair.slice(0, eq)] = unescape(pair.slice(eq + 1));
    }
    return { command: command!, props, message: unescape(line.slice(end + 2)) };
  });
}

test("githubReport() writes one annotation per problem, escaped so each reads back exactly", () => {
  const text = githubReport([
    result({
      path: HOSTILE,
      ok: false,
      errors: [
        { line: 3, offset: 120, message: `bad: ${HOSTILE}` },
        { line: null, offset: null, message: "not a rollout" },
      ],
      warnings: [`warn ${HOSTILE}`],
    }),
    result({ path: "/ok.jsonl" }),
  ]);
  const lines = text.trimEnd().split("\n");
  // Three annotations (no raw newline splits one), then the summary.
  assert.equal(lines.length, 4);
  assert.equal(lines[3], "2 files: 1 valid, 1 invalid");
  assert.deepEqual(parseCommands(text), [
    {
      command: "error",
      props: { file: HOSTILE, line: "3", title: "rollout validate" },
      message: `line 3 (byte 120): bad: ${HOSTILE}`,
    },
    {
      command: "error",
      props: { file: HOSTILE, title: "rollout validate" },
      message: "not a rollout",
    },
    {
      command: "warning",
      props: { file: HOSTILE, title: "rollout validate" },
      message: `warn ${HOSTILE}`,
    },
  ]);
});

/**
 * A small XML 1.0 reader for the test (an independent check): every `<` opens a tag, every `&`
 * starts a known entity or character reference, no character XML forbids; returns the
 * elements with their attributes decoded, and the text of each element.
 */
function readXml(xml: string): { name: string; attrs: Record<string, string>; text: string }[] {
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(xml), "a character XML forbids");
  const decode = (s: string) => {
    assert.ok(!/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(s), `a raw & in ${JSON.stringify(s)}`);
    return s.replace(
      /&(amp|lt|gt|quot|apos|#\d+);/g,
      (_m, e: string) =>
        e.startsWith("#")
          ? String.fromCharCode(Number(e.slice(1)))
          : { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e]!,
    );
  };
  const out: { name: string; attrs: Record<string, string>; text: string }[] = [];
  const stack: number[] = [];
  const body = xml.replace(/^<\?xml [^>]*\?>\n/, "");
  const tag = /<(\/?)([A-Za-z-]+)((?:\s+[a-z]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g;
  let consumed = 0;
  for (const m of body.matchAll(tag)) {
    assert.equal(
      m.index,
      consumed,
      `not well-formed near ${JSON.stringify(body.slice(consumed, consumed + 40))}`,
    );
    consumed += m[0].length;
    if (m[5] !== undefined) {
      if (stack.length > 0) out[stack.at(-1)!]!.text += decode(m[5]);
      continue;
    }
    if (m[1] === "/") {
      assert.equal(out[stack.pop()!]!.name, m[2], "closing tag mismatch");
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3]!.matchAll(/([a-z]+)="([^"]*)"/g)) attrs[a[1]!] = decode(a[2]!);
    out.push({ name: m[2]!, attrs, text: "" });
    if (m[4] !== "/") stack.push(out.length - 1);
  }
  assert.equal(consumed, body.length);
  assert.deepEqual(stack, [], "unclosed elements");
  return out;
}

test("junitReport() is well-formed XML with one test case per file and each failure's lines", () => {
  const xml = junitReport([
    result({
      path: HOSTILE,
      ok: false,
      errors: [
        { line: 2, offset: 10, message: "not JSON" },
        { line: 7, offset: 99, message: `payload: ${HOSTILE}` },
      ],
      warnings: ["torn tail"],
    }),
    result({ path: "/ok.jsonl" }),
  ], 0.25);
  const elements = readXml(xml);
  const suite = elements.find((e) => e.name === "testsuite")!;
  assert.deepEqual(
    [suite.attrs.tests, suite.attrs.failures, suite.attrs.errors, suite.attrs.time],
    ["2", "1", "0", "0.250"],
  );
  const cases = elements.filter((e) => e.name === "testcase");
  // Characters XML cannot hold become U+FFFD; everything else reads back as it was.
  const shown = HOSTILE.replace("\u0001", "\ufffd").replace("\u001b", "\ufffd").replace(
    "\ud800",
    "\ufffd",
  );
  assert.deepEqual(cases.map((c) => c.attrs.name), [shown, "/ok.jsonl"]);
  const failure = elements.find((e) => e.name === "failure")!;
  assert.equal(failure.attrs.message, "line 2 (byte 10): not JSON");
  assert.equal(
    failure.text,
    `${shown} (journal, 1 items)\nline 2 (byte 10): not JSON\nline 7 (byte 99): payload: ${shown}`,
  );
  assert.equal(elements.find((e) => e.name === "system-out")!.text, "torn tail");
  assert.equal(elements.filter((e) => e.name === "failure").length, 1);
});

test("rollout validate --format github|junit on files named with newlines, commas, colons and %", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const good = path.join(dir, "ok, a:b %.jsonl");
    fs.writeFileSync(good, fixtureText("journal", idOf(1)));
    const bad = path.join(dir, "bad\nname <&>.jsonl");
    fs.writeFileSync(bad, fixtureText("journal", idOf(2)).replace('"ordinal":2', '"ordinal":"x"'));
    const github = await cli(["validate", dir, "--format", "github"]);
    assert.equal(github.code, 1);
    assert.deepEqual(
      parseCommands(github.stdout).map((c) => [c.command, c.props.file, c.props.line]),
      [
        ["error", bad, "3"],
      ],
    );
    assert.ok(github.stdout.endsWith("2 files: 1 valid, 1 invalid\n"));
    const report = path.join(dir, "reports", "junit.xml");
    const junit = await cli(["validate", dir, "--format", "junit", "-o", report]);
    assert.equal(junit.code, 1);
    assert.ok(junit.stdout.startsWith("INVALID  "), junit.stdout);
    const cases = readXml(fs.readFileSync(report, "utf8")).filter((e) => e.name === "testcase");
    assert.deepEqual(cases.map((c) => c.attrs.name), [bad, good]);
    assert.deepEqual(await cli(["validate", dir, "--json", "--format", "github"]), {
      code: 2,
      stdout: "",
      stderr:
        'rollout validate: use either "--json" or "--format", not both\nUsage: rollout validate PATH... [--json | --format text|github|junit] [-o FILE] [--strict] [--home DIR]\n',
    });
  } finally {
    cleanup();
  }
});

test("rollout validate -o writes any format's report to the file (replacing it), not to stdout", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "a.jsonl");
    fs.writeFileSync(file, fixtureText("journal", idOf(1)));
    const out = path.join(dir, "out", "report.json");
    fs.mkdirSync(path.dirname(out));
    fs.writeFileSync(out, "old");
    assert.deepEqual(await cli(["validate", file, "--json", "-o", out]), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assert.deepEqual(JSON.parse(fs.readFileSync(out, "utf8")).map((r: { ok: boolean }) => r.ok), [
      true,
    ]);
    const text = path.join(dir, "report.txt");
    assert.equal((await cli(["validate", file, "-o", text])).stdout, "");
    assert.equal(
      fs.readFileSync(text, "utf8"),
      `ok       ${file} (journal, 4 items)\n1 file: 1 valid, 0 invalid\n`,
    );
  } finally {
    cleanup();
  }
});

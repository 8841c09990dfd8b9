import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { HtmlTranscriptWriter } from "../../lib/transcript/html_transcript.ts";
import {
  htmlAttribute,
  htmlText,
  httpUrl,
  isImageDataUrl,
} from "../../lib/transcript/html_text.ts";
import { cli } from "../cli/cli_io.ts";
import { FORMATS, idOf, writeSession } from "../cli/fixtures.ts";
import { setup, tempDir } from "../helpers.ts";
import {
  call,
  conversation,
  hostileRollout,
  output,
  PNG,
  tokens,
  user,
  writeRollout,
} from "./session_fixtures.ts";

const META = { id: "019b0000-0000-7000-8000-0000000000a1", timestamp: "2026-11-26T10:00:00.000Z" };
const writer = () =>
  new HtmlTranscriptWriter({ path: "/x.jsonl", format: "journal", version: "0.1.0" });

/** Every tag name in `html`, opening or closing. */
function tagsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/<\/?([A-Za-z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));
}

test("htmlText() escapes markup and shows control and bidi characters; htmlAttribute() quotes", () => {
  assert.equal(htmlText("<b>&amp;</b> \"q\" 'a'"), "&lt;b&gt;&amp;amp;&lt;/b&gt; \"q\" 'a'");
  assert.equal(
    htmlText("a\x1b[2J\u202egnp.exe\tb\nc"),
    "a\u241b[2J\u27e8U+202E\u27e9gnp.exe\tb\nc",
  );
  assert.equal(htmlText("a\nb", { oneLine: true }), "a\u240ab");
  assert.equal(htmlAttribute(`x" onerror='y' <z>&`), "x&quot; onerror=&#39;y&#39; &lt;z&gt;&amp;");
});

test("isImageDataUrl() takes base64 raster images only; httpUrl() only absolute http(s)", () => {
  assert.equal(isImageDataUrl(PNG), true);
  assert.equal(isImageDataUrl("data:image/jpeg;base64,/9j/4AAQ"), true);
  for (
    const url of [
      "data:image/svg+xml;base64,PHN2Zz4=",
      "data:text/html;base64,PHNjcmlwdD4=",
      'data:image/png;base64,AAAA" onerror="x',
      "data:image/png,raw",
      "javascript:alert(1)",
      "https://example.com/a.png",
    ]
  ) assert.equal(isImageDataUrl(url), false, url);
  assert.equal(httpUrl("https://example.com/a b.png"), "https://example.com/a%20b.png");
  assert.equal(httpUrl('http://example.com/"x'), "http://example.com/%22x");
  for (
    const url of [
      "javascript:alert(1)",
      "JAVASCRIPT://x%0aalert(1)",
      "//evil.example",
      "file:///etc",
    ]
  ) {
    assert.equal(httpUrl(url), null, url);
  }
});

test("HtmlTranscriptWriter: the style and script are allowed by their hashes, and nothing else", () => {
  const w = writer();
  const html = w.header(META) + w.end({ state: {}, usage: null, damage: [] });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
  const hash = (text: string) => createHash("sha256").update(text).digest("base64");
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  assert.equal(
    csp,
    `default-src 'none'; script-src 'sha256-${hash(script)}'; style-src 'sha256-${
      hash(style)
    }'; img-src data:; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'`,
  );
  // The policy comes before anything it governs.
  assert.ok(html.indexOf("Content-Security-Policy") < html.indexOf("<style>"));
  assert.ok(html.indexOf("<meta charset") < 100);
});

test("export --to html of a hostile rollout writes no markup of its own text", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = hostileRollout(dir);
    const shown = await cli(["export", file, "--to", "html"]);
    assert.equal(shown.code, 0, shown.stderr);
    const allowed = [
      "a",
      "article",
      "b",
      "body",
      "button",
      "code",
      "dd",
      "details",
      "div",
      "dl",
      "dt",
      "footer",
      "h1",
      "h2",
      "head",
      "header",
      "html",
      "input",
      "main",
      "meta",
      "p",
      "script",
      "section",
      "span",
      "style",
      "summary",
      "table",
      "tbody",
      "td",
      "th",
      "thead",
      "title",
      "tr",
    ];
    assert.deepEqual([...tagsOf(shown.stdout)].filter((tag) => !allowed.includes(tag)), []);
    assert.equal(shown.stdout.match(/<script/g)!.length, 1);
    assert.equal(shown.stdout.match(/<meta /g)!.length, 6);
    // Every tag is ours: no event handler, no image, links only to items and http(s).
    const tags = shown.stdout.match(/<[A-Za-z][^<>]*>/g)!;
    assert.deepEqual(tags.filter((tag) => /\son\w+=/i.test(tag)), []);
    assert.deepEqual(tags.filter((tag) => tag.startsWith("<img")), []);
    assert.deepEqual(
      tags.filter((tag) => /\shref="(?!#i\d+"|https:\/\/evil\.example\/)/.test(tag)),
      [],
    );
    // No control or bidi character of the rollout reaches the page.
    // deno-lint-ignore no-control-regex
    const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    assert.doesNotMatch(shown.stdout, control);
  } finally {
    cleanup();
  }
});

test("HtmlTranscriptWriter names the stock prompt with its size in bytes, as show does", () => {
  const html = writer().header({ ...META, base_instructions: { text: "You are Codex. é" } });
  // 16 characters, 17 bytes of UTF-8.
  assert.ok(html.includes("<summary>base instructions: Codex's stock system prompt, 17 bytes"));
});

test("HtmlTranscriptWriter folds long outputs into <details> and cuts the conversation in chunks", () => {
  const w = writer();
  let html = w.header(META);
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join("\n");
  for (let i = 0; i < 60; i++) {
    html += w.entry({
      kind: "item",
      item: { type: "function_call_output", call_id: `c${i}`, output: lines },
    });
  }
  html += w.end({ state: {}, usage: null, damage: [] });
  assert.equal(html.match(/<section class="c">/g)!.length, 3); // 24 + 24 + 12 entries
  assert.equal(html.match(/<details><summary>88 more lines \(1 kB\)<\/summary>/g)!.length, 60);
  assert.ok(
    html.includes(
      `line 11\nline 12</div><details><summary>88 more lines (1 kB)</summary><div class="t k">line 13\n`,
    ),
  );
  // One long line: the rest of it folded.
  const one = writer();
  const long = one.entry({
    kind: "item",
    item: { type: "function_call_output", call_id: "c", output: "x".repeat(5000) },
  });
  assert.ok(
    long.includes(
      `${"x".repeat(1600)}</div><details><summary>the rest of the line (4 kB)</summary>`,
    ),
  );
  // A short output is not folded; a surrogate pair is never cut in two.
  const short = writer().entry({
    kind: "item",
    item: { type: "function_call_output", call_id: "c", output: "a\nb\n" },
  });
  assert.ok(short.includes(`<div class="t k">a\nb</div></article>`), short);
  const emoji = writer().entry({
    kind: "item",
    item: {
      type: "function_call_output",
      call_id: "c",
      output: `${"x".repeat(1599)}😀${"y".repeat(4000)}`,
    },
  });
  assert.ok(emoji.includes(`${"x".repeat(1599)}</div><details>`), emoji.slice(0, 2000));
});

test("export --to html: images inline as data URLs, usage from token counts, damage at the foot", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const { records } = conversation();
    const file = writeRollout(dir, "s.jsonl", [
      ...records,
      tokens(1500, 1000, 40, [2700, 1200, 120]), // re-sent totals: not counted again
      { type: "turn_context", payload: { model: "gpt-5-mini" } },
      tokens(100, 0, 10, [2800, 1200, 130]),
    ]);
    fs.appendFileSync(file, "not json\n");
    const shown = await cli(["export", file, "--to", "html"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stderr, /line 20 \(byte \d+\): not JSON/);
    const html = shown.stdout;
    assert.ok(html.includes(`<img src="${PNG}" alt="image" loading="lazy" decoding="async">`));
    assert.ok(
      html.includes(
        "<tr><td>gpt-5.1-codex</td><td>2</td><td>2,700</td><td>1,200</td><td>120</td><td>0</td><td>2,820</td></tr>" +
          "\n<tr><td>gpt-5-mini</td><td>1</td><td>100</td><td>0</td><td>10</td><td>0</td><td>110</td></tr>" +
          "\n<tr><td>all</td><td>3</td><td>2,800</td><td>1,200</td><td>130</td><td>0</td><td>2,930</td></tr>",
      ),
      html.slice(html.indexOf('<section id="usage">')),
    );
    assert.match(
      html,
      /<h2>Damage met while reading<\/h2><ul>\n<li>line 20 \(byte \d+\): not JSON<\/li>/,
    );
    assert.match(
      html,
      /── history compacted: the 6 item\(s\) above are replaced by 0; a resumed session continues from here ──/,
    );
    assert.match(html, /── rolled back 1 user turn\(s\): 2 item\(s\) above left the history ──/);
  } finally {
    cleanup();
  }
});

test("export --to html reads every format, to stdout and to a new file alike", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    for (const [n, format] of FORMATS.entries()) {
      const file = writeSession(dir, { id: idOf(n + 1), format });
      const shown = await cli(["export", file, "--to", "html"]);
      assert.equal(shown.code, 0, `${format}: ${shown.stderr}`);
      const main = shown.stdout.slice(shown.stdout.indexOf("<main"));
      const labels = [...main.matchAll(/<div class="h"><b>([^<]+)<\/b>/g)].map((m) => m[1]);
      assert.deepEqual(labels, ["user", "tool call", "tool output", "assistant"], format);
      const target = path.join(dir, `${format}.html`);
      const written = await cli(["export", file, "--to", "html", "-o", target]);
      assert.equal(written.code, 0, written.stderr);
      assert.equal(written.stdout, `Exported session ${idOf(n + 1)} to ${target}\n`);
      assert.equal(fs.readFileSync(target, "utf8"), shown.stdout);
      assert.equal(fs.statSync(target).mode & 0o777, 0o600);
      const again = await cli(["export", file, "--to", "html", "-o", target]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /the file exists/);
    }
  } finally {
    cleanup();
  }
});

test("export --to html writes a long session in pieces as it reads it", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const records = [];
    for (let t = 0; t < 400; t++) {
      records.push(
        user(`question ${t}`),
        call("shell", { n: t }, `c${t}`),
        output(`c${t}`, "o".repeat(8000)),
      );
    }
    const file = writeRollout(dir, "long.jsonl", records);
    const pieces: number[] = [];
    const { fakeIo } = await import("../cli/cli_io.ts");
    const fake = fakeIo();
    const io = {
      ...fake.io,
      stdout: {
        ...fake.io.stdout,
        write: (d: string | Uint8Array) => {
          pieces.push(typeof d === "string" ? d.length : d.byteLength);
          return Promise.resolve();
        },
      },
    };
    const { run } = await import("../../lib/cli/cli.ts");
    assert.equal(await run(["export", file, "--to", "html"], io), 0);
    assert.ok(pieces.length >= 4, `written in ${pieces.length} piece(s)`);
    assert.ok(Math.max(...pieces) < fs.statSync(file).size / 2, pieces.join(", "));
  } finally {
    cleanup();
  }
});

test("export --to html redacts secrets in the meta, items and instructions; --no-redact keeps them", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const secret = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    const file = writeRollout(dir, "secret.jsonl", [
      { type: "turn_context", payload: { user_instructions: `use ${secret}` } },
      user(`my token is ${secret}`),
      output("c1", `GITHUB_TOKEN=${secret}`),
    ], { instructions: `token ${secret}` });
    const shown = await cli(["export", file, "--to", "html"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(!shown.stdout.includes(secret));
    assert.equal(shown.stdout.match(/\[REDACTED:github\]/g)?.length, 4);
    assert.match(shown.stderr, /^rollout: note: redacted 4 secrets \(/m);
    const kept = await cli(["export", file, "--to", "html", "--no-redact"]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(kept.stdout.split(secret).length - 1, 4);
    assert.ok(!kept.stdout.includes("[REDACTED:"));
  } finally {
    cleanup();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  codeBlock,
  codeSpan,
  containedMarkdown,
  plainText,
} from "../../lib/transcript/markdown_text.ts";
import { cli } from "../cli/cli_io.ts";
import { setup, tempDir } from "../helpers.ts";
import { assistant, call, output, user, writeRollout } from "./session_fixtures.ts";

/**
 * The headings of a Markdown text that are outside code blocks, read with CommonMark's rules
 * for fences (4.5): an independent reader of what `export --to md` wrote.
 */
function headingsOutsideCode(markdown: string): string[] {
  const headings: string[] = [];
  let fence: { char: string; length: number } | null = null;
  for (const line of markdown.split("\n")) {
    const m = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence !== null) {
      if (
        m !== null && m[1]![0] === fence.char && m[1]!.length >= fence.length && m[2]!.trim() === ""
      ) {
        fence = null;
      }
    } else if (m !== null && !(m[1]![0] === "`" && m[2]!.includes("`"))) {
      fence = { char: m[1]![0]!, length: m[1]!.length };
    } else if (/^#{1,6} /.test(line)) headings.push(line);
  }
  assert.equal(fence, null, "every fence is closed");
  return headings;
}

test("codeBlock() fences with more backticks than any run inside", () => {
  assert.equal(codeBlock("a ``` b ```` c", "text"), "`````text\na ``` b ```` c\n`````");
  assert.equal(codeBlock("plain\n"), "```\nplain\n```");
  assert.equal(codeBlock("\x1b[31mred\x07"), "```\n\u241b[31mred\u2407\n```");
});

test("codeSpan() and plainText() keep one line and their content", () => {
  assert.equal(codeSpan("a`b"), "`` a`b ``");
  assert.equal(codeSpan("/tmp/a\n# FAKE"), "`/tmp/a\u240a# FAKE`");
  assert.equal(codeSpan(" x"), "`  x `");
  assert.equal(plainText("Tool *x* <b> [l](u) #"), "Tool \\*x\\* \\<b\\> \\[l\\](u) \\#");
  assert.equal(plainText("2026-11-26T12:06:44.547Z"), "2026-11-26T12:06:44.547Z");
});

test("containedMarkdown() closes the fences a message leaves open and keeps closed ones", () => {
  assert.equal(containedMarkdown("see:\n```js\nlet a = 1;"), "see:\n```js\nlet a = 1;\n```");
  // In a list item, at the fence's own indent: at column 0 it would end the item and open a
  // block that swallows the rest of the transcript.
  assert.equal(
    containedMarkdown("Steps:\n1. Install:\n   ```bash\n   npm install"),
    "Steps:\n1. Install:\n   ```bash\n   npm install\n   ```",
  );
  assert.equal(containedMarkdown("~~~~\n```\nstill code"), "~~~~\n```\nstill code\n~~~~");
  assert.equal(containedMarkdown("````\n```\n````\nafter"), "````\n```\n````\nafter");
  // A backtick line with a backtick in its info string opens no fence.
  assert.equal(containedMarkdown("``` a ` b\nx"), "``` a ` b\nx");
  // A closing fence needs as many characters, of the same kind, and nothing after them.
  assert.equal(containedMarkdown("````\n```\n~~~~\n```` x"), "````\n```\n~~~~\n```` x\n````");
});

test("containedMarkdown() shows the < of lines that would start an HTML block, outside code", () => {
  assert.equal(
    containedMarkdown("<!-- hide the rest\n<details>\n  <script>x</script>\na <b>\n    <pre>"),
    // "    <pre>" continues the paragraph above (indented code cannot interrupt one).
    "&lt;!-- hide the rest\n&lt;details>\n  &lt;script>x&lt;/script>\na &lt;b>\n    &lt;pre>",
  );
  assert.equal(containedMarkdown("```html\n<!--\n```"), "```html\n<!--\n```");
  assert.equal(containedMarkdown("a < b\n< c"), "a < b\n< c");
});

test("containedMarkdown() shows inline HTML as text, outside code spans and indented code", () => {
  assert.equal(
    containedMarkdown('see <img src=x onerror="alert(1)"> and <a href="javascript:x">y</a>'),
    'see &lt;img src=x onerror="alert(1)"> and &lt;a href="javascript:x">y&lt;/a>',
  );
  // Comments, declarations and processing instructions start inline HTML too; `a<b` with a
  // space or digit after the < does not.
  assert.equal(
    containedMarkdown("x <!-- y --> <!DOCTYPE z> <?php ?> 1 <2"),
    "x &lt;!-- y --> &lt;!DOCTYPE z> &lt;?php ?> 1 <2",
  );
  // In code spans the < is already text, and so is an escaped one.
  assert.equal(
    containedMarkdown("`<b>` and ``a ` <i>`` and \\<u>"),
    "`<b>` and ``a ` <i>`` and \\<u>",
  );
  // A backtick run with no closing run of its length opens no span.
  assert.equal(containedMarkdown("`` <b> `"), "`` &lt;b> `");
  // An autolink shows as text (its < escaped), a raw tag before a code span is escaped first.
  assert.equal(
    containedMarkdown('<https://e.com> <img title="`" src=x>`'),
    '&lt;https://e.com> &lt;img title="`" src=x>`',
  );
  // An indented code block after a blank line keeps its text, also past a blank line in it.
  assert.equal(
    containedMarkdown("code:\n\n    <b>\n\n    <i>\nafter <u>"),
    "code:\n\n    <b>\n\n    <i>\nafter &lt;u>",
  );
});

test("containedMarkdown() makes control characters and bidi overrides visible", () => {
  assert.equal(
    containedMarkdown("\x1b]52;c;ZXZpbA==\x07 \u202egnp.exe \x9b2J\r\n\tok"),
    "\u241b]52;c;ZXZpbA==\u2407 \u27e8U+202E\u27e9gnp.exe \ufffd2J\u240d\n\tok",
  );
});

test("export --to md: a message with an open fence or HTML comment does not swallow the rest", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeRollout(dir, "fences.jsonl", [
      user("Why does this fail?\n```ts\nconst a = `x`;\n"),
      assistant("<!-- a comment never closed\n~~~\nand a tilde fence"),
      call("shell", { command: ["echo", "```"] }, "call_1"),
      output("call_1", "````\n```\n"),
      assistant("Done."),
    ]);
    const md = await cli(["export", file, "--to", "md"]);
    assert.equal(md.code, 0, md.stderr);
    assert.deepEqual(headingsOutsideCode(md.stdout), [
      "# Session `019b0000-0000-7000-8000-0000000000a1`",
      "## Transcript",
      "### User",
      "### Assistant",
      "### Tool call: `shell` (`call_1`)",
      "### Tool output (`call_1`)",
      "### Assistant",
    ]);
    assert.match(md.stdout, /\n&lt;!-- a comment never closed\n/);
  } finally {
    cleanup();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { visible } from "../../lib/transcript/visible_text.ts";
import { cli } from "../cli/cli_io.ts";
import { setup, tempDir } from "../helpers.ts";

test("visible() shows control characters as symbols and keeps newlines unless oneLine", () => {
  assert.equal(visible("a\x1b[2Jb\x07\tc\nd\x7f\x9b"), "a\u241b[2Jb\u2407\tc\nd\u2421\ufffd");
  assert.equal(visible("a\nb\rc", { oneLine: true }), "a\u240ab\u240dc");
  assert.equal(visible("plain é 😀"), "plain é 😀");
});

test("rollout show and list never pass stored escape sequences to the terminal", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const created = await cli(["new", "--home", dir, "--json", "--cwd", "/tmp/a\nFAKE ROW"]);
    assert.equal(created.code, 0, created.stderr);
    const { path: file } = JSON.parse(created.stdout);
    const hostile = "\x1b]52;c;ZXZpbA==\x07\x1b[2Jcleared";
    const item = {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: hostile }],
    };
    const appended = await cli(["append", file, "--home", dir, "--item", JSON.stringify(item)]);
    assert.equal(appended.code, 0, appended.stderr);
    const shown = await cli(["show", file, "--home", dir], { stdoutTTY: true });
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(
      shown.stdout.includes("  \u241b]52;c;ZXZpbA==\u2407\u241b[2Jcleared\n"),
      shown.stdout,
    );
    assert.ok(!shown.stdout.includes("\x1b]"), "no OSC sequence reaches the terminal");
    const listed = await cli(["list", "--home", dir]);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2, listed.stdout);
    assert.ok(lines[1]!.includes("/tmp/a\u240aFAKE ROW"), listed.stdout);
    assert.ok(!listed.stdout.includes("\x1b"), "no escape reaches the terminal");
  } finally {
    cleanup();
  }
});

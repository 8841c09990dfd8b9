import assert from "node:assert/strict";
import { test } from "node:test";
import { visible } from "../../lib/base/visible_text.ts";
import { cli } from "../cli/cli_io.ts";
import { setup, tempDir } from "../helpers.ts";
import { item, writeRollout } from "./session_fixtures.ts";

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

test("visible() names bidi embeddings, overrides and isolates, and keeps other text", () => {
  assert.equal(
    visible("a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j"),
    "a⟨U+202A⟩b⟨U+202B⟩c⟨U+202C⟩d⟨U+202D⟩e⟨U+202E⟩f⟨U+2066⟩g⟨U+2067⟩h⟨U+2068⟩i⟨U+2069⟩j",
  );
  assert.equal(visible("שלום \u200f عربي"), "שלום \u200f عربي");
});

/** Control characters of a terminal: C0 but tab and newline, DEL, C1, bidi controls. */
// deno-lint-ignore no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A field's tag and every kind of control character. */
const evil = (field: string) =>
  `[${field}] \x1b]52;c;ZXZpbA==\x07\x1b[2J\x9b31m\u202egnp.exe\u2066\x00\x7f\r\nnext`;

test("rollout show and export --to md write no control character of the rollout, in any field", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const fields = [
      "cwd",
      "model",
      "forked from",
      "instructions",
      "user instructions",
      "developer instructions",
      "role",
      "text",
      "tool",
      "call id",
      "arguments",
      "custom input",
      "shell",
      "output id",
      "output",
      "web search",
      "reasoning",
      "unknown type",
      "previous response",
      "inherited from",
    ];
    const records = [
      {
        type: "turn_context",
        payload: {
          user_instructions: evil("user instructions"),
          developer_instructions: evil("developer instructions"),
        },
      },
      item({
        type: "message",
        role: evil("role"),
        content: [{ type: "input_text", text: evil("text") }],
      }),
      item({
        type: "function_call",
        name: evil("tool"),
        arguments: JSON.stringify({ a: evil("arguments") }),
        call_id: evil("call id"),
      }),
      item({
        type: "custom_tool_call",
        call_id: "c2",
        name: "apply_patch",
        input: evil("custom input"),
      }),
      item({
        type: "local_shell_call",
        call_id: "c3",
        status: "completed",
        action: { type: "exec", command: [evil("shell")] },
      }),
      item({ type: "function_call_output", call_id: evil("output id"), output: evil("output") }),
      item({ type: "web_search_call", action: { type: "search", query: evil("web search") } }),
      item({ type: "reasoning", summary: [{ type: "summary_text", text: evil("reasoning") }] }),
      item({ type: evil("unknown type") }),
      { type: "state", payload: { previous_response_id: evil("previous response") } },
    ];
    const file = writeRollout(dir, "controls.jsonl", records, {
      cwd: evil("cwd"),
      model: evil("model"),
      forked_from_id: evil("forked from"),
      instructions: evil("instructions"),
      history_mode: "paginated",
      history_base: {
        thread_id: evil("inherited from"),
        end_ordinal_exclusive: 1,
        end_byte_offset: 1,
      },
    }, { ordinal: 1 });
    for (const argv of [["show", file], ["export", file, "--to", "md"]]) {
      for (const stdoutTTY of [false, true]) {
        const shown = await cli(argv, { stdoutTTY });
        assert.equal(shown.code, 0, shown.stderr);
        // Our own colours are the only escape sequences.
        // deno-lint-ignore no-control-regex
        const text = shown.stdout.replace(/\x1b\[[0-9;]*m/g, "") + shown.stderr;
        assert.doesNotMatch(text, TERMINAL_CONTROL, `${argv.join(" ")}`);
        assert.ok(!shown.stdout.includes("\x1b]"), "no OSC sequence");
        for (const field of fields) {
          // Markdown holds the effective history, without Codex's turn_context instructions.
          if (argv[0] === "export" && field.endsWith(" instructions")) continue;
          const shownField = text.includes(`[${field}]`) || text.includes(`\\[${field}\\]`);
          assert.ok(shownField, `${argv.join(" ")} shows the ${field}`);
        }
      }
    }
  } finally {
    cleanup();
  }
});

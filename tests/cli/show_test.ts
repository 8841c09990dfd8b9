import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { fixtureText, FORMATS, idOf, ITEMS, T0, writeSession } from "./fixtures.ts";

const ID = idOf(1);

function transcript(file: string, format: string, extra = ""): string {
  return `Session ${ID}
  file        ${file} (${format})
  created     ${T0}
  cwd         /repo

instructions
  Be terse.

user
  list files

tool call shell [call_1]
  {"command":["ls"]}

tool output [call_1]
  a
  b

assistant
  Two files: a and b.
${extra}`;
}

test("rollout show prints a plain transcript when stdout is no terminal", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: ID });
    assert.deepEqual(await cli(["show", file], { stdoutTTY: false }), {
      code: 0,
      stdout: transcript(file, "journal", "\nprevious_response_id resp_42\n"),
      stderr: "",
    });
  } finally {
    cleanup();
  }
});

test("rollout show colours on a terminal and never with NO_COLOR", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: ID });
    const coloured = await cli(["show", file], { stdoutTTY: true });
    assert.equal(coloured.code, 0);
    const lines = coloured.stdout.split("\n");
    assert.equal(lines[0], `\x1b[1mSession ${ID}\x1b[0m`);
    assert.equal(lines[1], `\x1b[2m  file        \x1b[0m${file} (journal)`);
    assert.ok(lines.includes("\x1b[1;32muser\x1b[0m"));
    assert.ok(lines.includes("\x1b[33mtool call shell [call_1]\x1b[0m"));
    assert.ok(lines.includes("\x1b[1;36massistant\x1b[0m"));
    assert.equal(
      coloured.stdout.replace(new RegExp("\u001b\\[[0-9;]*m", "g"), ""),
      transcript(file, "journal", "\nprevious_response_id resp_42\n"),
    );
    const plain = await cli(["show", file], { stdoutTTY: true, env: { NO_COLOR: "1" } });
    assert.equal(plain.stdout, transcript(file, "journal", "\nprevious_response_id resp_42\n"));
  } finally {
    cleanup();
  }
});

test("rollout show reads all five formats and reports skipped records on stderr", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    for (const [n, format] of FORMATS.entries()) {
      const file = writeSession(dir, { id: idOf(n + 1), format });
      const result = await cli(["show", file]);
      assert.equal(result.code, 0, format);
      assert.ok(
        result.stdout.startsWith(`Session ${idOf(n + 1)}\n  file        ${file} (${format})\n`),
        format,
      );
      assert.ok(
        result.stdout.includes("\nuser\n  list files\n\ntool call shell [call_1]\n"),
        format,
      );
      assert.equal(
        result.stderr,
        "",
      );
    }
    const damaged = writeSession(dir, {
      id: idOf(9),
      text: fixtureText("journal", idOf(9)).replace('"ordinal":2', '"ordinal":"2"') + '{"torn',
    });
    const result = await cli(["show", damaged]);
    assert.equal(result.code, 0);
    const size = fs.statSync(damaged).size;
    const second = fixtureText("journal", idOf(9)).split("\n").slice(0, 2).join("\n").length + 1;
    assert.equal(
      result.stderr,
      `rollout: warning: "${damaged}": line 7 (byte ${
        size - 6
      }): torn tail of 6 byte(s) ignored\n` +
        `rollout: warning: "${damaged}": line 3 (byte ${second}): ordinal: expected number, got string\n`,
    );
    // The skipped line (the tool call) is absent; the readable items around it are shown.
    assert.ok(!result.stdout.includes("tool call shell"));
    assert.ok(result.stdout.includes("user\n  list files\n"), result.stdout);
    assert.ok(result.stdout.includes("tool output [call_1]\n  a\n  b\n"), result.stdout);
    assert.ok(result.stdout.includes("assistant\n  Two files: a and b.\n"), result.stdout);
  } finally {
    cleanup();
  }
});

test("rollout show folds long tool outputs to their head and tail", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`);
    const output = { type: "function_call_output", call_id: "c", output: lines.join("\n") };
    const text = fixtureText("journal", ID).split("\n")[0] + "\n" +
      JSON.stringify({ timestamp: T0, ordinal: 1, type: "response_item", payload: output }) + "\n";
    const file = writeSession(dir, { id: ID, text });
    const result = await cli(["show", file]);
    const body = result.stdout.slice(result.stdout.indexOf("tool output [c]"));
    assert.equal(
      body,
      "tool output [c]\n" + lines.slice(0, 12).map((l) => `  ${l}\n`).join("") +
        "  … 34 lines folded (rollout export shows everything) …\n" +
        lines.slice(-4).map((l) => `  ${l}\n`).join(""),
    );
  } finally {
    cleanup();
  }
});

test("rollout show folds a 10,000-line output to its head, the marker, then its real last lines", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const lines = Array.from({ length: 10_000 }, (_, i) => `row ${i} ${"x".repeat(i % 50)}`);
    const output = { type: "function_call_output", call_id: "c", output: lines.join("\n") };
    const text = fixtureText("journal", ID).split("\n")[0] + "\n" +
      JSON.stringify({ timestamp: T0, ordinal: 1, type: "response_item", payload: output }) + "\n";
    const file = writeSession(dir, { id: ID, text });
    const result = await cli(["show", file]);
    const body = result.stdout.slice(result.stdout.indexOf("tool output [c]")).trimEnd().split(
      "\n",
    );
    assert.deepEqual(body.slice(1, 13), lines.slice(0, 12).map((l) => `  ${l}`.trimEnd()));
    assert.equal(body[13], "  … 9984 lines folded (rollout export shows everything) …");
    assert.deepEqual(body.slice(14), lines.slice(-4).map((l) => `  ${l}`.trimEnd()));
    // One huge line is cut, and says so after it.
    const huge = { type: "function_call_output", call_id: "h", output: "y".repeat(10_000) };
    const one = fixtureText("journal", ID).split("\n")[0] + "\n" +
      JSON.stringify({ timestamp: T0, ordinal: 1, type: "response_item", payload: huge }) + "\n";
    const cutFile = writeSession(dir, { id: idOf(2), text: one });
    const shown = (await cli(["show", cutFile])).stdout;
    assert.ok(shown.includes(`  ${"y".repeat(4000)}\n  … 6000 more characters folded …\n`), shown);
  } finally {
    cleanup();
  }
});

test("rollout export --to md writes Markdown with fences that survive backticks", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: ID });
    assert.deepEqual(await cli(["export", file, "--to", "md"]), {
      code: 0,
      stdout: `# Session \`${ID}\`

- Created: ${T0}
- Working folder: \`/repo\`
- Items: 4
- Previous response: \`resp_42\`

## Instructions

\`\`\`text
Be terse.
\`\`\`

## Transcript

### User

list files

### Tool call: \`shell\` (\`call_1\`)

\`\`\`json
{
  "command": [
    "ls"
  ]
}
\`\`\`

### Tool output (\`call_1\`)

\`\`\`text
a
b
\`\`\`

### Assistant

Two files: a and b.
`,
      stderr: "",
    });
    const tricky = { type: "function_call_output", call_id: "c", output: "```\nend\n" };
    const text = fixtureText("journal", idOf(2)).split("\n")[0] + "\n" +
      JSON.stringify({ timestamp: T0, ordinal: 1, type: "response_item", payload: tricky }) + "\n";
    const md = await cli(["export", writeSession(dir, { id: idOf(2), text }), "--to", "md"]);
    assert.ok(md.stdout.endsWith("### Tool output (`c`)\n\n````text\n```\nend\n````\n"));
  } finally {
    cleanup();
  }
});

test("rollout export --to json|jsonl prints the SavedSession or the journal; -o never overwrites", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: ID, format: "codex_jsonl_2025" });
    const saved = {
      session: { id: ID, timestamp: T0, instructions: "Be terse." },
      items: ITEMS,
      state: { previous_response_id: "resp_42" },
    };
    const json = await cli(["export", file, "--to", "json"]);
    assert.deepEqual(json, { code: 0, stdout: `${JSON.stringify(saved, null, 2)}\n`, stderr: "" });
    // Lossless and Codex-ready (SPEC §6): the meta kept and filled in, each record stamped with
    // the only time the 2025 format has (the meta's), messages mirrored, the state unnumbered.
    const jsonl = await cli(["export", file, "--to", "jsonl"], { cwd: dir });
    const env = (ordinal: number | null, type: string, payload: unknown) =>
      JSON.stringify({ timestamp: T0, ...(ordinal === null ? {} : { ordinal }), type, payload }) +
      "\n";
    const meta = {
      ...saved.session,
      git: null,
      cwd: dir,
      originator: "rollout",
      cli_version: "0.1.0",
      source: "cli",
      history_mode: "paginated",
    };
    assert.equal(
      jsonl.stdout,
      env(0, "session_meta", meta) +
        env(1, "response_item", ITEMS[0]) +
        env(2, "event_msg", {
          type: "user_message",
          message: "list files",
          images: [],
          local_images: [],
          text_elements: [],
        }) +
        env(3, "response_item", ITEMS[1]) +
        env(4, "response_item", ITEMS[2]) +
        env(5, "response_item", ITEMS[3]) +
        env(6, "event_msg", {
          type: "agent_message",
          message: "Two files: a and b.",
          phase: null,
          memory_citation: null,
        }) +
        env(null, "state", saved.state),
    );
    const out = `${dir}/out.md`;
    assert.deepEqual(await cli(["export", file, "--to", "md", "-o", "out.md"], { cwd: dir }), {
      code: 0,
      stdout: `Exported session ${ID} to ${out}\n`,
      stderr: "",
    });
    assert.ok(fs.readFileSync(out, "utf8").startsWith(`# Session \`${ID}\`\n`));
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    assert.deepEqual(await cli(["export", file, "--to", "md", "-o", out]), {
      code: 1,
      stdout: "",
      stderr: `rollout: Cannot write "${out}": the file exists\n`,
    });
    // Missing folders are created, 0700, as convert -o does.
    const nested = `${dir}/new/sub/x.md`;
    assert.equal((await cli(["export", file, "--to", "md", "-o", nested])).code, 0);
    assert.equal(fs.statSync(`${dir}/new`).mode & 0o777, 0o700);
    assert.equal(fs.statSync(`${dir}/new/sub`).mode & 0o777, 0o700);
    assert.ok(fs.readFileSync(nested, "utf8").startsWith(`# Session \`${ID}\`\n`));
    const copy = `${dir}/copy.jsonl`;
    assert.equal((await cli(["export", file, "--to", "jsonl", "--output", copy])).code, 0);
    const back = JSON.parse((await cli(["load", copy])).stdout);
    assert.deepEqual(back.items, ITEMS);
    assert.deepEqual(back.state, saved.state);
  } finally {
    cleanup();
  }
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { runScript } from "../proto/fake_io.ts";
import {
  ASSISTANT,
  CALL,
  fixtureText,
  FORMATS,
  idOf,
  ITEMS,
  OUTPUT,
  T0,
  USER,
  writeSession,
} from "./fixtures.ts";

const META = { id: idOf(1), timestamp: T0, instructions: "Be terse.", cwd: "/repo" };

/** A journal session holding only its meta line. */
function metaOnlyJournal(dir: string): string {
  return writeSession(dir, {
    id: idOf(1),
    text: fixtureText("journal", idOf(1)).split("\n")[0] + "\n",
  });
}

test("rollout append records --item flags and stdin lines, then load returns them", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = metaOnlyJournal(dir);
    const a = await cli([
      "append",
      idOf(1),
      "--home",
      dir,
      "--item",
      JSON.stringify(USER),
      "--item",
      JSON.stringify(CALL),
    ]);
    assert.deepEqual(a, {
      code: 0,
      stdout: `Appended 2 items to session ${idOf(1)} (2 in all)\n`,
      stderr: "",
    });
    const stdin = `${JSON.stringify(OUTPUT)}\n\n${
      JSON.stringify({ type: "reasoning", summary: [] })
    }\r\n${JSON.stringify(ASSISTANT)}`;
    const b = await cli(["append", "--last", "--home", dir], { stdin });
    assert.deepEqual(b, {
      code: 0,
      stdout: `Appended 2 items to session ${idOf(1)} (4 in all); not persisted: reasoning\n`,
      stderr: "",
    });
    const loaded = await cli(["load", file]);
    assert.deepEqual(JSON.parse(loaded.stdout), {
      session: { ...META, history_mode: "paginated" },
      items: ITEMS,
      state: {},
    });
    assert.equal(fs.existsSync(`${file}.lock`), false);
  } finally {
    cleanup();
  }
});

test("rollout append stops at a bad line, naming it, and keeps the items before it", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = metaOnlyJournal(dir);
    const stdin = `${JSON.stringify(USER)}\n{oops\n${JSON.stringify(CALL)}\n`;
    assert.deepEqual(await cli(["append", file], { stdin }), {
      code: 1,
      stdout: "",
      stderr:
        `rollout: Cannot append to "${file}": stdin line 2 is not JSON (1 earlier item recorded)\n`,
    });
    const bad = JSON.stringify({ ...CALL, call_id: 7 });
    assert.deepEqual(await cli(["append", file], { stdin: `${bad}\n` }), {
      code: 1,
      stdout: "",
      stderr:
        `rollout: Cannot append to "${file}": stdin line 1: item.call_id: expected string, got number (0 earlier items recorded)\n`,
    });
    assert.deepEqual(await cli(["append", file, "--item", "[1]"]), {
      code: 1,
      stdout: "",
      stderr: "rollout: --item 1: item: expected an object, got array\n",
    });
    assert.deepEqual(JSON.parse((await cli(["load", file])).stdout).items, [USER]);
  } finally {
    cleanup();
  }
});

test("rollout state sets and clears previous_response_id in every writable format", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    for (const [n, format] of FORMATS.entries()) {
      const file = writeSession(dir, { id: idOf(n + 1), format });
      const set = await cli(["state", file, "--previous-response-id", "resp_77"]);
      assert.deepEqual(set, {
        code: 0,
        stdout: `Set previous_response_id of session ${idOf(n + 1)} to resp_77\n`,
        stderr: "",
      }, format);
      assert.deepEqual(JSON.parse((await cli(["load", file])).stdout).state, {
        previous_response_id: "resp_77",
      });
      const clear = await cli(["state", idOf(n + 1), "--home", dir, "--clear"]);
      assert.equal(clear.stdout, `Cleared previous_response_id of session ${idOf(n + 1)}\n`);
      const after = JSON.parse((await cli(["load", file])).stdout);
      assert.deepEqual(after.state, {}, format);
      assert.deepEqual(after.items, ITEMS, format);
    }
  } finally {
    cleanup();
  }
});

test("a FIFO, a device or a folder is refused before anything is opened: no hang, no lock left", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const fifo = path.join(dir, "f.jsonl");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const item = JSON.stringify(CALL);
    for (
      const [target, what] of [
        [fifo, "a FIFO (named pipe)"],
        ["/dev/null", "a device"],
        [dir, "a folder"],
      ] as const
    ) {
      const want = `rollout: Cannot write rollout "${target}": it is ${what}, not a rollout file\n`;
      for (const args of [["append", target, "--item", item], ["state", target, "--clear"]]) {
        assert.deepEqual(await cli(args), { code: 1, stdout: "", stderr: want }, args.join(" "));
      }
    }
    // The op stream answers, and goes on.
    const { events } = await runScript(
      [
        '{"id":"1","op":{"type":"configure_session"}}\n',
        `{"id":"2","op":{"type":"load_session","path":${JSON.stringify(fifo)}}}\n`,
        '{"id":"3","op":{"type":"flush"}}\n',
      ],
      { home: dir },
    );
    assert.deepEqual(events[1]!.msg, {
      type: "error",
      code: "invalid_rollout",
      message: `Cannot write rollout "${fifo}": it is a FIFO (named pipe), not a rollout file`,
    });
    assert.equal(events[2]!.msg.type, "flushed");
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith(".lock")), []);
  } finally {
    cleanup();
  }
});

test("rollout append makes a rollout it appends to private (0600), as Codex's are not", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: idOf(1) });
    fs.chmodSync(file, 0o644);
    const item = '{"type":"message","role":"user","content":[{"type":"input_text","text":"x"}]}';
    const result = await cli(["append", file, "--item", item, "--home", dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  } finally {
    cleanup();
  }
});

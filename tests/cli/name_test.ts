import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { idOf, writeSession } from "./fixtures.ts";

const A = idOf(1);
const B = idOf(2);

function withHome(body: (home: string, index: string) => Promise<void>) {
  return async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      await body(dir, `${dir}/session_index.jsonl`);
    } finally {
      cleanup();
    }
  };
}

test(
  "rollout name titles, renames, shows and clears a session's title",
  withHome(async (home, index) => {
    writeSession(home, { id: A, mtime: 1_700_000_000 });
    writeSession(home, { id: B, mtime: 1_700_000_100, stamp: "2026-11-26T11-15-29" });
    const name = (...argv: string[]) => cli(["name", ...argv, "--home", home]);
    assert.deepEqual(await name(A, "  Fix the flaky test "), {
      code: 0,
      stdout: `Titled session ${A} "Fix the flaky test"\n`,
      stderr: "",
    });
    // The title itself names the session from now on.
    assert.deepEqual(await name("Fix the flaky test", "Port to Bun"), {
      code: 0,
      stdout: `Renamed session ${A} from "Fix the flaky test" to "Port to Bun"\n`,
      stderr: "",
    });
    assert.deepEqual(await name("--last", "Other"), {
      code: 0,
      stdout: `Titled session ${B} "Other"\n`,
      stderr: "",
    });
    assert.deepEqual(await name("Port to Bun"), {
      code: 0,
      stdout: `Session ${A} is titled "Port to Bun"\n`,
      stderr: "",
    });
    const lines = fs.readFileSync(index, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.id, l.thread_name]), [
      [A, "Fix the flaky test"],
      [A, "Port to Bun"],
      [B, "Other"],
    ]);
    assert.match(lines[0].updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(await name("Port to Bun", "--clear"), {
      code: 0,
      stdout: `Removed the title "Port to Bun" of session ${A} (2 entries from ${index})\n`,
      stderr: "",
    });
    assert.deepEqual(await name(A, "--clear"), {
      code: 0,
      stdout: `Session ${A} has no title to remove\n`,
      stderr: "",
    });
    assert.deepEqual(await name(A), { code: 0, stdout: `Session ${A} has no title\n`, stderr: "" });
    assert.deepEqual(fs.readFileSync(index, "utf8").trimEnd().split("\n").length, 1);
  }),
);

test(
  "rollout name refuses a title that is not one line (exit 1) and bad arguments (exit 2)",
  withHome(async (home, index) => {
    writeSession(home, { id: A });
    const name = (...argv: string[]) => cli(["name", ...argv, "--home", home]);
    assert.deepEqual(await name(A, "two\nlines"), {
      code: 1,
      stdout: "",
      stderr:
        'rollout: Cannot use the title "two\\nlines": it holds U+000A, and a title is one line of text without control characters\n',
    });
    assert.deepEqual(await name(A, "\u001b[31mred"), {
      code: 1,
      stdout: "",
      stderr:
        'rollout: Cannot use the title "\\u001b[31mred": it holds U+001B, and a title is one line of text without control characters\n',
    });
    assert.equal((await name(A, " ")).stderr, "rollout: Cannot use an empty title\n");
    assert.equal(fs.existsSync(index), false);
    const usage = "Usage: rollout name SESSION [TITLE | --clear] [--home DIR]\n";
    assert.deepEqual(await name(A, "t", "--clear"), {
      code: 2,
      stdout: "",
      stderr: `rollout name: give TITLE or --clear, not both\n${usage}`,
    });
    assert.deepEqual(await name("--last", A, "t"), {
      code: 2,
      stdout: "",
      stderr: `rollout name: give SESSION or --last, not both\n${usage}`,
    });
    assert.deepEqual(await name(), {
      code: 2,
      stdout: "",
      stderr:
        `rollout name: missing SESSION (a path, an id, an id prefix, a title or --last)\n${usage}`,
    });
    assert.deepEqual(await name(A, "a", "b"), {
      code: 2,
      stdout: "",
      stderr: `rollout name: unexpected argument "b"\n${usage}`,
    });
  }),
);

test(
  "rollout name warns about damaged lines of the index and shows no control character",
  withHome(async (home, index) => {
    writeSession(home, { id: A });
    const evil = JSON.stringify({ id: A, thread_name: "evil\u001b]0;x\u0007", updated_at: "x" });
    const complete = `not json\n${evil}\n`;
    fs.writeFileSync(index, `${complete}{"id":`);
    const result = await cli(["name", A, "Clean", "--home", home]);
    assert.deepEqual(result, {
      code: 0,
      stdout: `Renamed session ${A} from "evil␛]0;x␇" to "Clean"\n`,
      stderr: `rollout: warning: "${index}": line 1: not JSON (ignored)\n` +
        `rollout: warning: "${index}": line 3 (byte ${
          Buffer.byteLength(complete)
        }): torn tail of 6 byte(s) (an unfinished write), ignored\n`,
    });
    assert.equal((await cli(["load", "Clean", "--home", home])).code, 0);
  }),
);

test(
  "list and search see titles of a session_index.jsonl rewritten in place, longer or the same size",
  withHome(async (dir, index) => {
    writeSession(dir, { id: A });
    writeSession(dir, { id: B, stamp: "2026-11-26T11-15-29" });
    const entry = (id: string, name: string) =>
      `${JSON.stringify({ id, thread_name: name, updated_at: "2026-11-26T12:00:00Z" })}\n`;
    const titles = async () =>
      Object.fromEntries(
        (JSON.parse((await cli(["list", "--home", dir, "--json"])).stdout) as {
          id: string;
          title: string | null;
        }[]).map((s) => [s.id, s.title]),
      );
    fs.writeFileSync(index, entry(A, "old title of A"));
    assert.deepEqual(await titles(), { [A]: "old title of A", [B]: null });
    const ino = fs.statSync(index).ino;
    // An editor writes the file anew in place: the same inode, longer.
    fs.writeFileSync(index, entry(B, "a rather longer title of B"));
    assert.equal(fs.statSync(index).ino, ino);
    assert.deepEqual(await titles(), { [A]: null, [B]: "a rather longer title of B" });
    // The same size again.
    fs.writeFileSync(index, entry(B, "a rather longer title of C"));
    assert.deepEqual(await titles(), { [A]: null, [B]: "a rather longer title of C" });
    const found = await cli(["search", "rather", "--home", dir, "--json"]);
    assert.deepEqual(
      (JSON.parse(found.stdout) as { title: string }[]).map((h) => h.title),
      ["a rather longer title of C"],
    );
  }),
);

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { CALL, FORMATS, idOf, ITEMS, T0, USER, writeSession } from "./fixtures.ts";

async function load(file: string): Promise<Record<string, unknown>> {
  const result = await cli(["load", file]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test("rollout convert round trips every format through the journal and the document", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    for (const [n, format] of FORMATS.entries()) {
      const source = writeSession(dir, { id: idOf(n + 1), format });
      const original = await load(source) as { session: Record<string, unknown> };
      const journal = `${dir}/${format}.jsonl`;
      const first = await cli(["convert", source, "--to", "jsonl", "-o", journal], { cwd: dir });
      assert.equal(first.code, 0, first.stderr);
      // What Codex requires and the source lacks is filled in and named (SPEC §6).
      const defaults: Record<string, unknown> = {
        cwd: dir,
        originator: "rollout",
        cli_version: "0.1.0",
        source: "cli",
      };
      const missing = Object.keys(defaults).filter((key) => original.session[key] === undefined);
      const named = missing.map((key) => (key === "cwd" ? `cwd (${dir})` : key));
      assert.equal(
        first.stdout,
        `Converted ${source} (${format}) to ${journal} (journal, 4 items)\n` +
          (named.length === 0 ? "" : `Filled in for Codex: ${named.join(", ")}\n`),
      );
      const expected = {
        ...original,
        session: {
          ...original.session,
          ...Object.fromEntries(missing.map((key) => [key, defaults[key]])),
          history_mode: "paginated",
        },
      };
      assert.deepEqual(await load(journal), expected, format);
      const doc = `${dir}/${format}.json`;
      assert.equal((await cli(["convert", journal, "--to", "json", "--output", doc])).code, 0);
      assert.deepEqual(await load(doc), expected, format);
      assert.equal(fs.statSync(doc).mode & 0o777, 0o600);
    }
  } finally {
    cleanup();
  }
});

test("rollout convert writes beside the source by default and never overwrites", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const source = writeSession(dir, { id: idOf(1) });
    const target = source.replace(/\.jsonl$/, ".json");
    assert.deepEqual(await cli(["convert", idOf(1), "--home", dir, "--to", "json"]), {
      code: 0,
      stdout: `Converted ${source} (journal) to ${target} (document, 4 items)\n`,
      stderr: "",
    });
    const before = fs.readFileSync(target, "utf8");
    assert.deepEqual(await cli(["convert", source, "--to", "json"]), {
      code: 1,
      stdout: "",
      stderr: `rollout: Cannot write "${target}": the file exists\n`,
    });
    assert.equal(fs.readFileSync(target, "utf8"), before);
    // Both files hold the same session: its id names both, never silently one.
    assert.deepEqual(await cli(["show", idOf(1), "--home", dir]), {
      code: 1,
      stdout: "",
      stderr: `rollout: Session "${
        idOf(1)
      }" is kept in 2 files; name the one you mean by its path:\n  ${
        [source, target].sort().join("\n  ")
      }\n`,
    });
    // Listed twice, told apart by their formats.
    const listed = JSON.parse((await cli(["list", "--json", "--home", dir])).stdout);
    assert.deepEqual(
      listed.map((s: { id: string; format: string }) => [s.id, s.format]).sort(),
      [[idOf(1), "document"], [idOf(1), "journal"]],
    );
  } finally {
    cleanup();
  }
});

test("rollout fork copies the first N items into a new session naming its parent", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const parent = writeSession(dir, { id: idOf(1) });
    const result = await cli(["fork", parent, "--at", "2", "--json", "--home", dir]);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout);
    assert.deepEqual(Object.keys(printed), ["session_id", "path"]);
    assert.notEqual(printed.session_id, idOf(1));
    const child = await load(printed.path) as { session: Record<string, unknown> };
    assert.deepEqual(child, {
      session: {
        id: printed.session_id,
        timestamp: child.session.timestamp,
        instructions: "Be terse.",
        cwd: "/repo",
        history_mode: "paginated",
        forked_from_id: idOf(1),
        originator: "rollout",
        cli_version: "0.1.0",
        source: "cli",
      },
      items: [USER, CALL],
      state: {},
    });
    assert.notEqual(child.session.timestamp, T0);
    const whole = await cli(["fork", idOf(1), "--home", dir, "--format", "json"]);
    const [line1, line2, line3] = whole.stdout.split("\n");
    assert.equal(line1, `Forked session ${idOf(1)} at item 4 of 4`);
    assert.match(line2!, /^Created session [0-9a-f-]{36}$/);
    const copy = await load(line3!);
    assert.deepEqual(copy.items, ITEMS);
    assert.deepEqual(copy.state, { previous_response_id: "resp_42" });
    assert.ok(line3!.endsWith(".json"));
    assert.deepEqual(await cli(["fork", parent, "--at", "9"]), {
      code: 1,
      stdout: "",
      stderr: `rollout: Cannot fork "${parent}" at item 9: it has only 4 items\n`,
    });
    // The boundaries: --at the item count is the whole session, one more is refused, --at 0
    // is an empty session that still names its parent.
    const atCount = await cli(["fork", parent, "--at", "4", "--json", "--home", dir]);
    assert.equal(atCount.code, 0, atCount.stderr);
    const all = await load(JSON.parse(atCount.stdout).path);
    assert.deepEqual(all.items, ITEMS);
    assert.deepEqual(all.state, { previous_response_id: "resp_42" });
    assert.deepEqual(await cli(["fork", parent, "--at", "5"]), {
      code: 1,
      stdout: "",
      stderr: `rollout: Cannot fork "${parent}" at item 5: it has only 4 items\n`,
    });
    const atZero = await cli(["fork", parent, "--at", "0", "--json", "--home", dir]);
    assert.equal(atZero.code, 0, atZero.stderr);
    const empty = await load(JSON.parse(atZero.stdout).path) as {
      session: Record<string, unknown>;
      items: unknown[];
      state: unknown;
    };
    assert.deepEqual(empty.items, []);
    assert.deepEqual(empty.state, {});
    assert.equal(empty.session.forked_from_id, idOf(1));
  } finally {
    cleanup();
  }
});

test("rollout fork gives the new session its own session_id and names only a UUID parent", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // A Codex parent that carries its own session_id and the id it had before a conversion.
    const parent = `${dir}/parent.jsonl`;
    const meta = {
      id: idOf(1),
      session_id: idOf(1),
      legacy_id: "old-id",
      timestamp: T0,
      cwd: "/repo",
      originator: "codex_cli_rs",
      cli_version: "0.99.0",
      source: "cli",
      history_mode: "paginated",
    };
    const lines = [
      { timestamp: T0, ordinal: 0, type: "session_meta", payload: meta },
      { timestamp: T0, ordinal: 1, type: "response_item", payload: USER },
    ];
    fs.writeFileSync(parent, lines.map((l) => JSON.stringify(l) + "\n").join(""));
    const fork = await cli(["fork", parent, "--at", "1", "--json", "--home", dir]);
    assert.equal(fork.code, 0, fork.stderr);
    const { session_id: id, path } = JSON.parse(fork.stdout);
    const child = JSON.parse(fs.readFileSync(path, "utf8").split("\n")[0]!).payload;
    assert.equal(child.id, id);
    assert.equal(child.forked_from_id, idOf(1));
    // Codex reads a missing session_id as the thread's own id.
    assert.equal(child.session_id, undefined);
    assert.equal(child.legacy_id, undefined);
    assert.deepEqual([child.originator, child.cli_version], ["rollout", "0.1.0"]);
    // A parent whose id is no UUID (Codex's 2025 format) is not named where Codex reads a
    // thread id, and the command says so, with what it filled in.
    const old = `${dir}/old.jsonl`;
    fs.writeFileSync(
      old,
      [{ id: "test-session-789", timestamp: T0 }, USER].map((l) => JSON.stringify(l) + "\n").join(
        "",
      ),
    );
    const plain = await cli(["fork", old, "--at", "1", "--home", dir], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    const [, , made, filled, note] = plain.stdout.split("\n");
    assert.equal(filled, `Filled in for Codex: cwd (${dir}), source`);
    assert.equal(
      note,
      'Parent not named in forked_from_id: its id "test-session-789" is no UUID, which Codex requires there',
    );
    const orphan = JSON.parse(fs.readFileSync(made!, "utf8").split("\n")[0]!).payload;
    assert.equal(orphan.forked_from_id, undefined);
    assert.match(
      orphan.id,
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  } finally {
    cleanup();
  }
});

test("rollout convert --to json of a document says there is nothing to do", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const source = writeSession(dir, { id: idOf(1), format: "document" });
    assert.deepEqual(await cli(["convert", source, "--to", "json", "-o", `${dir}/copy.json`]), {
      code: 1,
      stdout: "",
      stderr: `rollout: Cannot convert "${source}": it is already a document; nothing to do\n`,
    });
    assert.equal(fs.existsSync(`${dir}/copy.json`), false);
  } finally {
    cleanup();
  }
});

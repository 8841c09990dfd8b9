import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { setup, tempDir } from "../helpers.ts";
import { cli, normalise } from "./cli_io.ts";
import { fixtureText, FORMATS, idOf, ITEMS, T0, writeSession } from "./fixtures.ts";

const META = { id: idOf(1), timestamp: T0, instructions: "Be terse.", cwd: "/repo" };

test("rollout new creates an empty journal and prints its id and path", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const text = await cli(["new", "--home", dir, "--instructions", "Be terse.", "--cwd", "/repo"]);
    assert.deepEqual({ ...text, stdout: normalise(text.stdout, dir) }, {
      code: 0,
      stdout: "Created session <id>\n$DIR/sessions/<date>/rollout-<time>-<id>.jsonl\n",
      stderr: "",
    });
    const [, file] = text.stdout.trim().split("\n");
    const loaded = await cli(["load", file!]);
    const saved = JSON.parse(loaded.stdout);
    assert.deepEqual(saved.items, []);
    assert.deepEqual(saved.state, {});
    assert.deepEqual(Object.keys(saved.session), [
      "id",
      "timestamp",
      "instructions",
      "cwd",
      "originator",
      "cli_version",
      "source",
      "history_mode",
    ]);
    assert.equal(saved.session.history_mode, "paginated");
    assert.equal(saved.session.instructions, "Be terse.");
    assert.equal(saved.session.cwd, "/repo");

    const json = await cli(["new", "--home", dir, "--format", "json", "--json"], { cwd: "/tmp" });
    assert.equal(json.code, 0);
    const printed = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(printed), ["session_id", "path"]);
    assert.match(printed.path, /\.json$/);
    const doc = JSON.parse(fs.readFileSync(printed.path, "utf8"));
    assert.deepEqual(doc.items, []);
    assert.equal(doc.session.id, printed.session_id);
    assert.equal(doc.session.cwd, "/tmp");
    assert.equal(fs.statSync(printed.path).mode & 0o777, 0o600);
  } finally {
    cleanup();
  }
});

test("rollout new takes its home from $CODEX_HOME, else ~/.codex", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const a = await cli(["new", "--json"], {
      env: { CODEX_HOME: `${dir}/codex`, HOME: `${dir}/u` },
    });
    assert.ok(JSON.parse(a.stdout).path.startsWith(`${dir}/codex/sessions/`));
    const b = await cli(["new", "--json"], { env: { HOME: `${dir}/u` } });
    assert.ok(JSON.parse(b.stdout).path.startsWith(`${dir}/u/.codex/sessions/`));
  } finally {
    cleanup();
  }
});

test("rollout load prints the SavedSession of each of the five formats", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    for (const [n, format] of FORMATS.entries()) {
      const id = idOf(n + 1);
      const file = writeSession(dir, { id, format });
      const result = await cli(["load", file]);
      assert.equal(result.code, 0);
      const expected = {
        journal: {
          session: { ...META, id, history_mode: "paginated" },
          state: { previous_response_id: "resp_42" },
        },
        codex_envelope: {
          session: {
            id,
            timestamp: T0,
            cwd: "/repo",
            originator: "codex_cli_rs",
            cli_version: "0.60.0",
            // Codex's stock prompt stays where it is (SPEC §6).
            base_instructions: { text: "Be terse." },
          },
          state: {},
        },
        document: { session: { ...META, id }, state: { previous_response_id: "resp_42" } },
        codex_ts_document: { session: { id, timestamp: T0, instructions: "Be terse." }, state: {} },
        codex_jsonl_2025: {
          session: { id, timestamp: T0, instructions: "Be terse." },
          state: { previous_response_id: "resp_42" },
        },
      }[format];
      const printed = JSON.parse(result.stdout);
      assert.equal(result.stdout, `${JSON.stringify(printed, null, 2)}\n`);
      assert.deepEqual(
        printed,
        { session: expected.session, items: ITEMS, state: expected.state },
        format,
      );
    }
  } finally {
    cleanup();
  }
});

test("rollout load reports damage on stderr and fails clearly on a non-rollout", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, {
      id: idOf(1),
      text: fixtureText("journal", idOf(1)) + '{"torn',
    });
    const result = await cli(["load", file]);
    assert.equal(result.code, 0);
    assert.equal(
      result.stderr,
      `rollout: warning: "${file}": line 7 (byte ${
        fs.statSync(file).size - 6
      }): torn tail of 6 byte(s) ignored\n`,
    );
    fs.writeFileSync(`${dir}/x.jsonl`, "hello\n");
    assert.deepEqual(await cli(["load", "x.jsonl"], { cwd: dir }), {
      code: 1,
      stdout: "",
      stderr:
        `rollout: Cannot load rollout "${dir}/x.jsonl": not a rollout (line 1 is not a JSON object)\n`,
    });
  } finally {
    cleanup();
  }
});

test("SESSION resolves a full id, a unique prefix, --last; ambiguity lists candidates", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const a = writeSession(dir, {
      id: "019abc00-0000-7000-8000-0000000000a1",
      mtime: 1_700_000_000,
    });
    const b = writeSession(dir, {
      id: "019abc00-0000-7000-8000-0000000000b2",
      mtime: 1_700_000_100,
    });
    const loadId = async (spec: string[]) => {
      const r = await cli(["load", ...spec, "--home", dir]);
      return r.code === 0 ? JSON.parse(r.stdout).session.id : r;
    };
    assert.equal(
      await loadId(["019abc00-0000-7000-8000-0000000000a1"]),
      "019abc00-0000-7000-8000-0000000000a1",
    );
    assert.equal(
      await loadId(["019ABC00-0000-7000-8000-0000000000B"]),
      "019abc00-0000-7000-8000-0000000000b2",
    );
    assert.equal(await loadId(["--last"]), "019abc00-0000-7000-8000-0000000000b2");
    fs.utimesSync(a, 1_700_000_200, 1_700_000_200);
    assert.equal(await loadId(["--last"]), "019abc00-0000-7000-8000-0000000000a1");
    assert.deepEqual(await loadId(["019abc"]), {
      code: 1,
      stdout: "",
      stderr: `rollout: Session id prefix "019abc" is ambiguous: 2 sessions match:\n` +
        `  019abc00-0000-7000-8000-0000000000a1  ${a}\n` +
        `  019abc00-0000-7000-8000-0000000000b2  ${b}\n`,
    });
    assert.deepEqual(await loadId(["019abd"]), {
      code: 1,
      stdout: "",
      stderr:
        `rollout: Cannot find session "019abd": no session id starts with it in "${dir}/sessions"\n`,
    });
  } finally {
    cleanup();
  }
});

test("SESSION never lets a crafted id reach outside the home", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    writeSession(dir, { id: idOf(1) });
    fs.mkdirSync(`${dir}/outside`);
    fs.writeFileSync(`${dir}/outside/secret.jsonl`, fixtureText("journal", idOf(9)));
    const home = `${dir}/home`;
    fs.cpSync(`${dir}/sessions`, `${home}/sessions`, { recursive: true });
    const cwd = "/";
    for (
      const spec of [
        "../outside/secret",
        "..%2Foutside",
        "*",
        "019abc00-0000-7000-8000-000000000009",
      ]
    ) {
      const r = await cli(["load", spec, "--home", home], { cwd });
      assert.equal(r.code, 1, spec);
      assert.equal(r.stdout, "", spec);
    }
    assert.equal(
      (await cli(["load", "../outside/secret", "--home", home], { cwd })).stderr,
      'rollout: Cannot find session "../outside/secret": no such file\n',
    );
    assert.equal(
      (await cli(["load", "*", "--home", home], { cwd })).stderr,
      'rollout: Cannot find session "*": not a file, a session id, an id prefix or a session title\n',
    );
    assert.deepEqual(await cli(["load", "--last", "--home", `${dir}/empty`]), {
      code: 1,
      stdout: "",
      stderr: `rollout: No sessions in "${dir}/empty/sessions"\n`,
    });
  } finally {
    cleanup();
  }
});

test("without HOME and CODEX_HOME the home is the user's from the password database, never ./.codex", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const local = writeSession(path.join(dir, ".codex"), { id: idOf(5) });
    const listed = await cli(["list", "--json"], { cwd: dir, env: {} });
    const home = path.join(os.userInfo().homedir, ".codex");
    if (!fs.existsSync(home)) {
      // A machine whose user has no Codex home: that home is named, ./.codex is not used.
      assert.equal(listed.code, 1, listed.stdout);
      assert.ok(listed.stderr.includes(`No home at "${home}"`), listed.stderr);
      return;
    }
    assert.equal(listed.code, 0, listed.stderr);
    const paths = JSON.parse(listed.stdout).map((s: { path: string }) => s.path);
    assert.ok(!paths.includes(local), "a session of ./.codex was listed");
    assert.ok(
      paths.every((p: string) => p.startsWith(path.join(os.userInfo().homedir, ".codex"))),
      paths.join("\n"),
    );
  } finally {
    cleanup();
  }
});

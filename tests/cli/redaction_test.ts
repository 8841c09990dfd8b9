import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { SecretMaker } from "../redaction/secret_samples.ts";
import { setup, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { idOf, T0, writeSession } from "./fixtures.ts";

const make = new SecretMaker(31);
const GITHUB = `gh${"p"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
const NPM = `np${"m"}_${make.chars("abcdefABCDEF0123456789", 36)}`;
const AKIA = `AK${"IA"}${make.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}`;
const PASSWORD = "hunter22";
const SECRETS = [GITHUB, NPM, AKIA, PASSWORD];
const ID = idOf(40);

const USER = {
  type: "message",
  role: "user",
  content: [{ type: "input_text", text: `deploy with ${GITHUB}` }],
};
const CALL = {
  type: "function_call",
  name: "shell",
  arguments: JSON.stringify({ command: ["bash", "-lc", `export NPM_TOKEN=${NPM}`] }),
  call_id: "call_1",
};
const OUTPUT = {
  type: "function_call_output",
  call_id: "call_1",
  output: `password=${PASSWORD}\n`,
};

/** A journal holding secrets in items, in a record of a type nobody knows, and none in others. */
function secretJournal(): string {
  const line = (ordinal: number | null, type: string, payload: unknown, ms: number) =>
    JSON.stringify({
      timestamp: `2026-11-26T11:15:${String(29 + ms).padStart(2, "0")}.000Z`,
      ...(ordinal === null ? {} : { ordinal }),
      type,
      payload,
    }) + "\n";
  const meta = { id: ID, timestamp: T0, instructions: "Be terse.", cwd: "/repo" };
  return line(0, "session_meta", { ...meta, history_mode: "paginated" }, 0) +
    line(1, "response_item", USER, 1) +
    line(2, "response_item", CALL, 2) +
    line(3, "response_item", OUTPUT, 3) +
    line(4, "world_state", { note: `key ${AKIA}`, n: 1.5 }, 4) +
    line(5, "response_item", { type: "message", role: "assistant", content: [] }, 5) +
    line(null, "state", { previous_response_id: "resp_42" }, 6);
}

function holdsNoSecret(text: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `"${secret}" is in ${text}`);
}

const NOTE =
  "rollout: note: redacted 3 secrets (github 1, npm 1, secret_assignment 1); --no-redact keeps them\n";

test("rollout show redacts secrets by default, says how many by rule, and --no-redact keeps them", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: ID, text: secretJournal() });
    const shown = await cli(["show", file]);
    assert.equal(shown.code, 0);
    holdsNoSecret(shown.stdout);
    assert.ok(shown.stdout.includes("deploy with [REDACTED:github]"));
    assert.ok(shown.stdout.includes("password=[REDACTED:secret_assignment]"));
    assert.equal(shown.stderr, NOTE);
    const raw = await cli(["show", file, "--no-redact"]);
    assert.equal(raw.stderr, "");
    assert.ok(raw.stdout.includes(`deploy with ${GITHUB}`));
    assert.equal(raw.stdout.replaceAll(GITHUB, "[REDACTED:github]").includes(NPM), true);
  } finally {
    cleanup();
  }
});

test("rollout show searches a long output's shown lines for secrets, not the lines it folds away", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    // 100 lines: the 12 first and the 4 last are shown; a secret on line 1 and one on line 50.
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    lines[0] = `token in use: ${GITHUB}`;
    lines[49] = `export NPM_TOKEN=${NPM}`;
    const long = { ...OUTPUT, output: lines.join("\n") };
    const text = secretJournal().replace(JSON.stringify(OUTPUT), JSON.stringify(long));
    const file = writeSession(dir, { id: ID, text });
    const shown = await cli(["show", file]);
    assert.equal(shown.code, 0, shown.stderr);
    holdsNoSecret(shown.stdout);
    assert.ok(shown.stdout.includes("token in use: [REDACTED:github]"), shown.stdout);
    assert.ok(shown.stdout.includes("84 lines folded"), shown.stdout);
    // The folded secret is neither shown nor counted; the user message's is.
    assert.equal(
      shown.stderr,
      "rollout: note: redacted 3 secrets (github 2, npm 1); --no-redact keeps them\n",
    );
    // export shows every line, and redacts and counts them all.
    const md = await cli(["export", file, "--to", "md"]);
    holdsNoSecret(md.stdout);
    assert.ok(md.stdout.includes("export NPM_TOKEN=[REDACTED:npm]"));
    assert.equal(
      md.stderr,
      "rollout: note: redacted 4 secrets (github 2, npm 2); --no-redact keeps them\n",
    );
  } finally {
    cleanup();
  }
});

test("rollout export redacts md, json and jsonl by default, to stdout and to a file", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const file = writeSession(dir, { id: ID, text: secretJournal() });
    for (const to of ["md", "json", "jsonl"]) {
      const out = await cli(["export", file, "--to", to]);
      assert.equal(out.code, 0, to);
      holdsNoSecret(out.stdout);
      assert.ok(out.stdout.includes("[REDACTED:github]"), to);
      // The line copy keeps every record: the unknown one too, redacted.
      const expected = to === "jsonl"
        ? NOTE.replace("3 secrets (github 1,", "4 secrets (aws_access_key_id 1, github 1,")
        : NOTE;
      assert.equal(out.stderr, expected, to);
      const raw = await cli(["export", file, "--to", to, "--no-redact"]);
      assert.equal(raw.stderr, "", to);
      assert.ok(raw.stdout.includes(GITHUB), to);
    }
    const jsonl = (await cli(["export", file, "--to", "jsonl"])).stdout.split("\n");
    assert.deepEqual(JSON.parse(jsonl.find((l) => l.includes("world_state"))!).payload, {
      note: "key [REDACTED:aws_access_key_id]",
      n: 1.5,
    });
    for (const to of ["md", "json", "jsonl"]) {
      const target = path.join(dir, `out.${to}`);
      const out = await cli(["export", file, "--to", to, "-o", target]);
      assert.equal(out.code, 0, to);
      assert.equal(out.stdout, `Exported session ${ID} to ${target}\n`);
      holdsNoSecret(fs.readFileSync(target, "utf8"));
    }
  } finally {
    cleanup();
  }
});

test("rollout new --redact marks the session, and append then redacts before writing", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const made = await cli(["new", "--redact", "--home", dir, "--cwd", "/repo", "--json"]);
    assert.equal(made.code, 0);
    const { session_id: id, path: file } = JSON.parse(made.stdout) as {
      session_id: string;
      path: string;
    };
    const meta = JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0]!).payload;
    assert.equal(meta.rollout_redact, true);
    const appended = await cli(["append", file, "--item", JSON.stringify(USER)]);
    assert.deepEqual(appended, {
      code: 0,
      stdout: `Appended 1 item to session ${id} (1 in all); redacted 1 secret (github 1)\n`,
      stderr: "",
    });
    const text = fs.readFileSync(file, "utf8");
    holdsNoSecret(text);
    // The item and the event Codex reads beside it are both redacted.
    assert.equal(text.split("[REDACTED:github]").length - 1, 2);
    // Without the mark nothing is redacted when recorded.
    const plain = JSON.parse((await cli(["new", "--home", dir, "--json"])).stdout).path;
    await cli(["append", plain, "--item", JSON.stringify(USER)]);
    assert.ok(fs.readFileSync(plain, "utf8").includes(GITHUB));
  } finally {
    cleanup();
  }
});

/** The files beside `file` that keep an original. */
function kept(file: string): string[] {
  return fs.readdirSync(path.dirname(file))
    .filter((name) => name.startsWith(`${path.basename(file)}.unredacted-`))
    .map((name) => path.join(path.dirname(file), name));
}

test("rollout redact rewrites a session without its secrets and keeps the original 0600", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const original = secretJournal();
    const file = writeSession(dir, { id: ID, text: original });
    const out = await cli(["redact", file]);
    const [keptFile, ...more] = kept(file);
    assert.deepEqual(more, []);
    assert.deepEqual(out, {
      code: 0,
      stdout: `Redacted 4 secrets in ${file} (journal, 7 records), 4 records changed:
  aws_access_key_id  1
  github             1
  npm                1
  secret_assignment  1
The original is kept as ${keptFile} (it holds the secrets: delete it when done)
`,
      stderr: "",
    });
    assert.equal(fs.readFileSync(keptFile!, "utf8"), original);
    assert.equal(fs.statSync(keptFile!).mode & 0o777, 0o600);
    const before = original.split("\n");
    const after = fs.readFileSync(file, "utf8").split("\n");
    holdsNoSecret(after.join("\n"));
    assert.equal(after.length, before.length);
    for (let i = 0; i < before.length; i++) {
      if (!SECRETS.some((s) => before[i]!.includes(s))) {
        assert.equal(after[i], before[i], `line ${i + 1} is kept byte for byte`);
        continue;
      }
      // Timestamps, ordinals, types and every field but the secret's string stay.
      const [was, now] = [JSON.parse(before[i]!), JSON.parse(after[i]!)];
      assert.deepEqual(Object.keys(now), Object.keys(was));
      assert.equal(now.timestamp, was.timestamp);
      assert.equal(now.ordinal, was.ordinal);
      assert.equal(now.type, was.type);
    }
    assert.equal((await cli(["validate", file])).code, 0);
    // The kept original is no session of its own: list shows the one session, and validate
    // of the folder passes over it (it is neither checked nor "not checked").
    const listed = JSON.parse((await cli(["list", "--home", dir, "--json"])).stdout) as unknown[];
    assert.equal(listed.length, 1);
    const validated = await cli(["validate", path.dirname(file)]);
    assert.equal(validated.code, 0);
    assert.ok(!validated.stdout.includes(".unredacted-"), validated.stdout);
    // Redacting again finds nothing and changes nothing.
    assert.deepEqual(await cli(["redact", file]), {
      code: 0,
      stdout: `No secrets found in ${file} (journal, 7 records); nothing changed\n`,
      stderr: "",
    });
    assert.equal(kept(file).length, 1);
  } finally {
    cleanup();
  }
});

test("rollout redact --dry-run only counts, --no-keep keeps no original, --json reports", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const original = secretJournal();
    const file = writeSession(dir, { id: ID, text: original });
    const dry = await cli(["redact", file, "--dry-run"]);
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /^Would redact 4 secrets in .*, 4 records to change:\n/);
    assert.match(dry.stdout, /\nNothing was changed \(--dry-run\)\n$/);
    assert.equal(fs.readFileSync(file, "utf8"), original);
    assert.deepEqual(kept(file), []);
    const json = await cli(["redact", file, "--no-keep", "--json"]);
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), {
      path: file,
      format: "journal",
      dry_run: false,
      secrets: { github: 1, npm: 1, secret_assignment: 1, aws_access_key_id: 1 },
      total: 4,
      records: 7,
      changed: 4,
      original: null,
      held_by: null,
      restored_from: null,
    });
    assert.deepEqual(kept(file), []);
    holdsNoSecret(fs.readFileSync(file, "utf8"));
  } finally {
    cleanup();
  }
});

test("rollout redact keeps a file's CRLF line ends and byte order mark", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const original = secretJournal();
    const crlf = "\ufeff" + original.replaceAll("\n", "\r\n");
    const file = writeSession(dir, { id: ID, text: crlf });
    const run = await cli(["redact", file, "--no-keep"]);
    assert.equal(run.code, 0, run.stderr);
    const plain = await cli([
      "redact",
      writeSession(dir, { id: idOf(41), text: original }),
      "--no-keep",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    const redacted = fs.readFileSync(file, "utf8");
    holdsNoSecret(redacted);
    assert.ok(redacted.startsWith("\ufeff"));
    // Line by line what redacting the same lines with LF ends gives, each with its CRLF.
    const expected = fs.readFileSync(
      `${dir}/sessions/2026/11/26/${
        fs.readdirSync(`${dir}/sessions/2026/11/26`).find((n) => n.includes(idOf(41)))
      }`,
      "utf8",
    );
    assert.equal(redacted, "\ufeff" + expected.replaceAll("\n", "\r\n"));
  } finally {
    cleanup();
  }
});

test("rollout redact counts an archive's secrets as it reads it, and restores it to rewrite", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const original = secretJournal();
    const file = writeSession(dir, { id: ID, text: original });
    const clean = writeSession(dir, { id: idOf(41) });
    for (const session of [file, clean]) {
      assert.equal((await cli(["archive", session, "--home", dir])).code, 0);
    }
    const packed = `${file}.zst`;
    const packedBytes = fs.readFileSync(packed);
    const dry = await cli(["redact", packed, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /^Would redact 4 secrets in .*\.jsonl\.zst .*, 4 records to change:\n/,
    );
    assert.deepEqual(fs.readFileSync(packed), packedBytes);
    assert.equal(fs.existsSync(file), false);
    // An archive with no secret stays one.
    const none = await cli(["redact", `${clean}.zst`]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^No secrets found in /);
    assert.equal(fs.existsSync(`${clean}.zst`), true);
    assert.equal(fs.existsSync(clean), false);
    // By its id too: restored, then rewritten, the original kept.
    const run = await cli(["redact", ID, "--home", dir, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual([report.path, report.restored_from, report.total], [file, packed, 4]);
    assert.equal(fs.existsSync(packed), false);
    holdsNoSecret(fs.readFileSync(file, "utf8"));
    assert.equal(fs.readFileSync(report.original, "utf8"), original);
  } finally {
    cleanup();
  }
});

test("rollout redact rewrites a document, and refuses a session held by a writer", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const doc = writeSession(dir, {
      id: idOf(41),
      format: "document",
      text: `${
        JSON.stringify(
          {
            session: { id: idOf(41), timestamp: T0 },
            items: [USER, CALL, OUTPUT],
            state: {},
          },
          null,
          2,
        )
      }\n`,
    });
    const out = await cli(["redact", doc, "--no-keep"]);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /^Redacted 3 secrets in .* \(document, 1 record\), 1 record changed:/);
    holdsNoSecret(fs.readFileSync(doc, "utf8"));
    assert.equal((await cli(["validate", doc])).code, 0);

    const file = writeSession(dir, { id: ID, text: secretJournal() });
    const { recorder } = await RolloutRecorder.resume(file);
    try {
      assert.deepEqual(await cli(["redact", file]), {
        code: 1,
        stdout: "",
        stderr:
          `rollout: Cannot redact "${file}": a writer holds it (process ${process.pid}); run redact once that session is closed\n`,
      });
      const dry = await cli(["redact", file, "--dry-run"]);
      assert.match(
        dry.stdout,
        new RegExp(`A writer holds the session \\(process ${process.pid}\\)`),
      );
    } finally {
      await recorder.close();
    }
    assert.ok(fs.readFileSync(file, "utf8").includes(GITHUB), "the held session was not changed");
    assert.deepEqual(kept(file), []);
  } finally {
    cleanup();
  }
});

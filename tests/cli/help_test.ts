import assert from "node:assert/strict";
import { test } from "node:test";
import { cli } from "./cli_io.ts";

const LIST_HELP =
  `Usage: rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]

List sessions, newest first.

Read through the session index (<home>/rollout/index.sqlite), which is brought up
to date first: only files that changed since the last time are read. The index is a cache:
deleting it loses nothing. ITEMS counts the response items stored in each file; rollout load
gives the effective history (after Codex's compactions and rollbacks).

Options:
  --home DIR        the home folder (default: $CODEX_HOME, else ~/.codex)
  --from URL        read the fleet store (PostgreSQL) at URL instead of the home: every
                    machine's sessions (--from '' takes $ROLLOUT_DATABASE_URL)
  --machine NAME    with --from: only the sessions of machine NAME
  --limit N         at most N sessions
  --cwd DIR         only sessions recorded in DIR
  --no-redact       show secrets in titles and first messages as they are (replaced by default)
  --json            print [{"id","title","path","created","updated","cwd","items","preview",
                    "format","size"}]
`;

test("run() prints the version for --version and -V", async () => {
  assert.deepEqual(await cli(["--version"]), { code: 0, stdout: "rollout 0.1.0\n", stderr: "" });
  assert.deepEqual(await cli(["-V"]), { code: 0, stdout: "rollout 0.1.0\n", stderr: "" });
});

test("run() --help lists every command's usage line and summary", async () => {
  const result = await cli(["--help"]);
  assert.equal(result.code, 0);
  assert.equal(result.stderr, "");
  const lines = result.stdout.split("\n");
  assert.deepEqual(lines.slice(0, 4), [
    "rollout 0.1.0: durable session recording for AI agents",
    "",
    "Usage:",
    "  rollout proto [--home DIR] [--format jsonl|json] [--no-fsync] [--max-line-bytes N] [--redact]",
  ]);
  for (
    const name of [
      "proto",
      "new",
      "append",
      "state",
      "load",
      "show",
      "export",
      "validate",
      "list",
      "search",
      "du",
      "usage",
      "convert",
      "fork",
      "repair",
    ]
  ) {
    assert.ok(
      lines.includes(`  rollout ${name}`) || lines.some((l) => l.startsWith(`  rollout ${name} `)),
      name,
    );
    assert.ok(lines.some((l) => l.startsWith(`  ${name.padEnd(9)} `)), name);
  }
  assert.ok(lines.includes("  rollout --version | --help | help COMMAND"));
  assert.equal(lines.at(-2), "Exit status: 0 success, 1 failure, 2 usage error.");
  assert.deepEqual(await cli(["help"]), result);
});

test("run() without arguments prints the overview on stderr and exits 2", async () => {
  const result = await cli([]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, (await cli(["--help"])).stdout);
});

test("run() help COMMAND and COMMAND --help print the command's help", async () => {
  assert.deepEqual(await cli(["help", "list"]), { code: 0, stdout: LIST_HELP, stderr: "" });
  assert.deepEqual(await cli(["list", "--help"]), { code: 0, stdout: LIST_HELP, stderr: "" });
  assert.deepEqual(await cli(["list", "--bogus", "-h"]), {
    code: 0,
    stdout: LIST_HELP,
    stderr: "",
  });
});

test("run() proto --help says what --no-fsync trades away", async () => {
  const result = await cli(["help", "proto"]);
  assert.equal(result.code, 0);
  assert.match(
    result.stdout,
    /--no-fsync +acknowledge without syncing to disk: faster, and the data survives a\n +crash of the process but NOT a crash of the machine or a power loss\n/,
  );
});

test("run() rejects unknown commands and help topics with exit 2", async () => {
  assert.deepEqual(await cli(["bogus"]), {
    code: 2,
    stdout: "",
    stderr: 'rollout: unknown command "bogus"\nRun "rollout --help" for the list of commands.\n',
  });
  assert.deepEqual(await cli(["help", "bogus"]), {
    code: 2,
    stdout: "",
    stderr: 'rollout help: unknown command "bogus"\nUsage: rollout help COMMAND\n',
  });
});

test("run() usage errors print the message and the usage line and exit 2", async () => {
  const cases: [string[], string][] = [
    [
      ["list", "--bogus"],
      'rollout list: unknown option "--bogus"\nUsage: rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["list", "--limit", "x"],
      'rollout list: option "--limit" needs a whole number, got "x"\nUsage: rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["list", "extra"],
      'rollout list: unexpected argument "extra"\nUsage: rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["list", "--json=yes"],
      'rollout list: option "--json" takes no value\nUsage: rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["export", "x", "--to"],
      'rollout export: option "--to" needs a value\nUsage: rollout export SESSION --to md|html|json|jsonl [-o FILE] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["export", "x"],
      'rollout export: missing option "--to md|html|json|jsonl"\nUsage: rollout export SESSION --to md|html|json|jsonl [-o FILE] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["export", "x", "--to", "pdf"],
      'rollout export: option "--to" must be "md" or "html" or "json" or "jsonl", got "pdf"\nUsage: rollout export SESSION --to md|html|json|jsonl [-o FILE] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["show"],
      "rollout show: missing SESSION (a path, an id, an id prefix or --last)\nUsage: rollout show SESSION [--at N] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n",
    ],
    [
      ["show", "abc", "--last"],
      "rollout show: give SESSION or --last, not both\nUsage: rollout show SESSION [--at N] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n",
    ],
    [
      ["validate"],
      "rollout validate: missing PATH\nUsage: rollout validate PATH... [--json | --format text|github|junit] [-o FILE] [--strict] [--home DIR]\n",
    ],
    [
      ["state", "abc"],
      'rollout state: give exactly one of "--previous-response-id ID" and "--clear"\nUsage: rollout state SESSION (--previous-response-id ID | --clear) [--home DIR]\n',
    ],
    [
      ["state", "abc", "--clear", "--previous-response-id", "r"],
      'rollout state: give exactly one of "--previous-response-id ID" and "--clear"\nUsage: rollout state SESSION (--previous-response-id ID | --clear) [--home DIR]\n',
    ],
    [
      ["new", "--format", "xml"],
      'rollout new: option "--format" must be "jsonl" or "json", got "xml"\nUsage: rollout new [--home DIR] [--format jsonl|json] [--instructions TEXT] [--cwd DIR] [--redact] [--json]\n',
    ],
    [
      ["proto", "--max-line-bytes", "-1"],
      'rollout proto: option "--max-line-bytes" cannot be negative, got "-1"\nUsage: rollout proto [--home DIR] [--format jsonl|json] [--no-fsync] [--max-line-bytes N] [--redact]\n',
    ],
    [
      ["repair"],
      "rollout repair: missing PATH\nUsage: rollout repair PATH [--home DIR]\n",
    ],
    [
      ["new", "--home", ""],
      'rollout new: option "--home" needs a folder, got ""\nUsage: rollout new [--home DIR] [--format jsonl|json] [--instructions TEXT] [--cwd DIR] [--redact] [--json]\n',
    ],
    [
      ["new", "--cwd", ""],
      'rollout new: option "--cwd" needs a folder, got ""\nUsage: rollout new [--home DIR] [--format jsonl|json] [--instructions TEXT] [--cwd DIR] [--redact] [--json]\n',
    ],
    [
      ["list", "--limit", "0"],
      'rollout list: option "--limit" must be at least 1, got "0"\nUsage: rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]\n',
    ],
    [
      ["new", "--cwd", "--json"],
      'rollout new: option "--cwd" needs a value, got the option "--json" (write --cwd=VALUE for a value that starts with "-")\nUsage: rollout new [--home DIR] [--format jsonl|json] [--instructions TEXT] [--cwd DIR] [--redact] [--json]\n',
    ],
    [
      ["state", "abc", "--previous-response-id", "--clear"],
      'rollout state: option "--previous-response-id" needs a value, got the option "--clear" (write --previous-response-id=VALUE for a value that starts with "-")\nUsage: rollout state SESSION (--previous-response-id ID | --clear) [--home DIR]\n',
    ],
  ];
  for (const [argv, stderr] of cases) {
    assert.deepEqual(await cli(argv, { env: { HOME: "/nonexistent" } }), {
      code: 2,
      stdout: "",
      stderr,
    }, argv.join(" "));
  }
});

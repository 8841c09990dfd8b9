/**
 * The team set-up of docs/fleet.md, done as it says against a real PostgreSQL: an admin role
 * owning the schema makes the tables, a writer role pushes (new months' partitions included),
 * a reader role reads with `--from` and may not push. A grant the document forgot, or a step
 * `rollout` needs that it does not list, fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { setup, skipReason, tempDir } from "../helpers.ts";
import { cli } from "../cli/cli_io.ts";
import { idOf, writeSession } from "../cli/fixtures.ts";
import { pgAvailable, type PgCluster, startCluster } from "./pg_cluster.ts";

const skip = skipReason(
  "tests/fleet/roles_test.ts",
  !pgAvailable() && "PostgreSQL is not installed",
);
const DOC = path.resolve(import.meta.dirname ?? ".", "../../docs/fleet.md");

let cluster: PgCluster | undefined;

before(async () => {
  if (skip === false) cluster = await startCluster();
});

after(async () => {
  await cluster?.destroy();
});

/** The SQL blocks of docs/fleet.md's set-up, in order. */
function setupBlocks(): string[] {
  const text = fs.readFileSync(DOC, "utf8");
  const part = text.slice(text.indexOf("## Setting it up"), text.indexOf("## What sync promises"));
  return [...part.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/^ {3}/gm, ""));
}

/** `url` with the user and password given. */
function as(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}

test(
  "the roles of docs/fleet.md: the admin makes the tables, the writer pushes, the reader reads",
  {
    skip,
  },
  async () => {
    await setup();
    const db = await cluster!.createDatabase("team_roles");
    const [first = "", grants = ""] = setupBlocks();
    assert.ok(first.includes("CREATE ROLE rollout_writer") && grants.includes("GRANT"));
    // The document's passwords are '...': each role gets its own here.
    const roles = first.replace(/^CREATE DATABASE.*\n|^\\c .*\n/gm, "")
      .replace(
        /CREATE ROLE (\w+) LOGIN PASSWORD '\.\.\.'/g,
        "CREATE ROLE $1 LOGIN PASSWORD '$1-pw'",
      );
    cluster!.psql(db, roles);
    const admin = as(db, "rollout_admin", "rollout_admin-pw");
    const writer = as(db, "rollout_writer", "rollout_writer-pw");
    const reader = as(db, "rollout_reader", "rollout_reader-pw");
    const empty = tempDir();
    const home = tempDir();
    try {
      const made = await cli(["sync", "--to", admin, "--home", empty.dir, "--machine", "admin"]);
      assert.equal(made.code, 0, made.stderr);
      cluster!.psql(db, grants);
      // The writer pushes sessions of two months: the second month's partition is made for it.
      const a = idOf(1);
      const b = idOf(2);
      writeSession(home.dir, { id: a, format: "journal" });
      writeSession(home.dir, { id: b, format: "codex_envelope", stamp: "2025-03-04T05-06-07" });
      const pushed = await cli(["sync", "--to", writer, "--home", home.dir, "--machine", "laptop"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.match(pushed.stdout, /2 read/);
      const months = cluster!.psql(
        db,
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'rollout.records'::regclass",
      ).trim();
      assert.equal(Number(months), 2, `partitions of rollout.records: ${months}`);
      // The reader reads every command's way; its answers name both sessions.
      const listed = await cli(["list", "--from", reader, "--json"]);
      assert.equal(listed.code, 0, listed.stderr);
      const ids = (JSON.parse(listed.stdout) as Array<{ id: string }>).map((s) => s.id).sort();
      assert.deepEqual(ids, [a, b].sort());
      const shown = await cli(["show", a, "--from", reader]);
      assert.equal(shown.code, 0, shown.stderr);
      // The reader may not push; it is told so in one line, without its password.
      const refused = await cli(["sync", "--to", reader, "--home", home.dir, "--machine", "x"]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /rollout_reader.*permission denied/);
      assert.ok(!refused.stderr.includes("rollout_reader-pw"));
    } finally {
      empty.cleanup();
      home.cleanup();
    }
  },
);

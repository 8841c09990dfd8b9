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
import postgres from "postgres";
import { setup, skipReason, tempDir } from "../helpers.ts";
import { cli } from "../cli/cli_io.ts";
import { idOf, writeSession } from "../cli/fixtures.ts";
import { pgAvailable, type PgCluster, startCluster } from "./pg_cluster.ts";
import { ensureSchema, FLEET_SCHEMA_VERSION } from "../../lib/fleet/mod.ts";

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

let rolesMade = false;

/** A database with the roles of docs/fleet.md made by its first SQL block, each with a password. */
async function teamDatabase(name: string) {
  const db = await cluster!.createDatabase(name);
  const [first = "", grants = ""] = setupBlocks();
  assert.ok(first.includes("CREATE ROLE rollout_writer") && grants.includes("GRANT"));
  // The document's passwords are '...': each role gets its own here. Roles belong to the
  // cluster: the second database of a run leaves them out.
  const roles = first.replace(/^CREATE DATABASE.*\n|^\\c .*\n/gm, "")
    .replace(
      /CREATE ROLE (\w+) LOGIN PASSWORD '\.\.\.'/g,
      "CREATE ROLE $1 LOGIN PASSWORD '$1-pw'",
    );
  cluster!.psql(db, rolesMade ? roles.replace(/^CREATE ROLE.*\n/gm, "") : roles);
  rolesMade = true;
  return {
    db,
    grants,
    admin: as(db, "rollout_admin", "rollout_admin-pw"),
    writer: as(db, "rollout_writer", "rollout_writer-pw"),
    reader: as(db, "rollout_reader", "rollout_reader-pw"),
  };
}

test(
  "the roles of docs/fleet.md: the admin makes the tables, the writer pushes, the reader reads",
  {
    skip,
  },
  async () => {
    await setup();
    const { db, admin, writer, reader, grants } = await teamDatabase("team_roles");
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

test(
  "an older store: the reader reads it, a writer is told to have the admin migrate, the admin's sync does",
  { skip },
  async () => {
    await setup();
    const { db, admin, writer, reader, grants } = await teamDatabase("team_upgrade");
    // The tables as a rollout of schema version 1 made them.
    const sql = postgres(admin, { max: 1, onnotice: () => {} });
    try {
      await ensureSchema(sql, { create: true, upTo: 1 });
    } finally {
      await sql.end();
    }
    cluster!.psql(db, grants);
    const version = () =>
      cluster!.psql(db, "SELECT max(version) FROM rollout.schema_version").trim();
    assert.equal(version(), "1");
    const home = tempDir();
    const empty = tempDir();
    try {
      const id = idOf(3);
      writeSession(home.dir, { id, format: "journal" });
      const refused = await cli(["sync", "--to", writer, "--home", home.dir, "--machine", "w"]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(
        refused.stderr,
        /schema version 1 and this rollout needs version 2.*run `rollout sync` once as that role \(the admin\)/,
      );
      assert.ok(!refused.stderr.includes("rollout_writer-pw"));
      assert.equal(version(), "1");
      // Reading needs no migration.
      const before = await cli(["list", "--from", reader, "--json"]);
      assert.equal(before.code, 0, before.stderr);
      assert.deepEqual(JSON.parse(before.stdout), []);

      const migrated = await cli(["sync", "--to", admin, "--home", empty.dir, "--machine", "a"]);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.equal(version(), String(FLEET_SCHEMA_VERSION));
      const pushed = await cli(["sync", "--to", writer, "--home", home.dir, "--machine", "w"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const found = await cli(["search", "files", "--from", reader, "--json"]);
      assert.equal(found.code, 0, found.stderr);
      const hits = JSON.parse(found.stdout) as Array<{ session_id: string }>;
      assert.ok(hits.length > 0 && hits.every((h) => h.session_id === id), found.stdout);
    } finally {
      home.cleanup();
      empty.cleanup();
    }
  },
);

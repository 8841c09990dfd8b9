/**
 * The fleet store's reading commands through PgBouncer (docs/fleet.md advises one for teams
 * that search often): with transaction pooling, every `--from` command answers exactly what
 * it answers on the server itself, also several at a time. The readers use unnamed
 * statements, so no prepared statement outlives its transaction. A process tier: Deno only, the compiled
 * binary, a throwaway cluster and pooler.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { COMMON_WORD, generateHome, RARE_WORD } from "../../scripts/gen_home.ts";
import { tempDir } from "../helpers.ts";
import { processTierSkip } from "../reliability/process_tier_gate.ts";
import { BINARY } from "../reliability/proto_process.ts";
import { runCommand } from "../reliability/run_command.ts";
import {
  pgAvailable,
  type PgCluster,
  type PgPooler,
  poolerAvailable,
  startCluster,
  startPooler,
} from "./pg_cluster.ts";

const skip = processTierSkip("pooler_test.ts") ||
  (!pgAvailable() && "PostgreSQL is not installed") ||
  (!poolerAvailable() && "PgBouncer is not installed (apt-get install -y pgbouncer)");

let cluster: PgCluster | null = null;
let pooler: PgPooler | null = null;
let direct = "";
let home: { dir: string; cleanup(): void } | null = null;

before(async () => {
  if (skip) return;
  cluster = await startCluster();
  direct = await cluster.createDatabase("pooled");
  home = tempDir("rollout-pooler-");
  generateHome(home.dir, { sessions: 40, bytes: 2_000_000 });
  const synced = await runCommand(BINARY, [
    "sync",
    "--to",
    direct,
    "--machine",
    "laptop",
    "--home",
    home.dir,
    "--json",
  ]);
  assert.equal(synced.code, 0, synced.stderr);
  pooler = await startPooler(cluster, "pooled", "transaction");
});

after(async () => {
  await pooler?.stop();
  await cluster?.destroy();
  home?.cleanup();
});

/** `rollout ARGS --from URL`, which must succeed. */
async function from(url: string, args: string[]): Promise<string> {
  const run = await runCommand(BINARY, [...args, "--from", url]);
  assert.equal(run.code, 0, `rollout ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

test("every reading command answers the same through the pooler", { skip }, async () => {
  assert.notEqual(pooler!.url, direct);
  const listed = JSON.parse(await from(direct, ["list", "--json"])) as { id: string }[];
  assert.equal(listed.length, 40);
  const commands = [
    ["list", "--json"],
    ["search", RARE_WORD, "--json"],
    ["search", COMMON_WORD, "--json", "--limit", "50"],
    ["search", COMMON_WORD, "--role", "user", "--machine", "laptop"],
    ["usage", "--json"],
    ["du", "--json"],
    ["show", listed[0]!.id],
    ["export", "--to", "md", listed[1]!.id],
  ];
  for (const args of commands) {
    const want = await from(direct, args);
    assert.ok(want.length > 20, `rollout ${args.join(" ")} says something`);
    assert.equal(await from(pooler!.url, args), want, `rollout ${args.join(" ")}`);
  }
});

test("searches at once through the pooler answer alike", { skip }, async () => {
  // Six clients over two server connections: a client's next transaction often runs on a
  // connection another client used last, where a statement it prepared does not exist.
  const args = ["search", COMMON_WORD, "--json", "--limit", "30"];
  const want = await from(direct, args);
  const all = await Promise.all(Array.from({ length: 6 }, () => from(pooler!.url, args)));
  assert.deepEqual(all, Array(6).fill(want));
  assert.ok((JSON.parse(want) as unknown[]).length > 0);
});

test("a query that is no search syntax is a usage error with --from too", { skip }, async () => {
  const run = await runCommand(BINARY, ["search", '"unclosed', "--from", pooler!.url]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^rollout search: the query "\\"unclosed" is not valid search syntax/);
  assert.ok(!run.stderr.includes("database"), run.stderr);
});

test("a pooler URL is shown without its password in an error", { skip }, async () => {
  const url = new URL(pooler!.url);
  url.pathname = "/nosuchdb";
  const run = await runCommand(BINARY, ["list", "--from", url.toString()]);
  assert.equal(run.code, 1);
  assert.ok(!run.stderr.includes(decodeURIComponent(url.password)), run.stderr);
  assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${url.port}/nosuchdb`));
});

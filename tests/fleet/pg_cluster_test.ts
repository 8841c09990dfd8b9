import assert from "node:assert/strict";
import * as net from "node:net";
import { finished } from "node:stream/promises";
import { test } from "node:test";
import { inspect } from "node:util";
import postgres from "postgres";
import { pgAvailable, type PgCluster, startCluster } from "./pg_cluster.ts";

const skip = !pgAvailable() && "PostgreSQL is not installed";

/** Values COPY's text format must escape (backslash, tab, newline) or could misread (`\N`). */
const AWKWARD = ["C:\\dir\\file", "tab\there", "line\nbreak\r", "ünïcödé 🚀 日本語", "\\N", ""];

async function withCluster(fn: (cluster: PgCluster) => Promise<void>): Promise<void> {
  const cluster = await startCluster();
  try {
    await fn(cluster);
  } finally {
    await cluster.destroy();
  }
}

/** A one-connection driver that fails fast and keeps server notices off stdout. */
const connect = (url: string) => postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });

/** One COPY text-format line per value, numbered from 0. */
function copyText(values: string[]): Uint8Array {
  const escape = (value: string) =>
    value.replaceAll("\\", "\\\\").replaceAll("\t", "\\t").replaceAll("\n", "\\n")
      .replaceAll("\r", "\\r");
  return new TextEncoder().encode(values.map((v, i) => `${i}\t${escape(v)}\n`).join(""));
}

/** Everything a CLI might print about an error. */
const shown = (error: unknown) => `${inspect(error)}\n${String(error)}\n${JSON.stringify(error)}`;

test(
  "startCluster(): the driver runs select 1 and COPYs awkward text exactly",
  { skip },
  async () => {
    await withCluster(async (cluster) => {
      const url = await cluster.createDatabase("copy_check");
      const sql = connect(url);
      try {
        assert.deepEqual([...await sql`select 1 as one`], [{ one: 1 }]);
        await sql`create table t (id int primary key, body text)`;
        const stream = await sql`copy t (id, body) from stdin`.writable();
        const bytes = copyText(AWKWARD);
        const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "ü", so mid-row too
        stream.write(bytes.subarray(0, cut));
        stream.end(bytes.subarray(cut));
        await finished(stream);
        const rows = await sql`select body from t order by id`;
        assert.deepEqual(rows.map((row) => row.body), AWKWARD);
      } finally {
        await sql.end();
      }
      assert.equal(
        cluster.psql(url, "select count(*), current_database() from t;"),
        "6|copy_check\n",
      );
    });
  },
);

test("startCluster() requires the password on TCP; refusals never show it", { skip }, async () => {
  await withCluster(async (cluster) => {
    const wrong = cluster.url.replace(`:${cluster.password}@`, ":not-the-password@");
    const hidesPassword = (error: unknown) => !shown(error).includes(cluster.password);
    const sql = connect(wrong);
    try {
      await assert.rejects(sql`select 1`, {
        name: "PostgresError",
        code: "28P01",
        message: 'password authentication failed for user "postgres"',
      });
      await assert.rejects(sql`select 1`, hidesPassword);
    } finally {
      await sql.end();
    }
    assert.throws(() => cluster.psql(wrong, "select 1;"), /password authentication failed/);
    assert.throws(() => cluster.psql(wrong, "select 1;"), hidesPassword);
  });
});

test("stop() refuses connections; start() serves the same data again", { skip }, async () => {
  await withCluster(async (cluster) => {
    cluster.psql(cluster.url, "create table kept (n int); insert into kept values (42);");
    const sql = connect(cluster.url);
    try {
      await cluster.stop();
      await assert.rejects(sql`select 1`, {
        code: "ECONNREFUSED",
        message: `connect ECONNREFUSED 127.0.0.1:${cluster.port}`,
      });
      await cluster.start();
      assert.deepEqual([...await sql`select n from kept`], [{ n: 42 }]);
    } finally {
      await sql.end();
    }
  });
});

test("start() names the failure and the log tail when the port is taken", { skip }, async () => {
  await withCluster(async (cluster) => {
    await cluster.stop();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(cluster.port, "127.0.0.1", resolve));
    try {
      await assert.rejects(cluster.start(), (error: unknown) => {
        const message = (error as Error).message;
        assert.ok(message.startsWith(`Cannot start PostgreSQL on port ${cluster.port}: `), message);
        assert.match(message, /server log ".*postgres\.log" ends:\n/);
        assert.match(message, /could not bind IPv4 address "127\.0\.0\.1": Address already in use/);
        return true;
      });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    await cluster.start();
    assert.equal(cluster.psql(cluster.url, "select 'back';"), "back\n");
  });
});

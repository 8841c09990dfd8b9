/**
 * The least a `--from` command can take as a process (B12): a program built as the binary is,
 * with the same PostgreSQL driver and the connection the reading commands open
 * (lib/fleet/connect.ts), that asks `SELECT 1` and ends: of `rollout`, only the code that
 * connects runs. The benchmark times it beside `search --from`, which is this and its own work.
 *
 *   pg_floor URL
 */
import process from "node:process";
import { connection } from "../lib/fleet/connect.ts";

const url = process.argv[2];
if (url === undefined) {
  process.stderr.write("usage: pg_floor URL\n");
  process.exit(2);
}
const sql = connection(url, { max: 1, prepare: false });
try {
  await sql`SELECT 1`;
} finally {
  // Closed as the commands close it: not waited for.
  sql.end({ timeout: 0 }).catch(() => {});
}

/**
 * A throwaway PostgreSQL 15 cluster for tests: its own temp folder, a random superuser password,
 * TCP on 127.0.0.1 only, durability off. Test-only: nothing under lib/ may import it.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

const DEBIAN_BIN = "/usr/lib/postgresql/15/bin";
const OWNER = "postgres";
const INITDB_FLAGS = ["-U", OWNER, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"];
/** A fast, forgetful server: a crash may lose data, which a test cluster does not mind. */
const NO_DURABILITY = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
const PSQL_FLAGS = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"];

/** A running (or stopped) test cluster; call {@linkcode PgCluster.destroy} when done. */
export interface PgCluster {
  /** The TCP port on 127.0.0.1, kept across stop and start. */
  readonly port: number;
  /** The superuser `postgres`'s password, required on TCP. */
  readonly password: string;
  /** `postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres`. */
  readonly url: string;
  /** Creates database `name` (lower-case letters, digits, `_`) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs `sql` with psql on `url` (the password goes in PGPASSWORD) and returns its stdout. */
  psql(url: string, sql: string): string;
  /** Stops the server (`pg_ctl stop -m fast`) and waits for it to exit; no-op when stopped. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, waiting until it accepts; no-op when running. */
  start(): Promise<void>;
  /** Stops the server if it runs and removes the cluster's folder. */
  destroy(): Promise<void>;
}

/** Where initdb and pg_ctl live: Debian's folder, else the first PATH folder holding both. */
function binDir(): string | undefined {
  const dirs = [DEBIAN_BIN, ...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean)];
  return dirs.find((dir) =>
    isExecutable(path.join(dir, "initdb")) && isExecutable(path.join(dir, "pg_ctl"))
  );
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The uid and gid of the `postgres` OS user, from /etc/passwd. */
function ownerIds(): { uid: number; gid: number } | undefined {
  const passwd = fs.existsSync("/etc/passwd") ? fs.readFileSync("/etc/passwd", "utf8") : "";
  const fields = passwd.split("\n").map((line) => line.split(":")).find((f) => f[0] === OWNER);
  return fields ? { uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

const shellQuote = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/** `cmd args` as the `postgres` user when we are root (the server refuses to run as root). */
function asOwner(cmd: string, args: string[]): [string, string[]] {
  if (!isRoot()) return [cmd, args];
  const runuser = ["/usr/sbin/runuser", "/sbin/runuser"].find(isExecutable);
  if (runuser) return [runuser, ["-u", OWNER, "--", cmd, ...args]];
  return ["su", [OWNER, "-s", "/bin/sh", "-c", [cmd, ...args].map(shellQuote).join(" ")]];
}

let available: boolean | undefined;

/** Whether initdb and pg_ctl are installed and runnable (as `postgres` when we are root). */
export function pgAvailable(): boolean {
  if (available !== undefined) return available;
  const bin = binDir();
  if (!bin || (isRoot() && !ownerIds())) return available = false;
  const [cmd, args] = asOwner(path.join(bin, "initdb"), ["--version"]);
  available = spawnSync(cmd, args, { cwd: os.tmpdir(), stdio: "ignore" }).status === 0;
  return available;
}

interface Ran {
  ok: boolean;
  stdout: string;
  /** What went wrong, for an error message: exit status or spawn failure, then stderr. */
  failure: string;
}

/** Runs a PostgreSQL program as its owner in `cwd`, without blocking the event loop. */
function runAsOwner(cmd: string, args: string[], cwd: string): Promise<Ran> {
  const [file, argv] = asOwner(cmd, args);
  return new Promise((resolve) => {
    execFile(file, argv, { cwd, encoding: "utf8" }, (error, stdout, stderr) => {
      const name = path.basename(cmd);
      const status = typeof error?.code === "number"
        ? `${name} exited with ${error.code}`
        : `${name} could not run (${error?.code ?? error?.message})`;
      resolve({ ok: !error, stdout, failure: `${status}: ${stderr.trim() || stdout.trim()}` });
    });
  });
}

/** A TCP port on 127.0.0.1 that was free (nothing listening) a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The last lines of the server log, for error messages. */
function logTail(log: string, lines = 20): string {
  const text = fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "(no log written)";
  return `server log "${log}" ends:\n${text.trimEnd().split("\n").slice(-lines).join("\n")}`;
}

/** Runs psql on `url` with its password moved to PGPASSWORD (never on the command line). */
function runPsql(url: string, sql: string): string {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = "";
  const psql = ["/usr/bin/psql", path.join(binDir() ?? DEBIAN_BIN, "psql")].find(isExecutable);
  if (!psql) throw new Error(`Cannot run psql on "${target}": psql is not installed`);
  const ran = spawnSync(psql, [...PSQL_FLAGS, "-d", `${target}`, "-f", "-"], {
    input: sql,
    encoding: "utf8",
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: "10" },
  });
  if (ran.status !== 0) {
    const why = ran.error?.message ?? ran.stderr.trim();
    throw new Error(`Cannot run SQL on "${target}": psql exited with ${ran.status}: ${why}`);
  }
  return ran.stdout;
}

/** Makes the cluster's folder, owned by `postgres` when we are root. */
function makeFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-pg-"));
  const ids = isRoot() ? ownerIds() : undefined;
  if (ids) fs.chownSync(dir, ids.uid, ids.gid);
  return dir;
}

/** Runs initdb with a scram-sha-256 superuser password, written to a file it then deletes. */
async function initCluster(bin: string, dir: string, password: string): Promise<void> {
  const pwfile = path.join(dir, "pwfile");
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  const ids = isRoot() ? ownerIds() : undefined;
  if (ids) fs.chownSync(pwfile, ids.uid, ids.gid);
  const args = [...INITDB_FLAGS, "-D", path.join(dir, "data"), `--pwfile=${pwfile}`];
  const ran = await runAsOwner(path.join(bin, "initdb"), args, dir);
  fs.rmSync(pwfile, { force: true });
  if (!ran.ok) throw new Error(`Cannot create a PostgreSQL cluster in "${dir}": ${ran.failure}`);
}

/** Runs `pg_ctl start` or `stop` on the cluster in `dir`, naming a failure with the log's tail. */
async function pgCtl(bin: string, dir: string, action: "start" | "stop", port: number) {
  const [data, log] = [path.join(dir, "data"), path.join(dir, "postgres.log")];
  const server = `-p ${port} -c listen_addresses=127.0.0.1 -k ${shellQuote(dir)} ${NO_DURABILITY}`;
  const args = action === "start"
    ? ["-D", data, "-l", log, "-w", "-t", "60", "-o", server, "start"]
    : ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"];
  const ran = await runAsOwner(path.join(bin, "pg_ctl"), args, dir);
  if (!ran.ok) {
    throw new Error(`Cannot ${action} PostgreSQL on port ${port}: ${ran.failure}\n${logTail(log)}`);
  }
}

/** Removes a half-made cluster, first killing a server pg_ctl gave up waiting for. */
async function abandon(bin: string, dir: string): Promise<void> {
  const data = path.join(dir, "data");
  if (fs.existsSync(path.join(data, "postmaster.pid"))) {
    await runAsOwner(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], dir);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Creates and starts a fresh cluster in a temp folder: superuser `postgres` with a random
 * password (scram-sha-256 on every connection), listening on 127.0.0.1 at a free port, its
 * unix socket in the folder. Throws, saying what failed, when it cannot; check
 * {@linkcode pgAvailable} first.
 */
export async function startCluster(): Promise<PgCluster> {
  const bin = binDir();
  if (!bin) {
    throw new Error(`Cannot start PostgreSQL: initdb is neither in "${DEBIAN_BIN}" nor on PATH`);
  }
  const dir = makeFolder();
  const password = randomBytes(18).toString("base64url");
  let port = 0;
  let running = false;
  const control = async (action: "start" | "stop") => {
    await pgCtl(bin, dir, action, port);
    running = action === "start";
  };

  const cluster: PgCluster = {
    get port() {
      return port;
    },
    password,
    get url() {
      return `postgres://${OWNER}:${password}@127.0.0.1:${port}/postgres`;
    },
    psql: runPsql,
    createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
        return Promise.reject(
          new TypeError(`Database name "${name}" is not a plain lower-case identifier`),
        );
      }
      runPsql(cluster.url, `CREATE DATABASE ${name};`);
      return Promise.resolve(cluster.url.replace(/\/postgres$/, `/${name}`));
    },
    stop: () => running ? control("stop") : Promise.resolve(),
    start: () => running ? Promise.resolve() : control("start"),
    async destroy() {
      try {
        await cluster.stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    await initCluster(bin, dir, password);
    port = await freePort();
    await control("start");
  } catch (error) {
    await abandon(bin, dir);
    throw error;
  }
  // Should the test process end without destroying it (a run filtered so that its `after`
  // hooks do not run, a test killed), the server is shut down at once rather than left behind.
  const leftBehind = () => {
    if (!running) return;
    try {
      const pidFile = fs.readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8");
      const pid = Number(pidFile.split("\n")[0]);
      if (pid > 0) process.kill(pid, "SIGQUIT");
    } catch {
      // Stopped already.
    }
  };
  // Bun emits the process's exit, `deno test` only the global unload.
  process.once("exit", leftBehind);
  globalThis.addEventListener?.("unload", leftBehind);
  return cluster;
}

/** A PgBouncer in front of a test cluster's database. */
export interface PgPooler {
  /** The pooled database's URL: the cluster's user and password, the pooler's port. */
  readonly url: string;
  /** Stops PgBouncer and removes its folder. */
  stop(): Promise<void>;
}

const PGBOUNCER = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"];

/** Whether PgBouncer is installed (Debian's `pgbouncer` package). */
export function poolerAvailable(): boolean {
  return PGBOUNCER.some(isExecutable) && (!isRoot() || ownerIds() !== undefined);
}

/**
 * Waits until something accepts TCP connections on 127.0.0.1:`port`, for up to 10 s, or until
 * `gone()` says the program that should listen has exited.
 */
async function listening(port: number, gone: () => boolean, why: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once("connect", () => done(true)).once("error", () => done(false));
      socket.setTimeout(1000, () => done(false));
    });
    if (open) return;
    if (gone() || Date.now() > deadline) {
      throw new Error(`PgBouncer did not listen on ${port}: ${why()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts PgBouncer (as `postgres` when we are root) in front of database `database` of
 * `cluster`, on 127.0.0.1 at a free port, pooling in `mode`; clients log in with the cluster's
 * superuser and password (scram-sha-256, checked against the server's own secret).
 */
export async function startPooler(
  cluster: PgCluster,
  database: string,
  mode: "session" | "transaction",
): Promise<PgPooler> {
  const program = PGBOUNCER.find(isExecutable);
  if (!program) throw new Error("Cannot start PgBouncer: it is not installed");
  const dir = makeFolder();
  try {
    return await runPooler(program, dir, cluster, database, mode);
  } catch (error) {
    // The folder holds the superuser's secret: never left behind.
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function runPooler(
  program: string,
  dir: string,
  cluster: PgCluster,
  database: string,
  mode: "session" | "transaction",
): Promise<PgPooler> {
  const ids = isRoot() ? ownerIds() : undefined;
  const own = (file: string, text: string) => {
    fs.writeFileSync(file, text, { mode: 0o600 });
    if (ids) fs.chownSync(file, ids.uid, ids.gid);
  };
  const secret = runPsql(
    cluster.url,
    `SELECT rolpassword FROM pg_authid WHERE rolname = '${OWNER}';`,
  ).trim();
  const port = await freePort();
  const log = path.join(dir, "pgbouncer.log");
  own(path.join(dir, "users.txt"), `"${OWNER}" "${secret}"\n`);
  own(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `${database} = host=127.0.0.1 port=${cluster.port} dbname=${database}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = scram-sha-256",
      `auth_file = ${path.join(dir, "users.txt")}`,
      `pool_mode = ${mode}`,
      // Few server connections for many clients: each transaction may get another one.
      "default_pool_size = 2",
      `logfile = ${log}`,
      `pidfile = ${path.join(dir, "pgbouncer.pid")}`,
      "",
    ].join("\n"),
  );
  const [file, argv] = asOwner(program, [path.join(dir, "pgbouncer.ini")]);
  const child = spawn(file, argv, { cwd: dir, stdio: "ignore" });
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void gone.then(() => exited = true);
  const kill = () => {
    try {
      const pid = Number(fs.readFileSync(path.join(dir, "pgbouncer.pid"), "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGTERM");
    } catch {
      // Not started, or gone already.
    }
    child.kill("SIGTERM");
  };
  // As for the cluster: Bun emits the process's exit, `deno test` only the global unload.
  const forget = () => {
    process.removeListener("exit", kill);
    globalThis.removeEventListener?.("unload", kill);
  };
  process.once("exit", kill);
  globalThis.addEventListener?.("unload", kill);
  try {
    await listening(
      port,
      () => exited,
      () => exited ? `it exited\n${logTail(log)}` : logTail(log),
    );
  } catch (error) {
    kill();
    forget();
    throw error;
  }
  return {
    url: `postgres://${OWNER}:${cluster.password}@127.0.0.1:${port}/${database}`,
    async stop() {
      kill();
      await gone;
      forget();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

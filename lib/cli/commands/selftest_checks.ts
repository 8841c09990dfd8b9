/**
 * What rollout's guarantees rely on, checked on a real file system (`rollout selftest`): an
 * acknowledged append survives SIGKILL of its writer, the writer lock excludes a second process
 * and dies with its holder, file and folder syncs work, rename replaces atomically, files are
 * private, the clock is sane. Each check works in its own folder below `root` and removes it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { loadRollout } from "../../formats/mod.ts";
import { selfCommand } from "../../runtime/mod.ts";
import { describe } from "../../schemas/mod.ts";
import { RolloutRecorder } from "../../store/mod.ts";

/** One check's verdict. */
export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

interface Check {
  name: string;
  /** Returns what was seen; throws (an Error saying why) when the guarantee does not hold. */
  run(dir: string): Promise<string>;
}

const ITEM = {
  type: "message",
  role: "user",
  content: [{ type: "input_text", text: "selftest" }],
};
const CHILD_TIMEOUT_MS = 15_000;

/** A `rollout proto` child with its events, line by line. */
class ProtoChild {
  readonly child: ChildProcess;
  readonly #events: Record<string, unknown>[] = [];
  #wake: (() => void) | null = null;
  #stderr = "";
  #buffer = "";
  #exited = false;

  constructor(home: string) {
    const self = selfCommand();
    this.child = spawn(self.command, [...self.prefix, "proto", "--home", home], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (chunk: string) => {
      this.#buffer += chunk;
      const lines = this.#buffer.split("\n");
      this.#buffer = lines.pop()!;
      for (const line of lines) this.#events.push(JSON.parse(line));
      this.#wake?.();
    });
    this.child.stderr!.setEncoding("utf8");
    this.child.stderr!.on("data", (chunk: string) => (this.#stderr += chunk));
    this.child.on("exit", () => {
      this.#exited = true;
      this.#wake?.();
    });
    this.child.on("error", (error) => {
      this.#stderr += describe(error);
      this.#exited = true;
      this.#wake?.();
    });
  }

  send(op: unknown): void {
    this.child.stdin!.write(`${JSON.stringify(op)}\n`);
  }

  /** The event answering `id`; throws if none comes in time or the child ends first. */
  async event(id: string): Promise<Record<string, unknown>> {
    const deadline = performance.now() + CHILD_TIMEOUT_MS;
    for (;;) {
      const found = this.#events.find((e) => e.id === id);
      if (found !== undefined) return found.msg as Record<string, unknown>;
      if (this.#exited) {
        throw new Error(`the writer ended before answering: ${this.#stderr.trim()}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no answer within ${CHILD_TIMEOUT_MS / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Kills the child with SIGKILL and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.#exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGKILL");
    await gone;
  }
}

function expect(condition: boolean, why: string): void {
  if (!condition) throw new Error(why);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `rollout ARGS` as a child; its exit status and stderr. */
function runSelf(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const self = selfCommand();
  return new Promise((resolve) => {
    const child = spawn(self.command, [...self.prefix, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error) => resolve({ status: null, stderr: describe(error) }));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

const CHECKS: Check[] = [
  {
    name: "new files are 0600 in 0700 folders",
    async run(dir) {
      const recorder = await RolloutRecorder.create({ home: dir, meta: { cwd: dir } });
      await recorder.close();
      const file = recorder.path!;
      const mode = fs.statSync(file).mode & 0o777;
      const folder = fs.statSync(path.dirname(file)).mode & 0o777;
      expect(mode === 0o600, `the rollout is ${mode.toString(8)}, not 600`);
      expect(folder === 0o700, `its folder is ${folder.toString(8)}, not 700`);
      return "600 / 700";
    },
  },
  {
    name: "fdatasync and fsync of a file, fsync of a folder",
    run(dir) {
      const file = path.join(dir, "sync");
      const fd = fs.openSync(file, "wx", 0o600);
      const data = new Uint8Array(4096).fill(120);
      const times: number[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          fs.writeSync(fd, data);
          const start = performance.now();
          fs.fdatasyncSync(fd);
          times.push(performance.now() - start);
        }
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      const folder = fs.openSync(dir, "r");
      const folderTimes: number[] = [];
      try {
        for (let i = 0; i < 5; i++) {
          const start = performance.now();
          fs.fsyncSync(folder);
          folderTimes.push(performance.now() - start);
        }
      } finally {
        fs.closeSync(folder);
      }
      return Promise.resolve(
        `fdatasync median ${median(times).toFixed(2)} ms (20 × 4 KiB), folder fsync ${
          median(folderTimes).toFixed(2)
        } ms`,
      );
    },
  },
  {
    name: "rename replaces a file atomically",
    run(dir) {
      const target = path.join(dir, "target");
      const temp = path.join(dir, "target.tmp");
      fs.writeFileSync(target, "old", { mode: 0o600 });
      fs.writeFileSync(temp, "new", { mode: 0o600 });
      const inode = fs.statSync(temp).ino;
      fs.renameSync(temp, target);
      expect(fs.readFileSync(target, "utf8") === "new", "the target does not hold the new content");
      expect(fs.statSync(target).ino === inode, "the target is not the renamed file");
      expect(!fs.existsSync(temp), "the temporary name is still there");
      return Promise.resolve("old content replaced, temporary name gone");
    },
  },
  {
    name: "an acknowledged append survives SIGKILL of its writer",
    async run(dir) {
      const proto = new ProtoChild(dir);
      try {
        proto.send({ id: "c", op: { type: "configure_session", cwd: dir } });
        const configured = await proto.event("c");
        expect(
          configured.type === "session_configured",
          `configure_session: ${JSON.stringify(configured)}`,
        );
        proto.send({ id: "r", op: { type: "record_items", items: [ITEM] } });
        const recorded = await proto.event("r");
        expect(recorded.type === "items_recorded", `record_items: ${JSON.stringify(recorded)}`);
        await proto.kill();
        const loaded = loadRollout(configured.rollout_path as string);
        expect(
          JSON.stringify(loaded.saved.items) === JSON.stringify([ITEM]),
          `after the kill the rollout holds ${loaded.saved.items.length} item(s), not the one acknowledged`,
        );
        return "the acknowledged item was there after kill -9";
      } finally {
        await proto.kill();
      }
    },
  },
  {
    name: "the writer lock refuses a second process",
    async run(dir) {
      const recorder = await RolloutRecorder.create({ home: dir, meta: { cwd: dir } });
      try {
        const other = await runSelf(["append", recorder.path!, "--item", JSON.stringify(ITEM)]);
        expect(other.status === 1, `a second writer exited with ${other.status}, not 1`);
        expect(
          /locked/.test(other.stderr),
          `a second writer was not refused as locked: ${other.stderr.trim()}`,
        );
      } finally {
        await recorder.close();
      }
      return "refused with locked";
    },
  },
  {
    name: "the kernel releases the lock of a killed writer",
    async run(dir) {
      const recorder = await RolloutRecorder.create({ home: dir, meta: { cwd: dir } });
      await recorder.close();
      const proto = new ProtoChild(dir);
      try {
        proto.send({ id: "c", op: { type: "configure_session", resume_path: recorder.path } });
        const loaded = await proto.event("c");
        expect(
          loaded.type === "session_loaded",
          `the writer did not take the lock: ${JSON.stringify(loaded)}`,
        );
        await proto.kill();
      } finally {
        await proto.kill();
      }
      const start = performance.now();
      const { recorder: again } = await RolloutRecorder.resume(recorder.path!);
      await again.close();
      return `taken again ${(performance.now() - start).toFixed(1)} ms after the kill`;
    },
  },
  {
    name: "the clock is sane (UTC timestamps, ordered)",
    run() {
      const now = Date.now();
      expect(now > Date.UTC(2024, 0, 1), `the clock says ${new Date(now).toISOString()}`);
      expect(new Date(now).toISOString().endsWith("Z"), "timestamps are not UTC");
      let last = Date.now();
      let lastMono = performance.now();
      for (let i = 0; i < 100_000; i++) {
        const t = Date.now();
        const m = performance.now();
        expect(t >= last, `the wall clock went back ${last - t} ms`);
        expect(m >= lastMono, "the monotonic clock went back");
        last = t;
        lastMono = m;
      }
      return Promise.resolve(`${new Date(now).toISOString()}; 100,000 readings in order`);
    },
  },
];

/** The file system type holding `dir`, from /proc/self/mountinfo (Linux), or "unknown". */
export function fileSystemOf(dir: string): string {
  try {
    let best = { point: "", type: "unknown" };
    for (const line of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      const [left, right] = line.split(" - ");
      const point = left?.split(" ")[4];
      const type = right?.split(" ")[0];
      if (point === undefined || type === undefined) continue;
      const inside = dir === point || dir.startsWith(point.endsWith("/") ? point : `${point}/`);
      if (inside && point.length >= best.point.length) best = { point, type };
    }
    return best.type;
  } catch {
    return "unknown";
  }
}

/** Runs every check in a folder of its own below `root`; `root` is left as it was. */
export async function runChecks(root: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of CHECKS) {
    const start = performance.now();
    let dir: string | null = null;
    try {
      dir = fs.mkdtempSync(path.join(root, ".rollout-selftest-"));
      const detail = await check.run(dir);
      results.push({ name: check.name, ok: true, ms: performance.now() - start, detail });
    } catch (error) {
      results.push({
        name: check.name,
        ok: false,
        ms: performance.now() - start,
        detail: describe(error),
      });
    } finally {
      if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

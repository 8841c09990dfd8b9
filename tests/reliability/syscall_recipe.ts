/**
 * Tier 7 (syscalls): one append and one document replace by `rollout proto` under
 * `strace -f -y`, reduced to the calls on the rollout, its temporary file and its folder plus
 * the acknowledgement on stdout, so the order can be compared with RELIABILITY.md's recipes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { ProtoProcess, type Subject } from "./proto_process.ts";
import { STRACE } from "./strace_faults.ts";

const TRACE =
  "openat,write,writev,pwritev2,pwrite64,fdatasync,fsync,close,rename,renameat,renameat2,ftruncate";

/** Names one traced call in the terms of the recipes, or null when it is not the writer's. */
export function classify(line: string, target: string): string | null {
  if (/^\d+\s+(?:writev?|pwritev2)\(/.test(line) && line.includes('\\"items_recorded\\"')) {
    return "ack";
  }
  const dir = path.dirname(target);
  const temp = `${target}.tmp-`;
  const fdPath = /^\d+\s+(\w+)\(\d+<([^>]*)>/.exec(line);
  if (fdPath !== null) {
    const [, call, file] = fdPath as unknown as [string, string, string];
    const what = file === target
      ? "rollout"
      : file.startsWith(temp)
      ? "temp"
      : file === dir
      ? "folder"
      : null;
    return what === null ? null : `${call} ${what}`;
  }
  const open = /^\d+\s+openat\(AT_FDCWD<[^>]*>, "([^"]*)", ([A-Z_|]+)/.exec(line);
  if (open !== null) {
    const [, file, flags] = open as unknown as [string, string, string];
    const f = flags.split("|");
    if (file === target && f.includes("O_APPEND")) return "open rollout for append";
    if (file.startsWith(temp) && f.includes("O_CREAT") && f.includes("O_EXCL")) {
      return "create temp exclusively";
    }
    if (file === dir && f.includes("O_DIRECTORY")) return "open folder";
    return null;
  }
  const rename = /^\d+\s+rename(?:at2?)?\(.*"([^"]*)".*"([^"]*)"/.exec(line);
  if (rename !== null && rename[1]!.startsWith(temp) && rename[2] === target) {
    return "rename temp over rollout";
  }
  return null;
}

/**
 * Resumes a fresh rollout of `format` with `subject`, records one item and returns the
 * writer's calls from the record op to its acknowledgement (inclusive).
 */
export async function recordOneTraced(
  subject: Subject,
  options: { dir: string; format: "jsonl" | "json" },
): Promise<string[]> {
  const home = path.join(options.dir, "home");
  const created = await RolloutRecorder.create({ home, format: options.format });
  const target = created.path!;
  await created.close();
  const log = path.join(options.dir, "strace.log");
  const wrapper = [STRACE, "-f", "-qq", "-y", "-s", "96", "-o", log, "-e", `trace=${TRACE}`, "--"];
  const proc = ProtoProcess.start(subject, { args: ["--home", home], wrapper });
  await proc.send({ id: "c", op: { type: "configure_session", resume_path: target } });
  await proc.eventFor("c");
  const item = { type: "message", role: "user", content: [{ type: "input_text", text: "one" }] };
  await proc.send({ id: "w", op: { type: "record_items", items: [item] } });
  await proc.eventFor("w");
  await proc.send({ id: "s", op: { type: "shutdown" } });
  proc.end();
  await proc.exited;
  const lines = fs.readFileSync(log, "utf8").split("\n");
  const calls = lines.map((line) => classify(line, target)).filter((c) => c !== null);
  const ack = calls.indexOf("ack");
  // The record op's calls: after the last call made for the resume, before the shutdown.
  const resumeEnd = calls.lastIndexOf("open rollout for append", ack) >= 0
    ? calls.lastIndexOf("open rollout for append", ack)
    : calls.lastIndexOf("create temp exclusively", ack);
  return calls.slice(resumeEnd, ack + 1);
}

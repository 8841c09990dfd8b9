/**
 * A tiny tmpfs for the full-disk tier (RELIABILITY.md tier 4): mounted on a temporary folder
 * as root, refused cleanly (with the reason) everywhere else.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A mounted tmpfs; `release` unmounts it and removes the folder. */
export interface TinyTmpfs {
  dir: string;
  release(): void;
}

/** Mounts a tmpfs of `sizeKiB`, or returns why it cannot (not root, mount refused). */
export function mountTinyTmpfs(sizeKiB: number): TinyTmpfs | { refused: string } {
  if (process.getuid?.() !== 0) return { refused: "mounting a tmpfs needs root" };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-tmpfs-"));
  const mount = spawnSync("mount", [
    "-t",
    "tmpfs",
    "-o",
    `size=${sizeKiB}k,mode=0700`,
    "tmpfs",
    dir,
  ], {
    encoding: "utf8",
  });
  if (mount.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return {
      refused: `mount -t tmpfs was refused: ${(mount.stderr || String(mount.error)).trim()}`,
    };
  }
  return {
    dir,
    release() {
      const umount = spawnSync("umount", [dir], { encoding: "utf8" });
      if (umount.status !== 0) throw new Error(`Cannot unmount "${dir}": ${umount.stderr.trim()}`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The `write` calls an `strace -e trace=write` log shows: bytes asked, bytes written or errno. */
export function writeCalls(log: string): { asked: number; result: number | string }[] {
  const calls: { asked: number; result: number | string }[] = [];
  for (const line of log.split("\n")) {
    const match = /write\(\d+, .*, (\d+)\)\s+= (-?\d+)(?: (E[A-Z]+))?/.exec(line);
    if (match === null) continue;
    calls.push({ asked: Number(match[1]), result: match[3] ?? Number(match[2]) });
  }
  return calls;
}

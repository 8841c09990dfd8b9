/**
 * Worker of the kill campaign: busy-polls a file and SIGKILLs the writer the moment it sees
 * the file grown to a page boundary (a write under way), so that kills land inside writes; a
 * main thread polls too slowly for that.
 */
import * as fs from "node:fs";
import process from "node:process";

/** What the worker is asked to do. */
export interface GrowthKillRequest {
  file: string;
  pid: number;
  limitMs: number;
}

/** What it did: whether it saw a write under way and killed, and the size it saw last. */
export interface GrowthKillResult {
  killed: boolean;
  size: number;
}

interface WorkerScope {
  onmessage: ((event: { data: GrowthKillRequest }) => void) | null;
  postMessage(result: GrowthKillResult): void;
}

const PAGE = 4096;
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (event) => {
  const { file, pid, limitMs } = event.data;
  const fd = fs.openSync(file, "r");
  const deadline = performance.now() + limitMs;
  let seen = fs.fstatSync(fd).size;
  try {
    while (performance.now() < deadline) {
      const size = fs.fstatSync(fd).size;
      if (size === seen) continue;
      seen = size;
      // The kernel grows a file page by page while it copies a write in, so a size at a page
      // boundary is (but for one chance in 4096) a write under way: kill inside it.
      if (size % PAGE === 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already dead: the campaign sees that in its exit status.
        }
        scope.postMessage({ killed: true, size });
        return;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  scope.postMessage({ killed: false, size: seen });
};

/**
 * Finding the rollout a fork inherits from (Codex's `history_base` names a rollout id, looked
 * up by file name, codex-rs/rollout/src/list.rs:1602-1617 at 343074d). Reads folder entries
 * only.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The `sessions` (or `archived_sessions`) folder a rollout lies in, else its own folder. */
export function sessionsRootOf(file: string): string {
  let dir = path.dirname(path.resolve(file));
  for (let up = 0; up < 4; up++) {
    const name = path.basename(dir);
    if (name === "sessions" || name === "archived_sessions") return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.dirname(path.resolve(file));
}

/**
 * The rollout file under `root` (dated folders included) whose name ends in `-<id>` or
 * `_<id>` with `.jsonl` or `.jsonl.zst`; the plain file wins over the compressed one, as in
 * Codex. Null when there is none.
 */
export function findRolloutById(root: string, id: string): string | null {
  const wanted = [`-${id}.jsonl`, `_${id}.jsonl`];
  let compressed: string | null = null;
  const walk = (dir: string, depth: number): string | null => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return null;
    }
    for (const entry of entries) {
      const name = String(entry.name);
      const full = path.join(dir, name);
      if (entry.isDirectory()) {
        if (depth < 3) {
          const found = walk(full, depth + 1);
          if (found !== null) return found;
        }
      } else if (wanted.some((end) => name.endsWith(end))) return full;
      else if (wanted.some((end) => name.endsWith(`${end}.zst`))) compressed ??= full;
    }
    return null;
  };
  return walk(root, 0) ?? compressed;
}

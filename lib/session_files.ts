/**
 * Finds the rollout files of a home (SPEC §1): the dated folders and files placed flat in
 * `<home>/sessions`. Reads folder entries only; never opens a rollout.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { errnoOf, ioError } from "./errors.ts";
import { parseSessionFileName, sessionsDir } from "./paths.ts";

/** A rollout file found in a home, with the id its name carries (null for other names). */
export interface SessionFile {
  path: string;
  nameId: string | null;
}

/** Whether a file name is one of ours to read: `*.jsonl` / `*.json`, no lock or temp file. */
export function isRolloutName(name: string): boolean {
  if (name.includes(".tmp-") || name.includes(".lock") || name.includes(".corrupt-")) {
    return false;
  }
  return name.endsWith(".jsonl") || name.endsWith(".json");
}

/** Every rollout file under `<home>/sessions` (up to the `YYYY/MM/DD` depth). */
export function findSessionFiles(home: string): SessionFile[] {
  const out: SessionFile[] = [];
  walk(sessionsDir(home), 0, out);
  return out;
}

function walk(dir: string, depth: number, out: SessionFile[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (depth === 0 && errnoOf(error) === "ENOENT") return;
    throw ioError("read folder", dir, error);
  }
  for (const entry of entries) {
    const name = String(entry.name);
    const full = path.join(dir, name);
    if (entry.isDirectory()) {
      if (depth < 3) walk(full, depth + 1, out);
    } else if (entry.isFile() && isRolloutName(name)) {
      out.push({ path: full, nameId: parseSessionFileName(name)?.id ?? null });
    }
  }
}

/** The file's last modification time in milliseconds and its size, or null if it is gone. */
export function statSession(file: string): { mtimeMs: number; size: number } | null {
  try {
    const stat = fs.statSync(file);
    return { mtimeMs: stat.mtimeMs, size: stat.size };
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return null;
    throw ioError("read", file, error);
  }
}

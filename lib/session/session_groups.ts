/**
 * A home's sessions as groups of files, for `archive` and `prune`: the rollout files of one
 * session in one folder (`x.jsonl`, its archive `x.jsonl.zst`, a converted copy `x.json`) and
 * rollout's own files beside them (temporary files, kept originals), with their times and
 * sizes. Reads folder entries and file metadata only, never a rollout's content.
 */
import * as fs from "node:fs";
import { errnoOf, ioError } from "../schemas/mod.ts";
import { sessionsDir } from "../store/mod.ts";
import { filesUnder, type Skipped } from "./session_files.ts";

/** One file of a group. */
export interface GroupFile {
  path: string;
  bytes: number;
  mtimeMs: number;
}

/** The files of one session in one folder. */
export interface SessionGroup {
  /** The folder and the name every file of the group starts with, without its extension. */
  stem: string;
  /**
   * The rollout files, in the order they are removed: the archive (which a plain file beside
   * it stands for) first, then a document, then the plain journal.
   */
  rollouts: GroupFile[];
  /** rollout's own files beside them: temporary files and kept originals (locks not listed). */
  sidecars: GroupFile[];
  /** The latest modification of the rollout files, in milliseconds since the epoch. */
  mtimeMs: number;
  /** The bytes of every file of the group. */
  bytes: number;
}

/**
 * `<stem>.<extension>` with rollout's own suffixes after it: `x.jsonl.zst.tmp-1a2b`,
 * `x.jsonl.corrupt-<time>`, `x.json.unredacted-<time>`, `x.jsonl.lock`.
 */
const NAME = /^(.+?)\.(jsonl\.zst|jsonl|json)(\.(?:tmp-|corrupt-|unredacted-)[^/]*|\.lock)?$/;
const ORDER = ["jsonl.zst", "json", "jsonl"];

/**
 * Every session of the home with its files (the dated folders and files placed flat); the
 * folders that cannot be read go to `skipped` (else the first one stops the walk).
 */
export function sessionGroups(home: string, skipped?: Skipped): SessionGroup[] {
  const groups = new Map<string, SessionGroup>();
  walk(sessionsDir(home), groups, skipped);
  const out: SessionGroup[] = [];
  for (const group of groups.values()) {
    if (group.rollouts.length === 0) continue;
    group.rollouts.sort((a, b) => rank(a) - rank(b));
    out.push(group);
  }
  return out.sort((a, b) => (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0));
}

function rank(file: GroupFile): number {
  return ORDER.findIndex((extension) => file.path.endsWith(`.${extension}`));
}

function walk(dir: string, groups: Map<string, SessionGroup>, skipped: Skipped): void {
  for (const { path: file, name } of filesUnder(dir, skipped)) {
    const match = NAME.exec(name);
    if (match === null || match[3] === ".lock") continue;
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") continue; // Removed meanwhile.
      throw ioError("read", file, error);
    }
    const stem = `${file.slice(0, file.length - name.length)}${match[1]}`;
    let group = groups.get(stem);
    if (group === undefined) {
      group = { stem, rollouts: [], sidecars: [], mtimeMs: 0, bytes: 0 };
      groups.set(stem, group);
    }
    const found = { path: file, bytes: stat.size, mtimeMs: stat.mtimeMs };
    group.bytes += stat.size;
    if (match[3] !== undefined) group.sidecars.push(found);
    else {
      group.rollouts.push(found);
      group.mtimeMs = Math.max(group.mtimeMs, stat.mtimeMs);
    }
  }
}

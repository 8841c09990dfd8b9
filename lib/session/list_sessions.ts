/**
 * `rollout list` (SPEC §5): the sessions of a home, newest first by the start time in their
 * file names. Only the sessions shown are opened and stat'ed (with a cwd filter, until enough
 * match), so listing 10,000 sessions costs little more than reading the folders.
 */
import * as path from "node:path";
import type { RolloutFormat } from "../schemas/mod.ts";
import { readSessionHead } from "./session_head.ts";
import { newestFirst, statSession } from "./session_files.ts";

/** One listed session; the shape of `list --json` (`size`, `error` are for the text view). */
export interface SessionSummary {
  id: string;
  path: string;
  created: string;
  updated: string;
  cwd: string | null;
  /** Null when the file is larger than the head that was read (see `size`). */
  items: number | null;
  preview: string | null;
  /** The file's format: one session may be kept in two (after `convert`). */
  format: RolloutFormat;
  size: number;
}

/** A file that could not be listed, and why. */
export interface UnlistedFile {
  path: string;
  message: string;
}

/** Options of {@linkcode listSessions}. */
export interface ListOptions {
  limit?: number;
  /** Only sessions whose meta `cwd` is this folder (absolute). */
  cwd?: string;
}

const PREVIEW_CHARS = 80;

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function shorten(text: string, max = PREVIEW_CHARS): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The sessions of `home`, newest first, and the files that were unreadable. */
export function listSessions(
  home: string,
  options: ListOptions = {},
): { sessions: SessionSummary[]; unreadable: UnlistedFile[] } {
  const limit = options.limit ?? Infinity;
  const wantedCwd = options.cwd === undefined ? undefined : path.resolve(options.cwd);
  const sessions: SessionSummary[] = [];
  const unreadable: UnlistedFile[] = [];
  for (const file of newestFirst(home)) {
    if (sessions.length >= limit) break;
    const stat = statSession(file.path);
    if (stat === null) continue;
    const head = readSessionHead(file.path);
    if (!head.ok) {
      unreadable.push({ path: file.path, message: head.message });
      continue;
    }
    const cwd = head.meta.cwd ?? null;
    if (wantedCwd !== undefined && (cwd === null || path.resolve(cwd) !== wantedCwd)) continue;
    sessions.push({
      id: head.meta.id,
      path: file.path,
      created: head.meta.timestamp,
      updated: new Date(stat.mtimeMs).toISOString(),
      cwd,
      items: head.items,
      preview: head.firstUserText === null ? null : shorten(head.firstUserText),
      format: head.format,
      size: stat.size,
    });
  }
  return { sessions, unreadable };
}

/**
 * `rollout list` (SPEC §5): the sessions of a home, newest first. Every file is only named
 * and stat'ed; heads are read for the sessions shown (and, with a cwd filter, until enough
 * match), so listing stays fast with thousands of sessions.
 */
import * as path from "node:path";
import { readSessionHead } from "./session_head.ts";
import { findSessionFiles, statSession } from "./session_files.ts";

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

/** The sessions of `home`, most recently updated first, and the files that were unreadable. */
export function listSessions(
  home: string,
  options: ListOptions = {},
): { sessions: SessionSummary[]; unreadable: UnlistedFile[] } {
  const files: { path: string; mtimeMs: number; size: number }[] = [];
  for (const file of findSessionFiles(home)) {
    const stat = statSession(file.path);
    if (stat !== null) files.push({ path: file.path, ...stat });
  }
  files.sort((a, b) => b.mtimeMs - a.mtimeMs || a.path.localeCompare(b.path));
  const limit = options.limit ?? Infinity;
  const wantedCwd = options.cwd === undefined ? undefined : path.resolve(options.cwd);
  const sessions: SessionSummary[] = [];
  const unreadable: UnlistedFile[] = [];
  for (const file of files) {
    if (sessions.length >= limit) break;
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
      updated: new Date(file.mtimeMs).toISOString(),
      cwd,
      items: head.items,
      preview: head.firstUserText === null ? null : shorten(head.firstUserText),
      size: file.size,
    });
  }
  return { sessions, unreadable };
}

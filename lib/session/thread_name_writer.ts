/**
 * Writes session titles to `<home>/session_index.jsonl` as Codex does: a rename appends one
 * line (one `write`, synced, under a `flock` on the file); removing a session's titles
 * rewrites the file atomically. Never edits a line in place.
 */
import * as fs from "node:fs";
import { errnoOf, ioError, RolloutError } from "../schemas/mod.ts";
import { type HeldLock, lockFile, nodeFileSystem, syncDirectory } from "../runtime/mod.ts";
import { atomicWrite } from "../store/mod.ts";
import {
  checkTitle,
  entryOf,
  idKey,
  NOT_ONE_LINE,
  openIndex,
  quoted,
  scanFile,
  type SessionIndexEntry,
  sessionIndexPath,
} from "./thread_names.ts";

const NEWLINE = 10;
const encoder = new TextEncoder();

/**
 * Locks the index file itself (created 0600 when missing). Codex replaces the file when it
 * removes names, so a lock on a file that is no longer the index is let go and taken again.
 */
function lockIndex(file: string): HeldLock {
  for (let attempt = 0; attempt < 100; attempt++) {
    let held: HeldLock;
    try {
      held = lockFile(file, { wait: true });
    } catch (error) {
      throw ioError("lock", file, error);
    }
    let ino = -1;
    try {
      ino = fs.statSync(file).ino;
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") {
        held.release();
        throw ioError("lock", file, error);
      }
    }
    if (ino === held.ino) return held;
    held.release();
  }
  throw new RolloutError("io_error", `Cannot lock "${file}": it keeps being replaced`);
}

function checkId(id: string): void {
  if (id === "" || NOT_ONE_LINE.test(id)) {
    throw new RolloutError(
      "invalid_argument",
      `Cannot title session ${quoted(id)}: its id is not one line of text`,
    );
  }
}

/**
 * Gives session `id` the title `title` (checked with {@linkcode checkTitle}): one line appended
 * to `<home>/session_index.jsonl` with one `write` (O_APPEND) and synced, under a `flock` so
 * that rollout processes never interleave; the file is created 0600 when missing. A torn last
 * line (a crash mid-write) is ended with a newline first, so the new line stands on its own.
 * A writer that takes no lock (Codex) can be caught mid-write: the kernel may show part of its
 * line before the rest. Its write still ends before ours (O_APPEND), so the newline added
 * first then only makes a blank line, which this module's reader and Codex's both skip.
 */
export function appendThreadName(
  home: string,
  rename: { id: string; title: string; now?: Date },
): SessionIndexEntry {
  checkId(rename.id);
  const title = checkTitle(rename.title);
  if (!title.ok) throw new RolloutError("invalid_argument", title.error);
  const entry: SessionIndexEntry = {
    id: rename.id,
    thread_name: title.title,
    updated_at: (rename.now ?? new Date()).toISOString(),
  };
  const file = sessionIndexPath(home);
  try {
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw ioError("create folder", home, error);
  }
  const held = lockIndex(file);
  let fd = -1;
  try {
    const c = fs.constants;
    fd = fs.openSync(file, c.O_RDWR | c.O_APPEND | c.O_CREAT, 0o600);
    const stat = fs.fstatSync(fd);
    if ((stat.mode & 0o777) !== 0o600) fs.fchmodSync(fd, 0o600);
    let lead = "";
    if (stat.size > 0) {
      const last = new Uint8Array(1);
      fs.readSync(fd, last, 0, 1, stat.size - 1);
      if (last[0] !== NEWLINE) lead = "\n";
    }
    const line = encoder.encode(`${lead}${JSON.stringify(entry)}\n`);
    for (let done = 0; done < line.length;) done += fs.writeSync(fd, line.subarray(done));
    fs.fsyncSync(fd);
    // A file this call created is durable only once its folder is synced.
    if (stat.size === 0) syncDirectory(nodeFileSystem, home);
  } catch (error) {
    throw ioError("append to", file, error);
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    held.release();
  }
  return entry;
}

/**
 * Removes every title of session `id`, as Codex's `remove_thread_name_entries` does: the file
 * is rewritten without them (atomically, under the lock) and returns how many went; a file
 * with none is left alone. The other lines are kept as they are; a file with a line that is
 * not UTF-8 is refused rather than changed.
 */
export async function removeThreadNames(home: string, id: string): Promise<number> {
  checkId(id);
  const file = sessionIndexPath(home);
  const probe = openIndex(file);
  if (probe === null) return 0;
  fs.closeSync(probe);
  const held = lockIndex(file);
  try {
    const key = idKey(id);
    // One pass counts the session's entries; with `put`, it hands every other line over.
    const pass = (put?: (text: string) => void): number => {
      let removed = 0;
      const refuse = (what: string) => {
        if (put === undefined) return;
        throw new RolloutError(
          "invalid_argument",
          `Cannot remove titles from "${file}": ${what}; mend or remove it first`,
        );
      };
      const fd = fs.openSync(file, "r");
      try {
        const end = scanFile(fd, 0, {
          line: (text) => {
            const entry = entryOf(text);
            if (entry !== null && typeof entry !== "string" && idKey(entry.id) === key) {
              removed++;
            } else put?.(`${text}\n`);
          },
          bad: (lineNo, reason) =>
            refuse(
              `line ${lineNo} is ${reason === "invalid_utf8" ? "not valid UTF-8" : "too long"}`,
            ),
        });
        // An unfinished last line stays unfinished: the next append ends it.
        if (end.tail !== null) {
          const text = end.tail.bytes === null ? null : decodeStrict(end.tail.bytes);
          if (text === null) refuse(`its unfinished line ${end.tail.line} is not valid UTF-8`);
          else put?.(text);
        }
      } finally {
        fs.closeSync(fd);
      }
      return removed;
    };
    if (pass() === 0) return 0;
    let removed = 0;
    await atomicWrite(nodeFileSystem, file, { sync: true }, (put) => {
      removed = pass(put);
    });
    return removed;
  } catch (error) {
    if (error instanceof RolloutError) throw error;
    throw ioError("rewrite", file, error);
  } finally {
    held.release();
  }
}

const strict = new TextDecoder("utf-8", { fatal: true });

function decodeStrict(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Finds the rollout files of a home (SPEC §1): the dated folders and files placed flat in
 * `<home>/sessions`. Reads folder entries only; never opens a rollout. Kept lean: `list`
 * walks 10,000 names with it (BENCH.md B5).
 */
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { plainError } from "../base/mod.ts";
import { errnoOf, ioError, RolloutError } from "../schemas/mod.ts";
import { parseSessionFileName, sessionsDir } from "../store/mod.ts";

/**
 * A folder under `<home>/sessions` that could not be read (no permission, a failing disk), and
 * why: the walks go on without it, and the command says so (its sessions are left out, never
 * silently).
 */
export interface SkippedFolder {
  path: string;
  message: string;
}

/**
 * Where a walk puts the folders it could not read; without one, such a folder stops the walk
 * with an error naming it.
 */
export type Skipped = SkippedFolder[] | undefined;

/** A rollout file found in a home. */
export interface SessionFile {
  path: string;
  name: string;
}

/**
 * Whether a file name is one of ours to read: `*.jsonl`, `*.json` or Codex's compressed
 * `*.jsonl.zst`, no lock or temp file.
 */
export function isRolloutName(name: string): boolean {
  if (!name.endsWith(".jsonl") && !name.endsWith(".json") && !name.endsWith(".jsonl.zst")) {
    return false;
  }
  return !isSidecarName(name);
}

/**
 * Files rollout itself keeps beside a rollout: locks, temporary files, kept originals (of
 * repair, and of redact: those hold the secrets, and must not be listed or searched).
 */
export function isSidecarName(name: string): boolean {
  return name.includes(".tmp-") || name.endsWith(".lock") || name.includes(".corrupt-") ||
    name.includes(".unredacted-");
}

const DATED = /^rollout-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-/;

/**
 * The start time in a dated file name as `YYYY-MM-DDThh-mm-ss` (sorts as text), or null for
 * other names.
 */
export function nameStamp(name: string): string | null {
  return DATED.test(name) ? name.slice(8, 27) : null;
}

/** A time in the form of {@linkcode nameStamp}. */
export function stampOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replaceAll(":", "-");
}

/** The session id in a dated file name, or null. */
export function nameId(name: string): string | null {
  return parseSessionFileName(name)?.id ?? null;
}

/**
 * Every rollout file under `<home>/sessions` (up to the `YYYY/MM/DD` depth). `once`: each
 * session once, a `.jsonl.zst` beside its own `.jsonl` left out ({@linkcode besideItsPlain}),
 * found among the names of its folder (a set of all the paths of a home of 10,000 sessions
 * cost 8 ms).
 */
export function findSessionFiles(
  home: string,
  options: { once?: boolean; skipped?: Skipped } = {},
): SessionFile[] {
  const out: SessionFile[] = [];
  walk(sessionsDir(home), 0, out, { once: options.once === true, skipped: options.skipped });
  return out;
}

function walk(
  dir: string,
  depth: number,
  out: SessionFile[],
  how: { once: boolean; skipped: Skipped },
): void {
  const entries = entriesOf(dir, depth === 0, how.skipped);
  const twin = how.once ? twinsAmong(entries) : () => false;
  for (const entry of entries) {
    const name = String(entry.name);
    if (entry.isDirectory()) {
      if (depth < 3) walk(`${dir}/${name}`, depth + 1, out, how);
      continue;
    }
    // A FIFO, socket or device under a rollout's name is found too: reading it says what it
    // is (it is reported, never silently left out).
    if (!isRolloutName(name) || twin(name)) continue;
    out.push({ path: `${dir}/${name}`, name });
  }
}

/**
 * Whether a name among a folder's `entries` is a `.jsonl.zst` beside its own `.jsonl`
 * ({@linkcode besideItsPlain}); the folder's `.jsonl` names are gathered at its first
 * `.jsonl.zst` only.
 */
function twinsAmong(entries: readonly Entry[]): (name: string) => boolean {
  let plains: Set<string> | null = null;
  return (name) => {
    if (!name.endsWith(".jsonl.zst")) return false;
    plains ??= new Set(
      entries.filter((e) => e.isFile() && String(e.name).endsWith(".jsonl"))
        .map((e) => String(e.name)),
    );
    return besideItsPlain(name, plains);
  };
}

/**
 * The regular files of `<home>/sessions` and its folders (up to the `YYYY/MM/DD` depth),
 * whatever their names; a missing `sessions` folder has none.
 */
export function* filesUnder(dir: string, skipped?: Skipped, depth = 0): Generator<SessionFile> {
  for (const entry of entriesOf(dir, depth === 0, skipped)) {
    const name = String(entry.name);
    if (entry.isDirectory()) {
      if (depth < 3) yield* filesUnder(`${dir}/${name}`, skipped, depth + 1);
    } else if (entry.isFile()) {
      yield { path: `${dir}/${name}`, name };
    }
  }
}

/** A rollout file with its sort key: `YYYY-MM-DDThh-mm-ss <path>` (start time, else mtime). */
export interface KeyedFile {
  path: string;
  key: string;
}

function keyed(dir: string, name: string): KeyedFile | null {
  const path = `${dir}/${name}`;
  let stamp = nameStamp(name);
  if (stamp === null) {
    const stat = statSession(path);
    if (stat === null) return null;
    stamp = stampOf(stat.mtimeMs);
  }
  return { path, key: `${stamp} ${path}` };
}

const byKeyDescending = (
  a: KeyedFile,
  b: KeyedFile,
) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);

/** A folder entry as the walks see it: a symbolic link is what it points to. */
interface Entry {
  name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

/**
 * The entries of `dir`. `root`: `<home>/sessions` itself, which may be missing (no sessions)
 * and whose failure is the whole home's (an error, never a skip). A folder below it that
 * cannot be read goes to `skipped` when there is one.
 */
function entriesOf(dir: string, root: boolean, skipped: Skipped): Entry[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    // No sessions yet, or a folder gone since its parent was read: nothing is left out.
    if (errnoOf(error) === "ENOENT") return [];
    if (root || skipped === undefined) throw ioError("read folder", dir, error);
    skipped.push({ path: dir, message: `cannot read the folder: ${plainError(error)}` });
    return [];
  }
  return entries.map((entry) => (entry.isSymbolicLink() ? followed(dir, entry) : entry));
}

/**
 * A link followed (a session or a folder kept elsewhere and linked into the home: Codex's and
 * `validate`'s readers follow it too). A link to nothing, or in a loop, is taken as a file, so
 * that reading it says why it cannot be read rather than it being silently left out.
 */
function followed(dir: string, link: fs.Dirent): Entry {
  const name = String(link.name);
  let target: fs.Stats | null = null;
  try {
    target = fs.statSync(`${dir}/${name}`);
  } catch {
    target = null;
  }
  const folder = target?.isDirectory() === true;
  return { name, isFile: () => !folder, isDirectory: () => folder };
}

/**
 * Whether `file` (a name or a path) is a `.jsonl.zst` whose own `.jsonl` is in `present`: the
 * same session mid-way through Codex's (de)compression, which the plain file stands for, as in
 * Codex (codex-rs/rollout/src/compression.rs:986-988 at 343074d).
 */
export function besideItsPlain(file: string, present: ReadonlySet<string>): boolean {
  return file.endsWith(".jsonl.zst") && present.has(file.slice(0, -4));
}

/** The rollout files of one folder, newest first; a `.jsonl.zst` beside its `.jsonl` once. */
function folderFiles(dir: string, skipped: Skipped): KeyedFile[] {
  const out: KeyedFile[] = [];
  const entries = entriesOf(dir, false, skipped);
  const twin = twinsAmong(entries);
  for (const entry of entries) {
    const name = String(entry.name);
    if (!isRolloutName(name) || entry.isDirectory() || twin(name)) continue;
    const file = keyed(dir, name);
    if (file !== null) out.push(file);
  }
  return out.sort(byKeyDescending);
}

function numberedFolders(dir: string, digits: number, skipped: Skipped): string[] {
  const pattern = new RegExp(`^\\d{${digits}}$`);
  return entriesOf(dir, false, skipped)
    .filter((e) => e.isDirectory() && pattern.test(String(e.name)))
    .map((e) => String(e.name))
    .sort()
    .reverse();
}

function* datedFiles(
  root: string,
  years: readonly string[],
  skipped: Skipped,
): Generator<KeyedFile> {
  for (const year of years) {
    for (const month of numberedFolders(`${root}/${year}`, 2, skipped)) {
      for (const day of numberedFolders(`${root}/${year}/${month}`, 2, skipped)) {
        yield* folderFiles(`${root}/${year}/${month}/${day}`, skipped);
      }
    }
  }
}

/**
 * The rollout files of a home, newest start first, read lazily: the dated folders are opened
 * newest first and only as far as the caller consumes. Files placed flat in `sessions/`
 * (and in other folders there) are merged in by their name's time, else their mtime.
 */
export function* newestFirst(home: string, skipped?: Skipped): Generator<KeyedFile> {
  const root = sessionsDir(home);
  const loose: KeyedFile[] = [];
  const years: string[] = [];
  for (const entry of entriesOf(root, true, skipped)) {
    const name = String(entry.name);
    if (entry.isDirectory()) {
      if (/^\d{4}$/.test(name)) years.push(name);
      else {
        const nested: SessionFile[] = [];
        walk(`${root}/${name}`, 1, nested, { once: false, skipped });
        for (const file of nested) {
          const k = keyed(file.path.slice(0, -file.name.length - 1), file.name);
          if (k !== null) loose.push(k);
        }
      }
    } else if (isRolloutName(name)) {
      const file = keyed(root, name);
      if (file !== null) loose.push(file);
    }
  }
  const paths = new Set(loose.map((file) => file.path));
  const shown = loose.filter((file) => !besideItsPlain(file.path, paths));
  shown.sort(byKeyDescending);
  const dated = datedFiles(root, years.sort().reverse(), skipped);
  let next = dated.next();
  let i = 0;
  while (!next.done || i < shown.length) {
    const flat = shown[i];
    if (flat !== undefined && (next.done || flat.key > next.value.key)) {
      i++;
      yield flat;
    } else if (!next.done) {
      yield next.value;
      next = dated.next();
    }
  }
}

/**
 * The status of a session file the walk found, or null when it is gone since. A link to
 * nothing (or in a loop) gives the link's own status: it is kept, so that reading it says why
 * it cannot be read, rather than being silently left out.
 */
export function statSession(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch (error) {
    try {
      const link = fs.lstatSync(file);
      if (link.isSymbolicLink()) return link;
    } catch {
      // Not even the link is there.
    }
    if (errnoOf(error) === "ENOENT") return null;
    throw ioError("read", file, error);
  }
}

/**
 * The session ids named by the files beside `files` (their folders' names, no file opened):
 * the ids an id of theirs can share a long prefix with. UUIDv7 ids that share their first 8
 * characters were made within about a minute, so they lie in the same dated folder (but for
 * a minute around midnight UTC, where a prefix can come out one character short and a command
 * given it says it is ambiguous). Reading only these folders keeps `list` as cheap as its
 * lazy walk (BENCH.md B5).
 */
export function sessionIdsBeside(files: readonly string[]): string[] {
  const ids: string[] = [];
  for (const dir of new Set(files.map((file) => nodePath.dirname(file)))) {
    // A folder that cannot be read now holds no id to tell apart from.
    for (const entry of entriesOf(dir, false, [])) {
      const id = nameId(String(entry.name));
      if (id !== null) ids.push(id);
    }
  }
  return ids;
}

/** The real path of `file` (links resolved), or `file` itself when it cannot be resolved. */
export function realPathOf(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** Whether `file` is a symbolic link (false when it cannot be looked at). */
export function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Refuses a home that is no folder: reading one must not create it (a mistyped `--home` would
 * get an index of its own and report no sessions).
 */
export function assertHome(home: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(home);
  } catch (error) {
    if (errnoOf(error) !== "ENOENT") throw ioError("read the home", home, error);
    throw new RolloutError(
      "not_found",
      `No home at "${home}": the folder does not exist (give --home DIR, or set CODEX_HOME)`,
    );
  }
  if (!stat.isDirectory()) {
    throw new RolloutError("invalid_argument", `The home "${home}" is not a folder`);
  }
}

/**
 * SESSION arguments (SPEC §1, §8): a path, a full id, a unique id prefix, a session's title, or
 * `--last`. An id never becomes part of a path: it is only compared with the names of files
 * found in the home.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { visible } from "../base/mod.ts";
import { errnoOf, ioError, RolloutError } from "../schemas/mod.ts";
import { sessionsDir } from "../store/mod.ts";
import { readSessionHead } from "./session_head.ts";
import {
  findSessionFiles,
  isLink,
  nameId,
  realPathOf,
  type SkippedFolder,
  statSession,
} from "./session_files.ts";
import { threadNames } from "./thread_names.ts";

const ID_PREFIX = /^[0-9a-f][0-9a-f-]{0,35}$/;
const SHOWN = 10;

/** Options of {@linkcode resolveSession}. */
export interface ResolveOptions {
  home: string;
  /** The folder a relative path is taken from. */
  cwd: string;
}

/**
 * The path of the most recently updated session of the home: of the files that read as a
 * session (an empty file, one being created or one that cannot be read is passed over, as
 * `list` leaves it out).
 */
export function lastSession(home: string, skipped: SkippedFolder[] = []): string {
  const files: { path: string; mtimeMs: number }[] = [];
  for (const file of findSessionFiles(home, { skipped })) {
    const stat = statSession(file.path);
    if (stat !== null) files.push({ path: file.path, mtimeMs: stat.mtimeMs });
  }
  files.sort((a, b) => b.mtimeMs - a.mtimeMs);
  const found = files.find((file) => readSessionHead(file.path).ok);
  if (found === undefined) {
    throw notFound(
      files.length === 0
        ? `No sessions in "${sessionsDir(home)}"`
        : `No readable session in "${
          sessionsDir(home)
        }" (${files.length} file(s) that do not read as one: rollout list names them)`,
      skipped,
    );
  }
  return found.path;
}

/** Whether `file` is a regular file, something else (a folder, a FIFO), or missing. */
function kindOf(file: string): "file" | "other" | "missing" {
  try {
    return fs.statSync(file).isFile() ? "file" : "other";
  } catch (error) {
    const code = errnoOf(error);
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG") return "missing";
    throw ioError("read", file, error);
  }
}

/**
 * Turns a SESSION argument into the path of a rollout file, or throws naming the argument.
 * An existing file wins (a `.jsonl` archived since is found as its `.jsonl.zst`); else the
 * sessions whose id (in the file's name) starts with the (case-insensitive) prefix: one
 * session, or an error listing the candidates; else the session whose current title (`rollout
 * name`) is exactly `spec`, again one or an error listing them; else the sessions whose meta's
 * id starts with `spec` (ids that are no UUID, as `list` prints them).
 */
export function resolveSession(spec: string, options: ResolveOptions): string {
  // An empty argument (an unset `$ID`) would be a prefix of every id: it names nothing.
  if (spec.trim() === "") {
    throw new RolloutError("invalid_argument", "SESSION is empty: give a path, an id or a title");
  }
  const asPath = path.resolve(options.cwd, spec);
  const kind = kindOf(asPath);
  if (kind === "file") return asPath;
  // A .jsonl archived since (`rollout archive`): the session lives on as NAME.jsonl.zst.
  if (kind === "missing" && asPath.endsWith(".jsonl") && kindOf(`${asPath}.zst`) === "file") {
    return `${asPath}.zst`;
  }
  const prefix = spec.toLowerCase();
  const where = { home: options.home, skipped: [] as SkippedFolder[] };
  const looksLikePath = spec.includes("/") || spec.includes(path.sep) || /\.jsonl?$/.test(spec);
  // A folder or FIFO named as a path: the loader says what it is instead of "no such file".
  if (kind === "other" && looksLikePath) return asPath;
  const hex = ID_PREFIX.test(prefix);
  if (hex) {
    const matches = idMatches(prefix, where, "name");
    if (matches.length > 0) return pickOne(matches, { spec, what: "prefix" });
  }
  const titled = titledSessions(spec, where);
  if (titled.length > 0) return pickOne(titled, { spec, what: "title" });
  // The ids `list` and `search` print come from each file's meta: an id that is no UUID (the
  // 2025 format's, a TypeScript document's) or differs from the one in the file's name. Only
  // now, since it opens every file of the home.
  if (!looksLikePath) {
    const matches = idMatches(prefix, where, "meta");
    if (matches.length > 0) return pickOne(matches, { spec, what: "prefix" });
  }
  if (hex) {
    throw notFound(
      `Cannot find session "${spec}": no session id starts with it in "${
        sessionsDir(options.home)
      }"`,
      where.skipped,
    );
  }
  if (looksLikePath) throw notFound(`Cannot find session "${spec}": no such file`, []);
  throw new RolloutError(
    "invalid_argument",
    `Cannot find session "${spec}": not a file, a session id, an id prefix or a session title${
      skippedText(where.skipped)
    }`,
  );
}

/** A `not_found` error, saying which folders of the home could not be looked in. */
function notFound(message: string, skipped: readonly SkippedFolder[]): RolloutError {
  return new RolloutError("not_found", `${message}${skippedText(skipped)}`);
}

/** `; not looked in: "<folder>" (<why>)`, for each folder that could not be read. */
function skippedText(skipped: readonly SkippedFolder[]): string {
  const folders = new Map(skipped.map((folder) => [folder.path, folder.message]));
  if (folders.size === 0) return "";
  const named = [...folders].map(([folder, why]) =>
    `"${visible(folder, { oneLine: true })}" (${why})`
  );
  return `; not looked in: ${named.join(", ")}`;
}

/**
 * The sessions whose id starts with `prefix` (in lower case), each id taken from the file's
 * name (its meta where the name holds none), or with `meta`, from each file's meta.
 */
function idMatches(
  prefix: string,
  where: { home: string; skipped: SkippedFolder[] },
  by: "name" | "meta",
): { path: string; id: string }[] {
  const matches: { path: string; id: string }[] = [];
  for (const file of findSessionFiles(where.home, { skipped: where.skipped })) {
    const id = by === "name" ? nameId(file.name) ?? headId(file.path) : headId(file.path);
    if (id !== null && id.toLowerCase().startsWith(prefix)) matches.push({ path: file.path, id });
  }
  return matches;
}

/**
 * The files of the sessions whose current title is exactly `title` (Codex's `resume <name>`);
 * titles of sessions whose file is gone are passed over, as Codex does.
 */
function titledSessions(
  title: string,
  where: { home: string; skipped: SkippedFolder[] },
): { path: string; id: string }[] {
  const ids = new Set<string>();
  for (const [id, name] of threadNames(where.home)) {
    if (name === title) ids.add(id.toLowerCase());
  }
  if (ids.size === 0) return [];
  const matches: { path: string; id: string }[] = [];
  for (const file of findSessionFiles(where.home, { skipped: where.skipped })) {
    const id = nameId(file.name) ?? headId(file.path);
    if (id !== null && ids.has(id.toLowerCase())) matches.push({ path: file.path, id });
  }
  return matches;
}

/** The one file among `matches` (not empty), or an error naming the candidates. */
function pickOne(
  matches: { path: string; id: string }[],
  options: { spec: string; what: "prefix" | "title" },
): string {
  const { spec } = options;
  const only = matches[0]!;
  // A .jsonl.zst beside its own .jsonl is one file mid-way through Codex's compression.
  const plain = new Set(matches.map((m) => m.path));
  const files = matches.filter((m) => !(m.path.endsWith(".zst") && plain.has(m.path.slice(0, -4))));
  if (files.every((m) => m.id === only.id)) {
    if (files.length === 1) return files[0]!.path;
    // One file under two names (a link into the home): that file, by the name that is no link.
    const real = new Set(files.map((m) => realPathOf(m.path)));
    if (real.size === 1) return files.find((m) => !isLink(m.path))?.path ?? files[0]!.path;
    // One session in several files (a converted copy): never silently one of them.
    const listed = files.map((m) => `\n  ${m.path}`).sort().join("");
    throw new RolloutError(
      "invalid_argument",
      `Session "${spec}" is kept in ${files.length} files; name the one you mean by its path:${listed}`,
    );
  }
  const sorted = matches.sort((a, b) => a.path.localeCompare(b.path));
  const listed = sorted.slice(0, SHOWN).map((m) => `\n  ${m.id}  ${m.path}`).join("");
  const more = sorted.length > SHOWN ? `\n  ... and ${sorted.length - SHOWN} more` : "";
  const sessions = new Set(matches.map((m) => m.id)).size;
  throw new RolloutError(
    "invalid_argument",
    options.what === "prefix"
      ? `Session id prefix "${spec}" is ambiguous: ${sessions} sessions match:${listed}${more}`
      : `Session title "${spec}" is ambiguous: ${sessions} sessions have it; name one by its id:${listed}${more}`,
  );
}

function headId(file: string): string | null {
  const head = readSessionHead(file);
  return head.ok ? head.meta.id : null;
}

/** The id in the meta of the rollout at `file`; `invalid_rollout` when it has no usable meta. */
export function sessionIdOf(file: string): string {
  const head = readSessionHead(file);
  if (!head.ok) {
    throw new RolloutError("invalid_rollout", `Cannot read session "${file}": ${head.message}`);
  }
  return head.meta.id;
}

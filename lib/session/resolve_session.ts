/**
 * SESSION arguments (SPEC §1): a path, a full id, a unique id prefix, or `--last`. An id never
 * becomes part of a path: it is only compared with the names of files found in the home.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { errnoOf, ioError, RolloutError } from "../schemas/mod.ts";
import { sessionsDir } from "../store/mod.ts";
import { readSessionHead } from "./session_head.ts";
import { findSessionFiles, nameId, statSession } from "./session_files.ts";

const ID_PREFIX = /^[0-9a-f][0-9a-f-]{0,35}$/;
const SHOWN = 10;

/** Options of {@linkcode resolveSession}. */
export interface ResolveOptions {
  home: string;
  /** The folder a relative path is taken from. */
  cwd: string;
}

/** The path of the most recently updated session of the home. */
export function lastSession(home: string): string {
  let best: { path: string; mtimeMs: number } | null = null;
  for (const file of findSessionFiles(home)) {
    const stat = statSession(file.path);
    if (stat === null) continue;
    if (best === null || stat.mtimeMs > best.mtimeMs) best = { path: file.path, ...stat };
  }
  if (best === null) {
    throw new RolloutError("not_found", `No sessions in "${sessionsDir(home)}"`);
  }
  return best.path;
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
 * An existing file wins; else the sessions whose id starts with the (case-insensitive)
 * prefix: one session, or an error listing the candidates.
 */
export function resolveSession(spec: string, options: ResolveOptions): string {
  const asPath = path.resolve(options.cwd, spec);
  const kind = kindOf(asPath);
  if (kind === "file") return asPath;
  const prefix = spec.toLowerCase();
  const looksLikePath = spec.includes("/") || spec.includes(path.sep) || /\.jsonl?$/.test(spec);
  // A folder or FIFO named as a path: the loader says what it is instead of "no such file".
  if (kind === "other" && looksLikePath) return asPath;
  if (!ID_PREFIX.test(prefix)) {
    throw looksLikePath
      ? new RolloutError("not_found", `Cannot find session "${spec}": no such file`)
      : new RolloutError(
        "invalid_argument",
        `Cannot find session "${spec}": not a file, a session id or an id prefix`,
      );
  }
  const matches: { path: string; id: string }[] = [];
  for (const file of findSessionFiles(options.home)) {
    const id = nameId(file.name) ?? headId(file.path);
    if (id !== null && id.toLowerCase().startsWith(prefix)) matches.push({ path: file.path, id });
  }
  const [only] = matches;
  if (only === undefined) {
    throw new RolloutError(
      "not_found",
      `Cannot find session "${spec}": no session id starts with it in "${
        sessionsDir(options.home)
      }"`,
    );
  }
  // A .jsonl.zst beside its own .jsonl is one file mid-way through Codex's compression.
  const plain = new Set(matches.map((m) => m.path));
  const files = matches.filter((m) => !(m.path.endsWith(".zst") && plain.has(m.path.slice(0, -4))));
  if (files.every((m) => m.id === only.id)) {
    if (files.length === 1) return files[0]!.path;
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
  throw new RolloutError(
    "invalid_argument",
    `Session id prefix "${spec}" is ambiguous: ${
      new Set(matches.map((m) => m.id)).size
    } sessions match:${listed}${more}`,
  );
}

function headId(file: string): string | null {
  const head = readSessionHead(file);
  return head.ok ? head.meta.id : null;
}

/**
 * `rollout validate` (SPEC §5): which files to check (folders searched recursively) and the
 * verdict on one file, in the shape `validate --json` prints. Reads only; changes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, errnoOf, plainError, RolloutError, type RolloutFormat } from "../schemas/mod.ts";
import { describeDamage, streamRollout, TemporaryCopyFailed } from "../formats/mod.ts";
import { isRolloutName, isSidecarName } from "./session_files.ts";

/** One finding with its place in the file (null for a whole-file or document finding). */
export interface ValidationError {
  line: number | null;
  offset: number | null;
  message: string;
}

/** The verdict on one file. */
export interface ValidationResult {
  path: string;
  ok: boolean;
  format: RolloutFormat | null;
  items: number;
  errors: ValidationError[];
  warnings: string[];
}

/** A file to validate: named on the command line, or found in a folder. */
export interface CollectedFile {
  path: string;
  /** Found in a folder under a name that is no rollout's: reported, not read. */
  foreign: boolean;
  /** Why the entry could not be read at all (a dangling link, a folder it cannot list). */
  unreadable?: string | null;
  /** What `validate` says of a foreign entry instead of the name warning. */
  note?: string;
}

/**
 * The files named by `paths`: files as given, folders searched (sorted) for rollout files.
 * Anything else found in a folder is listed too, so nothing there is silently invisible;
 * rollout's own lock, temporary and kept-original files are left out.
 */
export function collectFiles(paths: readonly string[], cwd: string): CollectedFile[] {
  const out: CollectedFile[] = [];
  for (const given of paths) {
    const full = path.resolve(cwd, given);
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(full);
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") {
        out.push({ path: full, foreign: false, unreadable: plainError(error) });
        continue;
      }
    }
    if (stat?.isDirectory()) walk(full, out, new Set([fs.realpathSync(full)]));
    else out.push({ path: full, foreign: false });
  }
  return out;
}

/**
 * The files of `dir`, sorted, folders recursively. Symbolic links are followed (as `list`
 * does), a folder already on the way is not entered twice (a loop), and an entry that cannot
 * be read is reported as such: the walk goes on.
 */
function walk(dir: string, out: CollectedFile[], seen: Set<string>): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    out.push({
      path: dir,
      foreign: false,
      unreadable: `cannot read the folder: ${plainError(error)}`,
    });
    return;
  }
  const names = entries.map((e) => String(e.name)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const full = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (error) {
      out.push({ path: full, foreign: false, unreadable: plainError(error) });
      continue;
    }
    if (stat.isDirectory()) {
      const real = fs.realpathSync(full);
      if (seen.has(real)) {
        out.push({
          path: full,
          foreign: true,
          unreadable: null,
          note: "a link back to a folder already checked: not entered again",
        });
        continue;
      }
      walk(full, out, new Set([...seen, real]));
    } else if (isSidecarName(name)) continue;
    else if (!stat.isFile() && isRolloutName(name)) {
      // Named as a rollout, but a FIFO, device or socket: no rollout, and never opened.
      out.push({ path: full, foreign: false, unreadable: plainError({ code: "ENOTREG" }) });
    } else out.push({ path: full, foreign: !(stat.isFile() && isRolloutName(name)) });
  }
}

/** What `validate` says of a file in a folder that is no rollout by its name. */
export const FOREIGN_WARNING = "not a rollout file name (*.jsonl, *.json, *.jsonl.zst): not read";

/** Checks one file. A torn tail is a warning, or an error when `strict`. */
export async function validateFile(
  file: string | CollectedFile,
  options: {
    strict: boolean;
    /** A progress line's callback while a large file is read (SPEC §7). */
    progress?: ((read: number, total: number, lines: number) => void) | null;
  },
): Promise<ValidationResult> {
  if (typeof file !== "string") {
    if (typeof file.unreadable === "string") {
      return {
        path: file.path,
        ok: false,
        format: null,
        items: 0,
        errors: [{ line: null, offset: null, message: file.unreadable }],
        warnings: [],
      };
    }
    if (file.foreign) {
      return {
        path: file.path,
        ok: true,
        format: null,
        items: 0,
        errors: [],
        warnings: [file.note ?? FOREIGN_WARNING],
      };
    }
    return await validateFile(file.path, options);
  }
  let loaded;
  try {
    loaded = await streamRollout(file, {
      history: "count",
      progress: options.progress ?? null,
      between: () => {},
      lean: true,
    });
  } catch (error) {
    // The temporary folder failing is no verdict on the file: the run stops and says why.
    if (error instanceof TemporaryCopyFailed) throw error;
    const message = describe(error);
    const prefix = `Cannot load rollout "${file}": `;
    const reason = error instanceof RolloutError && message.startsWith(prefix)
      ? message.slice(prefix.length)
      : message.replace(`"${file}": `, "");
    return {
      path: file,
      ok: false,
      format: null,
      items: 0,
      errors: [{ line: null, offset: null, message: reason }],
      warnings: [],
    };
  }
  const report = loaded.report;
  // Ordinals Codex refuses make the file invalid for Codex (SPEC §6), though every record
  // is kept.
  const errors: ValidationError[] = [...report.skipped_lines, ...report.ordinal_errors ?? []]
    .map((s) => ({ line: s.line, offset: s.offset, message: s.message }));
  const warnings: string[] = [];
  if (report.torn_tail !== null) {
    const t = report.torn_tail;
    const message = `torn tail of ${t.bytes} byte(s) (an unfinished write)`;
    if (options.strict) errors.push({ line: t.line, offset: t.offset, message });
    else warnings.push(`line ${t.line} (byte ${t.offset}): ${message}`);
  }
  const { ordinal_errors: _ordinals, ...others } = report;
  const rest = describeDamage({ ...others, torn_tail: null, skipped_lines: [] });
  warnings.push(...rest);
  return {
    path: file,
    ok: errors.length === 0,
    format: loaded.format,
    items: loaded.itemCount,
    errors,
    warnings,
  };
}

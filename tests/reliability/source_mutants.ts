/**
 * The deliberate bugs of the crash tiers (RELIABILITY.md tier 1 mutants, tier 9's), applied
 * from outside the shipped code: each is a set of source patches to a scratch copy of lib/,
 * whose writers a campaign then runs. lib/ itself is never changed. Test-only.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { ROOT } from "../helpers.ts";
import { type Writers, writersIn } from "./writers.ts";

/** Replace the one occurrence of `find` in `file` (relative to the repository) by `replace`. */
export interface Patch {
  file: string;
  find: string;
  replace: string;
}

/** A deliberate bug: what it is, and the patches that make it. */
export interface SourceMutant {
  name: string;
  bug: string;
  patches: readonly Patch[];
}

/** The table's entries named by their keys. */
function named<N extends string>(
  table: Record<N, Omit<SourceMutant, "name">>,
): Record<N, SourceMutant> {
  const entries = Object.entries<Omit<SourceMutant, "name">>(table);
  return Object.fromEntries(entries.map(([name, m]) => [name, { name, ...m }])) as Record<
    N,
    SourceMutant
  >;
}

const RECORDER = "lib/store/recorder.ts";
const REPLACE = "lib/store/atomic_replace.ts";
const JOURNAL = "lib/store/journal_sink.ts";
const ARCHIVE = "lib/store/archive.ts";
const PRUNE = "lib/session/prune_session.ts";

/** The writer's mutants (tier 1): each must be caught by the CrashFS campaign. */
export const WRITER_MUTANTS = named({
  ack_before_sync: {
    bug: "acknowledge a batch before it is written and synced",
    patches: [{
      file: RECORDER,
      find: "    const committed = () => {\n",
      replace: "    this.#settleAll(batch);\n    const committed = () => {\n",
    }],
  },
  no_sync_before_rename: {
    bug: "rename the temporary file without syncing it first",
    patches: [{ file: REPLACE, find: "if (options.sync) fsys.fsync(temp.fd);", replace: "" }],
  },
  no_folder_sync: {
    bug: "never sync the folder after a create or rename",
    patches: [{
      file: REPLACE,
      find: "if (options.sync) syncDirectory(fsys, path.dirname(target));",
      replace: "",
    }],
  },
  no_tail_cut: {
    bug: "append after a torn tail without cutting it",
    patches: [{
      file: JOURNAL,
      find: "if (size > this.#durable) this.#fs.truncate(fd, this.#durable);",
      replace: "",
    }],
  },
  no_line_end_added: {
    bug: "keep a whole last record without its `\\n`, then append after it without adding one",
    patches: [{
      file: JOURNAL,
      find: "if (this.#lineEndMissing) this.#addLineEnd(fd);",
      replace: "",
    }],
  },
});

/** A writer mutant's name. */
export type WriterMutant = keyof typeof WRITER_MUTANTS;

/** The mutants of archive, restore and prune (tier 9). */
export const ARCHIVE_MUTANTS = named({
  unlink_before_rename: {
    bug: "remove the old form before the new one is renamed into place",
    patches: [
      {
        file: ARCHIVE,
        find: "const written = await replaceVerified(fsys, packed,",
        replace: "fsys.unlink(file);\n    const written = await replaceVerified(fsys, packed,",
      },
      {
        file: ARCHIVE,
        find: 'removeDurably(fsys, file, sync);\n    return {\n      status: "archived",',
        replace: 'return {\n      status: "archived",',
      },
      {
        file: ARCHIVE,
        find: "const written = await replaceVerified(fsys, plainPath,",
        replace: "fsys.unlink(file);\n    const written = await replaceVerified(fsys, plainPath,",
      },
      {
        file: ARCHIVE,
        find: 'removeDurably(fsys, file, sync);\n    return { status: "restored",',
        replace: 'return { status: "restored",',
      },
    ],
  },
  no_sync_before_rename: {
    bug: "rename the new form without syncing it first",
    patches: [{ file: ARCHIVE, find: "if (sync) fsys.fsync(temp.fd);", replace: "" }],
  },
  no_folder_sync: {
    bug: "never sync the folder after the rename",
    patches: [{
      file: ARCHIVE,
      find: "else if (sync) syncDirectory(fsys, path.dirname(target));",
      replace: "",
    }],
  },
  no_verify: {
    bug: "skip the byte-for-byte check of the new form",
    patches: [{
      file: ARCHIVE,
      find: "refused = await steps.check({ fd, size: fsys.size(fd) });",
      replace: "refused = null;",
    }],
  },
  plain_first: {
    bug: "prune removes the plain file before its archive",
    patches: [{
      file: PRUNE,
      find: "[...group.rollouts, ...group.sidecars]",
      replace: "[...[...group.rollouts].reverse(), ...group.sidecars]",
    }],
  },
});

/** An archive mutant's name. */
export type ArchiveMutant = keyof typeof ARCHIVE_MUTANTS;

/** Where the copies go, inside the repository so that bare imports resolve to its node_modules. */
export const SCRATCH = path.join(ROOT, ".mutants");

/** `text` with `patch` applied; throws unless its `find` occurs exactly once (a stale mutant). */
export function patched(text: string, mutant: string, patch: Patch): string {
  const count = text.split(patch.find).length - 1;
  if (count !== 1) {
    throw new Error(
      `Cannot apply mutant "${mutant}" to ${patch.file}: the text to replace occurs ${count} times, expected once (the code changed: update the mutant): ${
        JSON.stringify(patch.find)
      }`,
    );
  }
  return text.replace(patch.find, () => patch.replace);
}

let copies = 0;

/**
 * Runs `run` with the writers of a copy of lib/ that has `mutant`'s bug: lib/ is copied to
 * `.mutants/<name>-<pid>-<n>/lib`, patched, and its modules imported from there. The copy is
 * removed afterwards, also when a patch or `run` fails.
 */
export async function withMutant<T>(
  mutant: SourceMutant,
  run: (writers: Writers) => Promise<T>,
): Promise<T> {
  const root = path.join(SCRATCH, `${mutant.name}-${process.pid}-${++copies}`);
  try {
    fs.cpSync(path.join(ROOT, "lib"), path.join(root, "lib"), { recursive: true });
    for (const patch of mutant.patches) {
      const file = path.join(root, patch.file);
      fs.writeFileSync(file, patched(fs.readFileSync(file, "utf8"), mutant.name, patch));
    }
    return await run(await writersIn(root));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    removeIfEmpty(SCRATCH);
  }
}

/** Removes `dir` unless another run's copy is still in it. */
function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOENT") throw error;
  }
}

/**
 * Why the mutants cannot be applied here, or false: in a StrykerJS sandbox the code under
 * mutation is instrumented, so no patch finds the text it was written against.
 */
export function sourceMutantsSkip(): string | false {
  const all = [...Object.values(WRITER_MUTANTS), ...Object.values(ARCHIVE_MUTANTS)];
  for (const file of new Set(all.flatMap((m) => m.patches.map((p) => p.file)))) {
    if (fs.readFileSync(path.join(ROOT, file), "utf8").includes("stryMutAct_")) {
      return `${file} is instrumented by StrykerJS; the source mutants patch the code as written`;
    }
  }
  return false;
}

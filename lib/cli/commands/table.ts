/**
 * The commands of the command line (SPEC §5): usage lines, help texts and a lazy loader for
 * each. Holds text only, so `--version` and `--help` never load the store or zod.
 */
import type { Io } from "../../runtime/mod.ts";

/** A command's entry point: its arguments after the command name; returns the exit status. */
export type CommandMain = (argv: readonly string[], io: Io) => Promise<number>;

/** What the command line knows about a command before loading it. */
export interface CommandInfo {
  /** The usage line, as printed after `Usage: ` and with usage errors. */
  readonly usage: string;
  /** One line for the overview. */
  readonly summary: string;
  /** The options and details `help COMMAND` prints. */
  readonly details: string;
  readonly load: () => Promise<{ main: CommandMain }>;
}

const HOME = "  --home DIR        the home folder (default: $CODEX_HOME, else ~/.codex)";
/** What the reading commands say of large files. */
const STREAMED = `Written as the file is read: any size in bounded memory; on a terminal, a read
longer than a second shows its progress on stderr.`;
const SESSION =
  "SESSION is a path, a session id, a unique prefix of one, or --last (the most recently\nupdated session).";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandInfo>> = {
  proto: {
    usage: "rollout proto [--home DIR] [--format jsonl|json] [--no-fsync] [--max-line-bytes N]",
    summary: "speak the op stream: Submissions on stdin, Events on stdout",
    details: `Reads one Submission per line on stdin and writes one Event per line on stdout, in
Codex's protocol shapes; every line gets exactly one event, in order. Acknowledgements of
recording ops come only once the data is synced. The README lists the ops and events.

Options:
${HOME}
  --format jsonl|json  the format of new sessions (default: jsonl, the journal)
  --no-fsync        acknowledge without syncing to disk: faster, and the data survives a
                    crash of the process but NOT a crash of the machine or a power loss
  --max-line-bytes N  refuse a line (op or item) above N bytes (default: 67108864)`,
    load: () => import("./proto.ts"),
  },
  new: {
    usage:
      "rollout new [--home DIR] [--format jsonl|json] [--instructions TEXT] [--cwd DIR] [--json]",
    summary: "create an empty session and print its id and path",
    details: `Options:
${HOME}
  --format jsonl|json  journal (default) or document
  --instructions TEXT  the session's instructions
  --cwd DIR         the working folder recorded in the meta (default: the current one)
  --json            print {"session_id","path"}`,
    load: () => import("./new.ts"),
  },
  append: {
    usage: "rollout append SESSION [--item JSON]... [--home DIR]",
    summary: "append items (without --item: one JSON item per line on stdin)",
    details: `Every item is checked first; items are durable when the command succeeds.
${SESSION}

Options:
${HOME}
  --item JSON       an item to append (repeatable); without it, items are read from stdin
  --last            use the most recently updated session`,
    load: () => import("./append.ts"),
  },
  state: {
    usage: "rollout state SESSION (--previous-response-id ID | --clear) [--home DIR]",
    summary: "set or clear previous_response_id",
    details: `${SESSION}

Options:
${HOME}
  --previous-response-id ID  the new previous_response_id
  --clear           remove previous_response_id
  --last            use the most recently updated session`,
    load: () => import("./state.ts"),
  },
  load: {
    usage: "rollout load SESSION [--all] [--home DIR]",
    summary: "print the SavedSession as pretty JSON",
    details: `The items are the effective history: what a resumed conversation continues from,
after Codex's compactions and rollbacks. Damage met while reading is reported on stderr.
${STREAMED}
${SESSION}

Options:
${HOME}
  --all             every response item of the file instead, and its records by type
  --last            use the most recently updated session`,
    load: () => import("./load.ts"),
  },
  show: {
    usage: "rollout show SESSION [--home DIR]",
    summary: "print a readable transcript (colour on a terminal, NO_COLOR honoured)",
    details: `Every item, with a marker where Codex's history was compacted or rolled back. Long
tool outputs are folded; damage met while reading is reported on stderr.
${STREAMED}
${SESSION}

Options:
${HOME}
  --last            use the most recently updated session`,
    load: () => import("./show.ts"),
  },
  export: {
    usage: "rollout export SESSION --to md|json|jsonl [-o FILE] [--home DIR]",
    summary: "export as Markdown, a SavedSession document or a journal",
    details: `${SESSION}

Options:
${HOME}
  --to md|json|jsonl  Markdown transcript, SavedSession JSON, or journal lines
  -o, --output FILE  write to FILE (never over an existing file) instead of stdout
  --last            use the most recently updated session`,
    load: () => import("./export.ts"),
  },
  validate: {
    usage:
      "rollout validate PATH... [--json | --format text|github|junit] [-o FILE] [--strict] [--home DIR]",
    summary: "check rollout files and folders (recursively); exit 1 if any is invalid",
    details: `Folders are searched for *.jsonl, *.json and *.jsonl.zst files; other files there
are listed as not checked. A torn tail (what a crash leaves) is a warning, an error with
--strict. An ordinal Codex would refuse is an error (the record itself is kept).

Options:
${HOME}
  --json            print [{"path","ok","format","items","errors","warnings"}]
  --format text     the readable report (default)
  --format github   one GitHub Actions annotation per problem (::error file=...,line=...::),
                    then the summary
  --format junit    JUnit XML, one test case per file (with -o, the text report on stdout)
  -o, --output FILE  write the report to FILE instead of stdout (replaced if it exists)
  --strict          treat a torn tail as an error`,
    load: () => import("./validate.ts"),
  },
  list: {
    usage: "rollout list [--limit N] [--cwd DIR] [--json] [--home DIR]",
    summary: "list sessions, newest first",
    details: `Options:
${HOME}
  --limit N         at most N sessions
  --cwd DIR         only sessions recorded in DIR
  --json            print [{"id","path","created","updated","cwd","items","preview","format"}]`,
    load: () => import("./list.ts"),
  },
  convert: {
    usage: "rollout convert SESSION --to jsonl|json [-o PATH] [--home DIR]",
    summary: "write a copy in the journal or document format",
    details: `The copy goes beside the original with the new extension unless -o is given; an
existing file is never overwritten. A journal copy keeps every record with its timestamp
and is a Codex paginated rollout: what Codex requires and the source lacks (a UUID id, cwd,
...) is filled in and named. A document copy keeps the effective history and names what it
leaves out.
${SESSION}

Options:
${HOME}
  --to jsonl|json   journal or document
  -o, --output PATH  where to write the copy
  --last            use the most recently updated session`,
    load: () => import("./convert.ts"),
  },
  fork: {
    usage: "rollout fork SESSION [--at N] [--format jsonl|json] [--json] [--home DIR]",
    summary: "start a new session with the first N items of another",
    details: `The new session's meta names its parent in forked_from_id; the parent's records up
to item N are copied with their timestamps. N counts the effective history (after Codex's
compactions and rollbacks). The state is kept only when every item is kept.
${SESSION}

Options:
${HOME}
  --at N            keep the first N items (default: all)
  --format jsonl|json  the new session's format (default: jsonl)
  --json            print {"session_id","path"}
  --last            use the most recently updated session`,
    load: () => import("./fork.ts"),
  },
  selftest: {
    usage: "rollout selftest [--json] [--home DIR]",
    summary: "check that this machine's file system keeps rollout's guarantees",
    details: `Works in a temporary folder on the file system of the home (or of its nearest existing
parent) and removes it: an acknowledged append survives SIGKILL of its writer, the writer
lock refuses a second process and is released when its holder dies, fdatasync and fsync of
files and folders succeed (with their latency), rename replaces atomically, new files are
0600 in 0700 folders, the clock is sane. Exit 1 if any check fails. Run it in CI on the
runner's own disk: overlay, network and some container file systems break these.

Options:
${HOME}
  --json            print {"root","file_system","ok","checks":[{"name","ok","ms","detail"}]}`,
    load: () => import("./selftest.ts"),
  },
  repair: {
    usage: "rollout repair PATH [--home DIR]",
    summary: "rewrite a damaged rollout with what can be read, keeping the original",
    details:
      `The original stays beside it as PATH.corrupt-<time>; what was dropped is printed. Every
record is kept, whatever its type; only lines that are no record and a torn tail go, and a
paginated file's ordinals are renumbered. A file whose meta or document structure is
damaged keeps the items that still read, under a rebuilt meta (said in the report). A file
without damage is left alone. Crash safe: PATH always holds either the original or the copy.

Options:
${HOME}`,
    load: () => import("./repair.ts"),
  },
};

/** The text of `rollout --help`. */
export function overview(version: string): string {
  const lines = [`rollout ${version}: durable session recording for AI agents`, "", "Usage:"];
  for (const info of Object.values(COMMANDS)) lines.push(`  ${info.usage}`);
  lines.push("  rollout --version | --help | help COMMAND", "", "Commands:");
  for (const [name, info] of Object.entries(COMMANDS)) {
    lines.push(`  ${name.padEnd(9)} ${info.summary}`);
  }
  lines.push("", "Exit status: 0 success, 1 failure, 2 usage error.", "");
  return lines.join("\n");
}

/** The text of `rollout help COMMAND`. */
export function commandHelp(info: CommandInfo): string {
  return `Usage: ${info.usage}\n\n${info.summary[0]!.toUpperCase()}${
    info.summary.slice(1)
  }.\n\n${info.details}\n`;
}

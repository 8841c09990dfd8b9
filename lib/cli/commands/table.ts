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
/** The options of the commands that also read the fleet store. */
const FROM =
  `  --from URL        read the fleet store (PostgreSQL) at URL instead of the home: every
                    machine's sessions (--from '' takes $ROLLOUT_DATABASE_URL)
  --machine NAME    with --from: only the sessions of machine NAME`;
/** What the reading commands say of large files. */
const STREAMED = `Written as the file is read: any size in bounded memory; on a terminal, a read
longer than a second shows its progress on stderr.`;
const SESSION =
  "SESSION is a path, a session id, a unique prefix of one, a session's title (rollout name),\nor --last (the most recently updated session).";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandInfo>> = {
  proto: {
    usage:
      "rollout proto [--home DIR] [--format jsonl|json] [--no-fsync] [--max-line-bytes N] [--redact]",
    summary: "speak the op stream: Submissions on stdin, Events on stdout",
    details: `Reads one Submission per line on stdin and writes one Event per line on stdout, in
Codex's protocol shapes; every line gets exactly one event, in order. Acknowledgements of
recording ops come only once the data is synced. The README lists the ops and events.

Options:
${HOME}
  --format jsonl|json  the format of new sessions (default: jsonl, the journal)
  --no-fsync        acknowledge without syncing to disk: faster, and the data survives a
                    crash of the process but NOT a crash of the machine or a power loss
  --max-line-bytes N  refuse a line (op or item) above N bytes (default: 67108864)
  --redact          replace secrets (API keys, tokens, passwords, private keys) in items by
                    [REDACTED:<rule>] before anything reaches disk; new sessions are marked
                    so later writers redact too; items_recorded counts them by rule`,
    load: () => import("./proto.ts"),
  },
  new: {
    usage:
      "rollout new [--home DIR] [--format jsonl|json] [--instructions TEXT] [--cwd DIR] [--redact] [--json]",
    summary: "create an empty session and print its id and path",
    details: `Options:
${HOME}
  --format jsonl|json  journal (default) or document
  --instructions TEXT  the session's instructions
  --cwd DIR         the working folder recorded in the meta (default: the current one)
  --redact          a session that redacts: secrets in its meta and in every item appended
                    later (append, proto) become [REDACTED:<rule>] before they reach disk
  --json            print {"session_id","path"}`,
    load: () => import("./new.ts"),
  },
  append: {
    usage: "rollout append SESSION [--item JSON]... [--home DIR]",
    summary: "append items (without --item: one JSON item per line on stdin)",
    details: `Every item is checked first; items are durable when the command succeeds. In a
session made with new --redact, secrets are replaced first and counted by rule.
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
    usage: "rollout load SESSION [--all] [--home DIR | --from URL [--machine NAME]]",
    summary: "print the SavedSession as pretty JSON",
    details: `The items are the effective history: what a resumed conversation continues from,
after Codex's compactions and rollbacks; a note on stderr counts what they left out. Damage
met while reading is reported on stderr.
${STREAMED}
${SESSION}

Options:
${HOME}
${FROM}
  --all             every response item of the file instead, and its records by type
  --last            use the most recently updated session`,
    load: () => import("./load.ts"),
  },
  show: {
    usage: "rollout show SESSION [--at N] [--no-redact] [--home DIR | --from URL [--machine NAME]]",
    summary: "print a readable transcript (colour on a terminal, NO_COLOR honoured)",
    details: `Every item, with a marker where Codex's history was compacted or rolled back. Long
tool outputs are folded; damage met while reading is reported on stderr.
${STREAMED}
${SESSION}

Item numbers: item N is the Nth response item stored in the file itself, counted in file
order from 1: every message, tool call, tool output and reasoning item, including those a
later compaction or rollback took out of the history; not history markers, instructions,
other records, damaged lines or the items a fork inherits. search reports its hits with
these numbers (load and fork count the effective history instead).

Options:
${HOME}
${FROM}
  --at N            start at item N: the header, then a line saying how many items were
                    passed over, then item N and everything after it (markers and
                    instructions before item N are passed over too); an N beyond the last
                    item is an error naming the item count
  --no-redact       show secrets as stored (by default they are shown as [REDACTED:<rule>],
                    and a note on stderr counts them by rule)
  --last            use the most recently updated session`,
    load: () => import("./show.ts"),
  },
  export: {
    usage:
      "rollout export SESSION --to md|html|json|jsonl [-o FILE] [--no-redact] [--home DIR | --from URL [--machine NAME]]",
    summary: "export as Markdown, an HTML page, a SavedSession document or a journal",
    details: `${SESSION}

Options:
${HOME}
${FROM}
  --to md|html|json|jsonl  Markdown transcript, a self-contained HTML page (searchable,
                    no network), SavedSession JSON, or journal lines
  -o, --output FILE  write to FILE (never over an existing file) instead of stdout
  --no-redact       export secrets as stored (by default API keys, tokens, passwords and
                    private keys become [REDACTED:<rule>]; a note on stderr counts them)
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
  -o, --output FILE  write the report to FILE instead of stdout (replaced if it exists,
                    refused if it is a rollout or one of the files checked)
  --strict          treat a torn tail as an error`,
    load: () => import("./validate.ts"),
  },
  list: {
    usage:
      "rollout list [--limit N] [--cwd DIR] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]",
    summary: "list sessions, newest first",
    details: `Read through the session index (<home>/rollout/index.sqlite), which is brought up
to date first: only files that changed since the last time are read. The index is a cache:
deleting it loses nothing. ITEMS counts the response items stored in each file; rollout load
gives the effective history (after Codex's compactions and rollbacks).

Options:
${HOME}
${FROM}
  --limit N         at most N sessions
  --cwd DIR         only sessions recorded in DIR
  --no-redact       show secrets in titles and first messages as they are (replaced by default)
  --json            print [{"id","title","path","created","updated","cwd","items","preview",
                    "format","size"}]`,
    load: () => import("./list.ts"),
  },
  search: {
    usage:
      "rollout search QUERY [--cwd DIR] [--since DATE] [--until DATE] [--role user|assistant|tool] [--limit N] [--json] [--no-redact] [--home DIR | --from URL [--machine NAME]]",
    summary: "find sessions by what was said in them, newest first",
    details: `Searches message text, tool calls and tool outputs of every session of the home
(Codex's and compressed ones included) and session titles, through the session index
(<home>/rollout/index.sqlite), which is brought up to date first: only what changed since
the last time is read. Each hit names the session, the time, the item (open it with
"rollout show SESSION --at N"), the role and the words around the match.

QUERY: words (all must occur), "a phrase", prefix*, OR, NOT, AND and (...); a term with
punctuation (package.json, e-mail) is the phrase it spells. Quote it for the shell:
rollout search '"disk full" OR enospc'.
DATE: 2026-11-30, 2026-11-30T14:00:00Z, or a time ago: 90m, 12h, 7d, 2w.

Options:
${HOME}
${FROM}
  --cwd DIR         only sessions recorded in DIR
  --since DATE      only hits at or after DATE
  --until DATE      only hits before DATE
  --role ROLE       only what the user said, the assistant said, or tools (calls, outputs)
  --limit N         at most N hits (default: 20)
  --no-redact       show secrets in snippets and titles as they are (replaced by default)
  --json            print [{"session_id","title","path","time","cwd","item","line","role",
                    "kind","snippet","highlights"}]; highlights are [start, end) offsets
                    of the matched words in the snippet`,
    load: () => import("./search.ts"),
  },
  du: {
    usage: "rollout du [--limit N] [--json] [--home DIR | --from URL [--machine NAME]]",
    summary: "where the disk went: bytes per session, month and folder, and of what",
    details: `Sizes on disk of every session file, the biggest first, by month and by working
folder, and what the text holds: inline images, tool output, compaction copies (Codex copies
the history, images included, each time it compacts) and the rest. Read through the session
index, brought up to date first.

Options:
${HOME}
${FROM}
  --limit N         list the N biggest sessions (default: 20)
  --json            print {"total","sessions","months","cwds","unreadable","skipped_folders"}`,
    load: () => import("./du.ts"),
  },
  usage: {
    usage:
      "rollout usage [--since DATE] [--by day|session|model|cwd] [--json] [--home DIR | --from URL [--machine NAME]]",
    summary: "token usage from Codex's token counts, counted once",
    details: `Input, cached input, output and reasoning tokens from the token_count events Codex
records, counted right: cached input is part of input and reasoning part of output (never
added on top), a total Codex repeats is counted once, and a fork does not count again the
turns it copied from its parent. The model of each turn is the one its turn_context names.
Sessions without token counts are counted as such.
DATE: 2026-11-30, 2026-11-30T14:00:00Z, or a time ago: 90m, 12h, 7d, 2w.

Options:
${HOME}
${FROM}
  --since DATE      only turns at or after DATE
  --by KEY          group by day (default), session, model or cwd
  --json            print the groups, the totals, the sessions without usage and those with
                    token counts that could not be read, as JSON`,
    load: () => import("./usage.ts"),
  },
  sync: {
    usage: "rollout sync [--to URL] [--watch] [--machine NAME] [--redact] [--json] [--home DIR]",
    summary: "push every session of the home to the fleet store (PostgreSQL)",
    details: `Pushes every session file of the home (all formats, .jsonl.zst too) to the
PostgreSQL database at URL, record by record, with what search, list, usage and du need,
so that "rollout list|search|show|load|export|usage|du --from URL" answer for every machine.
Only what changed since the last sync is read (a grown session from where it stopped). Killed
at any moment and run again, the database ends with exactly the records of the files. A file
that is no readable rollout, or a folder that cannot be read, is named on stderr. The
tables are created (and migrated) by the first sync; see docs/fleet.md for the roles to give.

URL: postgres://USER:PASSWORD@HOST:PORT/DATABASE; without --to, $ROLLOUT_DATABASE_URL. The
password is never printed, in output or errors.

Options:
${HOME}
  --to URL          the database (default: $ROLLOUT_DATABASE_URL)
  --watch           keep following the home and push each change as it lands, until
                    stopped (Ctrl-C, SIGTERM); a database that goes away is tried again
                    with backoff, and the home caught up when it is back
  --machine NAME    the name this machine's sessions are kept under (default: the host name)
  --redact          replace secrets (tokens, keys, passwords) before anything leaves the
                    machine; what was replaced is counted on stderr
  --json            print the counts as one JSON line (with "unreadable_files" and
                    "skipped_folders")`,
    load: () => import("./sync.ts"),
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
    details: `The new session's meta names its parent in forked_from_id (when the parent's id is a
UUID, as Codex requires there) and has a session id of its own; the parent's records up to
item N are copied with their timestamps. N counts the effective history (after Codex's
compactions and rollbacks). The state is kept only when every item is kept. What Codex
requires and the parent lacks is filled in and named.
${SESSION}

Options:
${HOME}
  --at N            keep the first N items (default: all)
  --format jsonl|json  the new session's format (default: jsonl)
  --json            print {"session_id","path"}
  --last            use the most recently updated session`,
    load: () => import("./fork.ts"),
  },
  name: {
    usage: "rollout name SESSION [TITLE | --clear] [--home DIR]",
    summary: "give a session a title (as Codex names threads), remove it, or show it",
    details: `Appends {"id","thread_name","updated_at"} to <home>/session_index.jsonl, where Codex
keeps thread names: the newest entry for a session wins, and Codex shows the same name. The
line is written with one append, synced, under a lock, so concurrent writers lose nothing.
TITLE is trimmed, one line without control characters, at most 256 characters. Once named,
the title itself can be given wherever a SESSION is taken (exact match; an id, a path or an
id prefix comes first). Without TITLE or --clear, prints the current title.
${SESSION}

Options:
${HOME}
  --clear           remove every title of the session, as Codex does when it deletes a
                    thread: the index is rewritten without them (atomically, under the lock)
  --last            use the most recently updated session`,
    load: () => import("./name.ts"),
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
  redact: {
    usage: "rollout redact SESSION [--dry-run] [--no-keep] [--json] [--home DIR]",
    summary: "rewrite a stored session with its secrets replaced; print what was found",
    details: `Replaces secrets (API keys of OpenAI, Anthropic, AWS, GitHub, GitLab, Slack, Google,
Stripe, npm and PyPI, JWTs, PEM private keys, passwords in URLs, password=/token=/secret=
assignments, random words beside a secret's name) by [REDACTED:<rule>] and prints how
many of each rule it found, never a secret. Every record is kept as it was; only the
string values holding a secret change. The file is rewritten under its writer lock and
replaced atomically (a session held by a writer is refused); the original is kept beside
it as PATH.unredacted-<time> (0600; it still holds the secrets: delete it when done). A
session without secrets is left alone. An archived session (.jsonl.zst) with secrets is
restored to its .jsonl first, and that is redacted. ${STREAMED}
${SESSION}

Options:
${HOME}
  --dry-run         only count what would be replaced; change nothing
  --no-keep         do not keep the original
  --json            print {"path","format","dry_run","secrets","total","records","changed",
                    "original","held_by","restored_from"}
  --last            use the most recently updated session`,
    load: () => import("./redact.ts"),
  },
  archive: {
    usage:
      "rollout archive [SESSION...] [--older-than DURATION] [--dry-run] [--level N] [--window 20-27] [--json] [--home DIR]",
    summary: "compress cold sessions to Codex's .jsonl.zst (verified, crash safe)",
    details: `Without SESSION, every line session (.jsonl) of the home untouched for DURATION
(default 30d); with SESSION, those sessions, whatever their age unless --older-than is
given. Each is compressed with zstd and long-distance matching (repeated images cost almost
nothing) into NAME.jsonl.zst beside it, which Codex and every rollout command read. The copy
is written aside, synced, decompressed and compared byte for byte with the original, renamed
into place and its folder synced; only then is the original removed, so a crash at any
moment leaves the session readable. The file keeps its time of last change. Skipped, with
the reason: a session held by a writer, a document (.json: Codex cannot read it
compressed), a session already archived. Writing to an archived session (append, state,
proto) restores its .jsonl the same safe way first.
${SESSION}

Options:
${HOME}
  --older-than DURATION  only sessions untouched for this long: 90m, 12h, 30d, 2w
  --dry-run         list what would be archived and change nothing
  --level N         zstd level, 1 to 19 (default: 3; higher is smaller and slower)
  --window N        how far back repeats are found: 2^N bytes, 20 to 27 (default: 25, 32 MiB).
                    Reading an archive takes that much memory; 27 (128 MiB) also finds images
                    that a long session repeats farther apart
  --json            print {"dry_run","older_than","level","window_log","sessions":[...],
                    "already_archived","recent"}`,
    load: () => import("./archive.ts"),
  },
  prune: {
    usage: "rollout prune --older-than DURATION [--dry-run] [--yes] [--json] [--home DIR]",
    summary: "delete sessions untouched for a given time (lists them without --yes)",
    details: `Every session of the home whose files were last changed more than DURATION ago: its
.jsonl, .jsonl.zst and .json files and rollout's own files beside them (temporary files,
originals kept by repair). Without --yes nothing is deleted: the sessions are listed with
the bytes that would be freed. A session held by a writer is skipped. Deletions are synced.

Options:
${HOME}
  --older-than DURATION  how long untouched: 90m, 12h, 30d, 2w (required)
  --yes             delete them
  --dry-run         only list them (the default without --yes)
  --json            print {"dry_run","older_than","sessions":[{"files","updated","bytes","status"}],
                    "skipped_folders"}`,
    load: () => import("./prune.ts"),
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

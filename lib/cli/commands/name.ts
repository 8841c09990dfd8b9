/**
 * `rollout name`: gives a session a title the way Codex names threads (one line appended to
 * `<home>/session_index.jsonl`), removes it, or shows it. Never touches the rollout itself.
 */
import type { Io } from "../../runtime/mod.ts";
import { RolloutError } from "../../schemas/mod.ts";
import {
  appendThreadName,
  checkTitle,
  readThreadNames,
  removeThreadNames,
  resolveSession,
  sessionIdOf,
  sessionIndexPath,
  type ThreadNamesRead,
} from "../../session/mod.ts";
import { visible } from "../../transcript/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf, lastSessionOf, SESSION_FLAGS } from "./context.ts";
import { UsageError } from "./usage_error.ts";

/** A title from the file, quoted and made safe for a terminal. */
function shown(title: string): string {
  return `"${visible(title, { oneLine: true })}"`;
}

/** The damage met in the index, one warning line each, as the loaders report theirs. */
async function reportIndexDamage(io: Io, file: string, read: ThreadNamesRead): Promise<void> {
  const lines = read.skipped.map((s) => `line ${s.line}: ${s.message} (ignored)`);
  const tail = read.tornTail;
  if (tail !== null) {
    lines.push(
      `line ${tail.line} (byte ${tail.offset}): torn tail of ${tail.bytes} byte(s) (an unfinished write), ignored`,
    );
  }
  if (lines.length === 0) return;
  await io.stderr.write(lines.map((line) => `rollout: warning: "${file}": ${line}\n`).join(""));
}

/** Runs `rollout name`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FLAGS, clear: { type: "boolean" } },
    positionals: { min: 0, max: 2 },
  });
  const home = homeOf(args, io);
  const last = args.flag("last");
  const [spec, title] = last ? [undefined, ...args.positionals] : args.positionals;
  if (last && args.positionals.length > 1) {
    throw new UsageError("give SESSION or --last, not both");
  }
  if (!last && spec === undefined) {
    throw new UsageError("missing SESSION (a path, an id, an id prefix, a title or --last)");
  }
  const clear = args.flag("clear");
  if (clear && title !== undefined) throw new UsageError("give TITLE or --clear, not both");
  if (title !== undefined) {
    const checked = checkTitle(title);
    if (!checked.ok) throw new RolloutError("invalid_argument", checked.error);
  }
  const file = last ? await lastSessionOf(home, io) : resolveSession(spec!, { home, cwd: io.cwd });
  const id = sessionIdOf(file);
  const index = sessionIndexPath(home);
  const read = readThreadNames(home);
  await reportIndexDamage(io, index, read);
  const key = id.toLowerCase();
  const before = read.names.find((n) => n.id.toLowerCase() === key)?.name ?? null;
  let said: string;
  if (clear) {
    const removed = await removeThreadNames(home, id);
    const entries = removed === 1 ? "1 entry" : `${removed} entries`;
    said = removed === 0
      ? `Session ${id} has no title to remove`
      : `Removed the title ${
        before === null ? "" : `${shown(before)} `
      }of session ${id} (${entries} from ${index})`;
  } else if (title !== undefined) {
    const written = appendThreadName(home, { id, title });
    said = before === null
      ? `Titled session ${id} ${shown(written.thread_name)}`
      : `Renamed session ${id} from ${shown(before)} to ${shown(written.thread_name)}`;
  } else {
    said = before === null
      ? `Session ${id} has no title`
      : `Session ${id} is titled ${shown(before)}`;
  }
  await io.stdout.write(`${said}\n`);
  return 0;
}

/** `rollout list`: the sessions of the home, newest first, as a table or as JSON. */
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { listSessions, type SessionSummary } from "../../session/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf } from "./context.ts";
import { visible } from "../../transcript/mod.ts";
import { UsageError } from "./usage_error.ts";

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function when(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** One table row; an empty session is marked `empty`, a large one shows its size. */
function row(s: SessionSummary): string[] {
  const items = s.items === null ? size(s.size) : s.items === 0 ? "empty" : String(s.items);
  const cells = [
    s.id,
    when(s.created),
    when(s.updated),
    items,
    s.format,
    s.cwd ?? "-",
    s.preview ?? "",
  ];
  return cells.map((cell) => visible(cell, { oneLine: true }));
}

/** The table `list` prints: aligned columns, a header, no trailing spaces. */
export function table(sessions: readonly SessionSummary[]): string {
  const rows = [
    ["ID", "CREATED", "UPDATED", "ITEMS", "FORMAT", "CWD", "FIRST MESSAGE"],
    ...sessions.map(row),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd())
    .join("\n") + "\n";
}

/** Runs `rollout list`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { limit: { type: "string" }, cwd: { type: "string" }, json: { type: "boolean" } },
    positionals: { min: 0, max: 0 },
  });
  const limit = args.integer("limit");
  if (limit === 0) throw new UsageError('option "--limit" must be at least 1, got "0"');
  const cwd = args.string("cwd");
  const { sessions, unreadable } = listSessions(homeOf(args, io), {
    ...(limit === undefined ? {} : { limit }),
    ...(cwd === undefined ? {} : { cwd: path.resolve(io.cwd, cwd) }),
  });
  for (const file of unreadable) {
    await io.stderr.write(`rollout: warning: "${file.path}": not listed: ${file.message}\n`);
  }
  if (args.flag("json")) {
    const out = sessions.map(({ size: _size, ...s }) => s);
    await io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else if (sessions.length === 0) {
    await io.stdout.write("No sessions.\n");
  } else {
    await io.stdout.write(table(sessions));
  }
  return 0;
}

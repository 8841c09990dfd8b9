/**
 * `rollout list`: the sessions of the home, newest first, as a table or as JSON, from the
 * session index (SPEC §8), brought up to date first.
 */
import * as path from "node:path";
import type { Io } from "../../runtime/mod.ts";
import { sessionIdsBeside } from "../../session/mod.ts";
import { type ListedSession, listIndexed } from "../../index/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { homeOf } from "./context.ts";
import { reportUnreadable, withIndex } from "./index_context.ts";
import { fleetFilterOf, fleetStore, FROM_FLAGS, fromUrlOf, withFleet } from "./fleet_context.ts";
import { visible } from "../../transcript/mod.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { redactExcerpt, redactText } from "../../redaction/mod.ts";
import { UsageError } from "./usage_error.ts";

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function when(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** The shortest prefix of an id, at least 8 characters, that no other id of the home shares. */
export function shortestPrefixes(shown: readonly string[], all: readonly string[]): string[] {
  const others = [...new Set(all)].sort();
  const position = new Map(others.map((id, i) => [id, i]));
  return shown.map((id) => {
    let length = 8;
    const at = position.get(id) ?? -1;
    for (const neighbour of [others[at - 1], others[at + 1]]) {
      if (neighbour === undefined || at < 0) continue;
      let common = 0;
      while (common < id.length && id[common] === neighbour[common]) common++;
      length = Math.max(length, common + 1);
    }
    return id.slice(0, Math.min(length, id.length));
  });
}

/** One table row; an empty session is marked `empty`; a title, when given, stands before the first message. */
function row(s: ListedSession, id: string): string[] {
  const items = s.items === 0 ? "empty" : String(s.items);
  const title = s.title === null ? "" : `"${s.title}"`;
  const cells = [
    id,
    when(s.created),
    when(s.updated),
    items,
    size(s.size),
    s.format,
    s.cwd ?? "-",
    s.preview === null ? title : title === "" ? s.preview : `${title} ${s.preview}`,
  ];
  return cells.map((cell) => visible(cell, { oneLine: true }));
}

const CWD = 6;
const PREVIEW = 7;
const NARROWEST = 10;

/**
 * The table `list` prints: aligned columns, a header, no trailing spaces. With a terminal
 * `width`, the working folder is shortened from the left and the first message from the
 * right until the rows fit (each keeps at least 10 characters and its header).
 */
export function table(
  sessions: readonly ListedSession[],
  options: { ids?: readonly string[]; width?: number | undefined; machines?: boolean } = {},
): string {
  const rows = [
    ["ID", "CREATED", "UPDATED", "ITEMS", "SIZE", "FORMAT", "CWD", "TITLE / MESSAGE"],
    ...sessions.map((s, i) => row(s, options.ids?.[i] ?? s.id)),
  ];
  if (options.machines === true) {
    // The fleet store's sessions: which machine each is on, as the last column (the widths
    // above fit the others first).
    rows[0]!.push("MACHINE");
    sessions.forEach((s, i) =>
      rows[i + 1]!.push(visible((s as { machine?: string }).machine ?? "-", { oneLine: true }))
    );
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  if (options.width !== undefined) {
    for (const column of [PREVIEW, CWD]) {
      const over = total() - options.width;
      const narrowest = Math.max(NARROWEST, rows[0]![column]!.length);
      if (over > 0) widths[column] = Math.max(narrowest, widths[column]! - over);
    }
    for (const r of rows.slice(1)) {
      const cwd = r[CWD]!;
      if (cwd.length > widths[CWD]!) r[CWD] = `…${cwd.slice(cwd.length - widths[CWD]! + 1)}`;
      const preview = r[PREVIEW]!;
      if (preview.length > widths[PREVIEW]!) {
        r[PREVIEW] = `${preview.slice(0, widths[PREVIEW]! - 1)}…`;
      }
    }
  }
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd())
    .join("\n") + "\n";
}

/** Runs `rollout list`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      limit: { type: "string" },
      cwd: { type: "string" },
      json: { type: "boolean" },
      "no-redact": { type: "boolean" },
      ...FROM_FLAGS,
    },
    positionals: { min: 0, max: 0 },
  });
  const limit = args.integer("limit");
  const from = await fromUrlOf(args, io);
  if (limit === 0) throw new UsageError('option "--limit" must be at least 1, got "0"');
  const cwd = args.string("cwd");
  const json = args.flag("json");
  const filter = {
    ...(limit === undefined ? {} : { limit }),
    ...(cwd === undefined ? {} : { cwd: path.resolve(io.cwd, cwd) }),
  };
  const listed = from !== null
    ? await withFleet(from, async (fleet) => {
      const { fleetList } = await fleetStore();
      const found = await fleetList(fleet, { ...filter, ...fleetFilterOf(args) });
      return {
        sessions: found.sessions,
        unreadable: found.unreadable.map((f) => ({ ...f, path: `${f.machine}:${f.path}` })),
      };
    })
    : await withIndex(
      homeOf(args, io),
      io,
      { json, what: "not listed", refresh: false },
      (index) => listIndexed(index, filter),
    );
  const { unreadable } = listed;
  // The first message and the title are shown text: their secrets are replaced by default.
  const sessions = args.flag("no-redact") ? listed.sessions : listed.sessions.map((s) => ({
    ...s,
    preview: s.preview === null ? null : redactExcerpt(s.preview, {}),
    title: s.title === null ? null : redactText(s.title, {}),
  }));
  await reportUnreadable(io, unreadable, "not listed");
  if (json) {
    // Written session by session: a home of 100,000 sessions makes tens of MB of JSON.
    const out = new OutputBuffer(io);
    out.add(sessions.length === 0 ? "[]\n" : "[\n");
    for (const [i, session] of sessions.entries()) {
      const text = JSON.stringify(session, null, 2).replaceAll("\n", "\n  ");
      out.add(`  ${text}${i + 1 < sessions.length ? "," : ""}\n`);
      await out.flushIfFull();
    }
    if (sessions.length > 0) out.add("]\n");
    await out.flush();
  } else if (sessions.length === 0) {
    await io.stdout.write("No sessions.\n");
  } else {
    // Ids as short as they can be while unique among their neighbours; full ids with --json.
    const shown = sessions.map((s) => s.id);
    const ids = shortestPrefixes(shown, [
      ...(from === null ? sessionIdsBeside(sessions.map((s) => s.path)) : []),
      ...shown,
    ]);
    const width = io.stdout.isTTY ? io.stdout.columns : undefined;
    await io.stdout.write(table(sessions, { ids, width, machines: from !== null }));
  }
  return 0;
}

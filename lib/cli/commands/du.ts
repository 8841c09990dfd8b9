/**
 * `rollout du`: where the disk went (SPEC §8). Bytes per session, per month and per working
 * folder, and what the bytes are: inline images, tool output, compaction copies, the rest.
 * Sizes are on disk; the kinds are measured in the decompressed text of a `.jsonl.zst`.
 */
import type { Io } from "../../runtime/mod.ts";
import type { SessionIndex } from "../../index/mod.ts";
import { visible } from "../../transcript/mod.ts";
import { parseCommandArgs } from "./args.ts";

import { fleetStore, FROM_FLAGS, fromStoreOrIndex, fromUrlOf } from "./fleet_context.ts";
import { byteSize } from "./older_than.ts";
import { UsageError } from "./usage_error.ts";

/** What the bytes of a session (or a group of them) are. */
export interface Kinds {
  images: number;
  tool_output: number;
  compaction: number;
  other: number;
}

/** One session file in the report. */
export interface DuSession {
  /** The machine it is on (the fleet store only). */
  machine?: string;
  id: string;
  path: string;
  /** On disk. */
  bytes: number;
  compressed: boolean;
  updated: string;
  cwd: string | null;
  kinds: Kinds;
}

/** A month or a folder: its files and bytes on disk. */
export interface DuGroup {
  key: string;
  files: number;
  bytes: number;
  kinds: Kinds;
}

/** The shape of `du --json`. */
export interface DuReport {
  total: { files: number; bytes: number; compressed_files: number; kinds: Kinds };
  /** Biggest first, at most `--limit` of them. */
  sessions: DuSession[];
  months: DuGroup[];
  cwds: DuGroup[];
  /** Files under sessions/ that are no readable rollout: they take room too. */
  unreadable: Array<{ machine?: string; path: string; bytes: number; message: string }>;
  /** Folders under sessions/ that could not be read: what they hold is not counted. */
  skipped_folders: Array<{ path: string; message: string }>;
}

function noKinds(): Kinds {
  return { images: 0, tool_output: 0, compaction: 0, other: 0 };
}

function addKinds(to: Kinds, from: Kinds): void {
  to.images += from.images;
  to.tool_output += from.tool_output;
  to.compaction += from.compaction;
  to.other += from.other;
}

/** The report, from the index. */
export function duReport(index: SessionIndex, limit: number): DuReport {
  const rows = index.sql(
    `SELECT session_id, path, size, compressed, updated, created, cwd, bytes_images,
      bytes_tool_output, bytes_compaction, bytes_other, error FROM files ORDER BY size DESC, path`,
  ).all() as Array<Record<string, unknown>>;
  return { ...duReportOf(rows, limit), skipped_folders: [...index.skipped] };
}

/**
 * The report from rows of files, biggest first (the index's, or the fleet store's, which
 * also name their machine).
 */
export function duReportOf(rows: ReadonlyArray<Record<string, unknown>>, limit: number): DuReport {
  const report: DuReport = {
    total: { files: 0, bytes: 0, compressed_files: 0, kinds: noKinds() },
    sessions: [],
    months: [],
    cwds: [],
    unreadable: [],
    skipped_folders: [],
  };
  const months = new Map<string, DuGroup>();
  const cwds = new Map<string, DuGroup>();
  const group = (map: Map<string, DuGroup>, key: string, bytes: number, kinds: Kinds) => {
    let g = map.get(key);
    if (g === undefined) map.set(key, g = { key, files: 0, bytes: 0, kinds: noKinds() });
    g.files++;
    g.bytes += bytes;
    addKinds(g.kinds, kinds);
  };
  for (const row of rows) {
    const bytes = Number(row.size);
    report.total.files++;
    report.total.bytes += bytes;
    const machine = row.machine === undefined ? {} : { machine: String(row.machine) };
    if (row.error !== null) {
      report.unreadable.push({
        ...machine,
        path: String(row.path),
        bytes,
        message: String(row.error),
      });
      continue;
    }
    const kinds: Kinds = {
      images: Number(row.bytes_images),
      tool_output: Number(row.bytes_tool_output),
      compaction: Number(row.bytes_compaction),
      other: Number(row.bytes_other),
    };
    const compressed = Number(row.compressed) === 1;
    if (compressed) report.total.compressed_files++;
    addKinds(report.total.kinds, kinds);
    const cwd = row.cwd === null ? null : String(row.cwd);
    if (report.sessions.length < limit) {
      report.sessions.push({
        ...machine,
        id: String(row.session_id),
        path: String(row.path),
        bytes,
        compressed,
        updated: String(row.updated),
        cwd,
        kinds,
      });
    }
    group(months, String(row.created ?? row.updated).slice(0, 7), bytes, kinds);
    group(cwds, cwd ?? "(none recorded)", bytes, kinds);
  }
  report.months = [...months.values()].sort((a, b) => (a.key < b.key ? 1 : -1));
  report.cwds = [...cwds.values()].sort((a, b) => b.bytes - a.bytes);
  return report;
}

function share(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${Math.round((100 * part) / whole)}%`;
}

function columns(rows: string[][], right: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r.map((cell, c) => right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))
      .join("  ").trimEnd()
  ).join("\n") + "\n";
}

function kindCells(kinds: Kinds): string[] {
  const all = kinds.images + kinds.tool_output + kinds.compaction + kinds.other;
  return [
    share(kinds.images, all),
    share(kinds.tool_output, all),
    share(kinds.compaction, all),
    share(kinds.other, all),
  ];
}

const KIND_HEADS = ["IMAGES", "TOOL OUT", "COMPACT", "REST"];
const NUMBERS = new Set([1, 2, 3, 4, 5, 6]);

/** The text view of the report. */
export function renderDu(report: DuReport): string {
  const t = report.total;
  const all = t.kinds.images + t.kinds.tool_output + t.kinds.compaction + t.kinds.other;
  const line = (label: string, n: number) =>
    `  ${label.padEnd(18)}${byteSize(n).padStart(9)}  ${share(n, all).padStart(4)}`;
  let out = `${t.files} session files, ${byteSize(t.bytes)} on disk` +
    (t.compressed_files > 0 ? ` (${t.compressed_files} compressed)` : "") + "\n";
  out += `What the text holds (${byteSize(all)}, decompressed):\n`;
  out += [
    line("images", t.kinds.images),
    line("tool output", t.kinds.tool_output),
    line("compaction copies", t.kinds.compaction),
    line("the rest", t.kinds.other),
  ].join("\n") + "\n";
  if (report.sessions.length > 0) {
    out += "\nBiggest sessions:\n";
    out += columns([
      ["ID", "SIZE", ...KIND_HEADS, "UPDATED", "CWD"],
      ...report.sessions.map((s) => [
        s.id,
        byteSize(s.bytes) + (s.compressed ? " zst" : ""),
        ...kindCells(s.kinds),
        s.updated.slice(0, 10),
        visible(s.cwd ?? "-", { oneLine: true }),
      ]),
    ], NUMBERS);
  }
  for (
    const [title, groups, head] of [
      ["By month (of the session's start):", report.months, "MONTH"],
      ["By working folder:", report.cwds, "CWD"],
    ] as const
  ) {
    if (groups.length === 0) continue;
    out += `\n${title}\n`;
    out += columns([
      [head, "SIZE", ...KIND_HEADS, "FILES"],
      ...groups.map((g) => [
        visible(g.key, { oneLine: true }),
        byteSize(g.bytes),
        ...kindCells(g.kinds),
        String(g.files),
      ]),
    ], NUMBERS);
  }
  if (report.unreadable.length > 0) {
    const bytes = report.unreadable.reduce((sum, u) => sum + u.bytes, 0);
    out += `\n${report.unreadable.length} unreadable files, ${
      byteSize(bytes)
    } (listed on stderr)\n`;
  }
  const folders = report.skipped_folders.length;
  if (folders > 0) {
    out += `\n${folders} ${
      folders === 1 ? "folder" : "folders"
    } could not be read: not counted (listed on stderr)\n`;
  }
  return out;
}

/** Runs `rollout du`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { json: { type: "boolean" }, limit: { type: "string" }, ...FROM_FLAGS },
    positionals: { min: 0, max: 0 },
  });
  const limit = args.integer("limit") ?? 20;
  if (limit === 0) throw new UsageError('option "--limit" must be at least 1, got "0"');
  const json = args.flag("json");
  const from = await fromUrlOf(args, io);
  const report = await fromStoreOrIndex(from, args, io, { json, what: "not counted" }, {
    store: async (fleet, filter) =>
      duReportOf(await (await fleetStore()).fleetDuRows(fleet, filter), limit),
    index: (index) => duReport(index, limit),
  });
  if (json) await io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.total.files === 0) await io.stdout.write("No sessions.\n");
  else await io.stdout.write(renderDu(report));
  return 0;
}

/**
 * `rollout usage`'s report (SPEC §8): counted turns summed by day, session, model or working
 * folder, with a grand total, and its text table. Pure: takes rows, returns values and text.
 */
import { z } from "zod";
import type { UsageTurn } from "./usage_tracker.ts";

/** What `rollout usage --by` groups on. */
export const UsageGroupBy = z.enum(["day", "session", "model", "cwd"]);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

/** A counted turn with what it is grouped on; `day` is `YYYY-MM-DD`, "" when not known. */
export type SessionUsageTurn = UsageTurn & { session_id: string; cwd: string | null; day: string };

const Count = z.number().int().nonnegative();

/** Sums over a set of turns; `input` includes `cached_input`, `output` `reasoning_output`. */
export const UsageSums = z.object({
  /** Distinct sessions the turns belong to. */
  sessions: Count,
  turns: Count,
  input: Count,
  cached_input: Count,
  output: Count,
  reasoning_output: Count,
  /** input + output. */
  total: Count,
});
export type UsageSums = z.infer<typeof UsageSums>;

/**
 * The report, and the output of `rollout usage --json` as it stands:
 * `{"by", "groups": [{"key", "sessions", "turns", "input", "cached_input", "output",
 * "reasoning_output", "total"}], "total": {the same sums without "key"},
 * "sessions_without_usage": [session ids], "unreadable_token_counts": [{"session_id",
 * "records"}]}`. A `key` is the day, session id, model or cwd; null where the turns did not
 * record it. Days come in order, other groups biggest total first.
 */
export const UsageReport = z.object({
  by: UsageGroupBy,
  groups: z.array(UsageSums.extend({ key: z.string().nullable() })),
  total: UsageSums,
  /** Sessions with no usage records of their own, sorted. */
  sessions_without_usage: z.array(z.string()),
  /** Sessions with `token_count` records in a shape not understood (not counted), sorted. */
  unreadable_token_counts: z.array(
    z.object({ session_id: z.string(), records: z.number().int().positive() }),
  ),
});
export type UsageReport = z.infer<typeof UsageReport>;

function keyOf(row: SessionUsageTurn, by: UsageGroupBy): string | null {
  switch (by) {
    case "day":
      return row.day === "" ? null : row.day;
    case "session":
      return row.session_id;
    case "model":
      return row.model;
    case "cwd":
      return row.cwd;
  }
}

class Sums {
  readonly sessions = new Set<string>();
  turns = 0;
  input = 0;
  cached_input = 0;
  output = 0;
  reasoning_output = 0;

  add(row: SessionUsageTurn): void {
    this.sessions.add(row.session_id);
    this.turns++;
    this.input += row.input;
    this.cached_input += row.cached_input;
    this.output += row.output;
    this.reasoning_output += row.reasoning_output;
  }

  value(): UsageSums {
    const { turns, input, cached_input, output, reasoning_output } = this;
    const sessions = this.sessions.size;
    return {
      sessions,
      turns,
      input,
      cached_input,
      output,
      reasoning_output,
      total: input + output,
    };
  }
}

/** Sums `rows` by `by`, with the grand total and the sessions that have no usage. */
export function aggregateUsage(
  rows: readonly SessionUsageTurn[],
  by: UsageGroupBy,
  sessionsWithout: readonly string[],
  unreadable: readonly { session_id: string; records: number }[] = [],
): UsageReport {
  const groups = new Map<string | null, Sums>();
  const all = new Sums();
  for (const row of rows) {
    const key = keyOf(row, by);
    let sums = groups.get(key);
    if (sums === undefined) groups.set(key, sums = new Sums());
    sums.add(row);
    all.add(row);
  }
  const list = [...groups].map(([key, sums]) => ({ key, ...sums.value() }));
  const byKey = (a: { key: string | null }, b: { key: string | null }) =>
    a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1;
  list.sort(by === "day" ? byKey : (a, b) => b.total - a.total || byKey(a, b));
  return {
    by,
    groups: list,
    total: all.value(),
    sessions_without_usage: [...new Set(sessionsWithout)].sort(),
    unreadable_token_counts: [...unreadable].sort((a, b) =>
      a.session_id < b.session_id ? -1 : a.session_id > b.session_id ? 1 : 0
    ),
  };
}

/** 1234567 -> "1,234,567". */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A key fit for a terminal: control and bidi characters shown as `\uXXXX`. */
function printable(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const HEADS: Record<UsageGroupBy, string> = {
  day: "DAY",
  session: "SESSION",
  model: "MODEL",
  cwd: "CWD",
};

/**
 * The report as an aligned table: one line per group, numbers right-aligned with thousands
 * separators, a totals line, and how many sessions have no usage records.
 */
export function renderUsageTable(report: UsageReport): string {
  const n = report.sessions_without_usage.length;
  const unread = report.unreadable_token_counts;
  const records = unread.reduce((sum, u) => sum + u.records, 0);
  const without = `${n} ${n === 1 ? "session has" : "sessions have"} no usage records\n` +
    (records === 0
      ? ""
      : `${thousands(records)} token ${records === 1 ? "count" : "counts"} in ${unread.length} ${
        unread.length === 1 ? "session" : "sessions"
      } not counted: in a shape not understood, or too large (--json names the sessions)\n`);
  if (report.groups.length === 0) return `No token usage recorded.\n${without}`;
  const withSessions = report.by !== "session";
  const cells = (label: string, sums: UsageSums) => [
    label,
    ...(withSessions ? [thousands(sums.sessions)] : []),
    ...[sums.turns, sums.input, sums.cached_input, sums.output, sums.reasoning_output, sums.total]
      .map(thousands),
  ];
  const head = [
    HEADS[report.by],
    ...(withSessions ? ["SESSIONS"] : []),
    "TURNS",
    "INPUT",
    "CACHED",
    "OUTPUT",
    "REASONING",
    "TOTAL",
  ];
  const body = report.groups.map((g) =>
    cells(g.key === null ? "(none recorded)" : printable(g.key), g)
  );
  const foot = cells("total", report.total);
  const rows = [head, ...body, foot];
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))
      .join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(head), ...body.map(line), rule, line(foot)].join("\n") + `\n${without}`;
}

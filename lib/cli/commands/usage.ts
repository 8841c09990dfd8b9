/**
 * `rollout usage`: token usage from Codex's `token_count` events (SPEC §8), counted once per
 * turn, grouped by day, session, model or working folder, through the session index.
 */
import type { Io } from "../../runtime/mod.ts";
import { aggregateUsage, renderUsageTable, usageRows } from "../../index/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { timeOption } from "./index_context.ts";
import { fleetStore, FROM_FLAGS, fromStoreOrIndex, fromUrlOf } from "./fleet_context.ts";
import { UsageError } from "./usage_error.ts";

const GROUPS = ["day", "session", "model", "cwd"] as const;
type Group = typeof GROUPS[number];

/** Runs `rollout usage`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: {
      since: { type: "string" },
      by: { type: "string" },
      json: { type: "boolean" },
      ...FROM_FLAGS,
    },
    positionals: { min: 0, max: 0 },
  });
  const by = args.string("by") ?? "day";
  if (!(GROUPS as readonly string[]).includes(by)) {
    throw new UsageError(
      `option "--by" must be day, session, model or cwd, got ${JSON.stringify(by)}`,
    );
  }
  const sinceText = args.string("since");
  const since = sinceText === undefined ? undefined : timeOption("since", sinceText);
  const json = args.flag("json");
  const from = await fromUrlOf(args, io);
  const found = await fromStoreOrIndex(from, args, io, { json, what: "not counted" }, {
    store: async (fleet, filter) =>
      (await fleetStore()).fleetUsageRows(fleet, {
        ...filter,
        ...(since === undefined ? {} : { since }),
      }),
    index: (index) => usageRows(index, since),
  });
  const report = aggregateUsage(found.rows, by as Group, found.without, found.unreadable);
  if (json) await io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else await io.stdout.write(renderUsageTable(report));
  return 0;
}

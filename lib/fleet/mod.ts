/**
 * The fleet store (SPEC §10): the sessions of many machines in one PostgreSQL database, a
 * mirror of each machine's files that can be rebuilt from them. `sync` pushes a home; the
 * reading commands ask it with `--from URL`.
 */
export { databaseUrl, type Fleet, openFleet, readFleet, URL_VARIABLE } from "./connect.ts";
export { FleetError, fleetError, isUnreachable, shownUrl } from "./errors.ts";
export {
  fleetDuRows,
  type FleetFilter,
  fleetList,
  fleetSearch,
  type FleetSession,
  type FleetUnreadable,
  fleetUnreadable,
  fleetUsageRows,
  lastFleetSession,
  resolveFleetSession,
  writeFleetSession,
} from "./read.ts";
export {
  ensureMonth,
  ensureSchema,
  FLEET_SCHEMA_VERSION,
  monthOf,
  partitionName,
} from "./schema.ts";
export type { FleetSync, SyncOptions, SyncReport } from "./sync.ts";
/**
 * The push's code (`FleetSync`, `logicalPath`, `MAX_BODY_CHARS`), loaded by `sync` alone: it
 * reads rollouts, and with that brings most of `rollout`, which a search of the store does not
 * need (every module loaded is time at each start).
 */
export const loadSync = (): Promise<typeof import("./sync.ts")> => import("./sync.ts");
export { toTsquery } from "./tsquery.ts";

/**
 * The fleet store (SPEC §10): the sessions of many machines in one PostgreSQL database, a
 * mirror of each machine's files that can be rebuilt from them. `sync` pushes a home; the
 * reading commands ask it with `--from URL`.
 */
export { databaseUrl, type Fleet, openFleet, URL_VARIABLE } from "./connect.ts";
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
export {
  FleetSync,
  logicalPath,
  MAX_BODY_CHARS,
  type SyncOptions,
  type SyncReport,
} from "./sync.ts";
export { toTsquery } from "./tsquery.ts";

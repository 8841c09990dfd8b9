/**
 * What goes wrong between a machine and the fleet store, in one line a user can act on, and
 * never with the credentials of the URL (SPEC §10).
 */
import { RolloutError } from "../base/mod.ts";

/** A failure of the fleet store: one clear line, exit 1, no secret in it. */
export class FleetError extends RolloutError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("io_error", message, options);
    this.name = "FleetError";
  }
}

/** The URL as it may be shown: its password (and any `password=` parameter) replaced. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, "***");
    }
    return parsed.toString();
  } catch {
    return "(a URL that cannot be read)";
  }
}

/** The text of `message` with every secret of `url` taken out. */
export function withoutSecrets(message: string, url: string): string {
  let out = message;
  try {
    const parsed = new URL(url);
    const secrets = [parsed.password, decodeURIComponent(parsed.password)];
    for (const [key, value] of parsed.searchParams) {
      if (/pass|secret|key|token/i.test(key)) secrets.push(value);
    }
    // The longest first: a secret that holds another is taken out whole.
    for (const secret of secrets.sort((a, b) => b.length - a.length)) {
      if (secret.length > 0) out = out.split(secret).join("***");
    }
  } catch {
    // No URL, nothing of it to take out.
  }
  return out;
}

/** Where the database is, for messages: `host:port/database`. */
export function placeOf(url: string): string {
  try {
    const parsed = new URL(url);
    const database = parsed.pathname.replace(/^\//, "") || "(default database)";
    return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}/${database}`;
  } catch {
    return "(unreadable URL)";
  }
}

/** The user name of the URL, for messages. */
function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || "(default user)";
  } catch {
    return "(unknown user)";
  }
}

/** SQLSTATE codes and what they mean to someone setting up a fleet store. */
const STATES: Record<string, (url: string) => string> = {
  "28P01": (url) => `the database at ${placeOf(url)} refused the password of user "${userOf(url)}"`,
  "28000": (url) =>
    `the database at ${placeOf(url)} does not let user "${userOf(url)}" in from here (pg_hba.conf)`,
  "3D000": (url) =>
    `there is no database ${JSON.stringify(placeOf(url).split("/")[1])} at ${
      placeOf(url).split("/")[0]
    }`,
  "42501": (url) =>
    `user "${userOf(url)}" may not do this in the database at ${
      placeOf(url)
    } (permission denied): see the roles in docs/fleet.md`,
  "53300": (url) => `the database at ${placeOf(url)} has too many connections; try again later`,
  "57P03": (url) => `the database at ${placeOf(url)} is starting up or shutting down; try again`,
};

/** Network errors by their code. */
const NETWORK: Record<string, string> = {
  ECONNREFUSED: "connection refused (is PostgreSQL running there, on that port?)",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name could not be looked up",
  EHOSTUNREACH: "the host is unreachable",
  ENETUNREACH: "the network is unreachable",
  ETIMEDOUT: "the connection timed out",
  CONNECT_TIMEOUT: "the connection timed out",
  ECONNRESET: "the connection was reset",
  CONNECTION_CLOSED: "the connection was closed",
  CONNECTION_ENDED: "the connection was closed",
  CONNECTION_DESTROYED: "the connection was closed",
};

/** Whether `error` says the database could not be reached (retry later, in `--watch`). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && (code in NETWORK || code === "57P01" || code === "57P03")) {
    return true;
  }
  const errors = (error as { errors?: unknown })?.errors;
  if (Array.isArray(errors) && errors.some(isUnreachable)) return true;
  const cause = (error as { cause?: unknown })?.cause;
  return cause !== undefined && cause !== error && isUnreachable(cause);
}

/**
 * Any error met talking to the database at `url`, as a {@linkcode FleetError}: its SQLSTATE or
 * network code in plain words, the rest with the server's own message. Secrets are taken out of
 * the server's and the driver's words, which may quote the URL; the words written here hold
 * none, and a short password is no reason to cut them up ("data***ase" for a password "b").
 */
export function fleetError(error: unknown, url: string): FleetError {
  if (error instanceof FleetError) return error;
  const code = (error as { code?: unknown })?.code;
  let message: string;
  if (typeof code === "string" && STATES[code] !== undefined) {
    message = STATES[code]!(url);
    // Which object a role may not use helps whoever grants it.
    if (code === "42501" && error instanceof Error) {
      message += ` (${withoutSecrets(error.message, url)})`;
    }
  } else if (isUnreachable(error)) {
    const networkCode = typeof code === "string" && code in NETWORK
      ? code
      : ((error as { errors?: Array<{ code?: string }> }).errors ?? []).map((e) => e.code)
        .find((c) => c !== undefined && c in NETWORK) ?? "ECONNREFUSED";
    message = `cannot reach the database at ${placeOf(url)}: ${
      NETWORK[networkCode] ?? networkCode
    }`;
  } else {
    const text = error instanceof Error ? error.message : String(error);
    message = `the database at ${placeOf(url)} answered: ${withoutSecrets(text, url)}${
      typeof code === "string" ? ` (${code})` : ""
    }`;
  }
  return new FleetError(message, { cause: error });
}

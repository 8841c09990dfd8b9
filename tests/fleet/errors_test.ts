/**
 * fleetError(): what a user reads when the fleet store fails, without a database: the server's
 * and the driver's words lose the URL's secrets, the words written by rollout stay whole.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fleetError, shownUrl } from "../../lib/fleet/mod.ts";

const SECRET = "s3cret-Pa55";
const URL_WITH_SECRET = `postgres://alice:${SECRET}@db.example:6543/team?sslpassword=${SECRET}x`;

/** An error as the driver gives one: a message and a code. */
function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

test("fleetError() takes the password and secret parameters out of the server's words", () => {
  const quoted = driverError(`could not use postgres://alice:${SECRET}@db.example (${SECRET}x)`);
  assert.equal(
    fleetError(quoted, URL_WITH_SECRET).message,
    "the database at db.example:6543/team answered: could not use postgres://alice:***@db.example (***)",
  );
  const denied = driverError(`permission denied for table t (${SECRET})`, "42501");
  assert.equal(
    fleetError(denied, URL_WITH_SECRET).message,
    'user "alice" may not do this in the database at db.example:6543/team (permission denied): see the roles in docs/fleet.md (permission denied for table t (***))',
  );
});

test("fleetError() leaves its own words whole when the password is one of their letters", () => {
  const url = "postgres://bob:b@127.0.0.1:1/db";
  assert.equal(
    fleetError(driverError("connect ECONNREFUSED", "ECONNREFUSED"), url).message,
    "cannot reach the database at 127.0.0.1:1/db: connection refused (is PostgreSQL running there, on that port?)",
  );
  assert.equal(
    fleetError(driverError("password authentication failed", "28P01"), url).message,
    'the database at 127.0.0.1:1/db refused the password of user "bob"',
  );
  // The server's own words still lose it: a short password is still a secret.
  assert.equal(
    fleetError(driverError("bad b"), url).message,
    "the database at 127.0.0.1:1/db answered: ***ad ***",
  );
});

test("shownUrl() hides the password and secret-looking parameters, nothing else", () => {
  assert.equal(
    shownUrl(URL_WITH_SECRET),
    "postgres://alice:***@db.example:6543/team?sslpassword=***",
  );
  assert.equal(
    shownUrl("postgres://bob@h/db?sslmode=require"),
    "postgres://bob@h/db?sslmode=require",
  );
});

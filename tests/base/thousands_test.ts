import assert from "node:assert/strict";
import { test } from "node:test";
import { thousands } from "../../lib/base/mod.ts";

test("thousands groups digits as toLocaleString('en-US') does, rounding to an integer", () => {
  const values = [0, 7, 999, 1000, 6200, 12345, 999_999, 1_000_000, 1_234_567, -1234, -999, 2.5];
  // And a spread of sizes up to what a double holds exactly, made from one seed.
  let n = 1;
  for (let i = 0; i < 200; i++) {
    n = (n * 48271) % 2147483647;
    values.push(n * 10 ** (i % 7), n / 7);
  }
  for (const value of values) {
    assert.equal(thousands(value), Math.round(value).toLocaleString("en-US"), String(value));
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { isUuid, uuidv7 } from "../../lib/store/uuid.ts";

test("uuidv7() puts the milliseconds first and sets version 7 and the RFC 9562 variant", () => {
  const now = Date.UTC(2026, 10, 26, 11, 15, 28, 123);
  const id = uuidv7(now);
  assert.ok(isUuid(id), id);
  assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), now);
  assert.equal(id[14], "7");
  assert.ok("89ab".includes(id[19]!), id);
  assert.equal(uuidv7(0).slice(0, 13), "00000000-0000");
  assert.equal(uuidv7(2 ** 48 - 1).slice(0, 13), "ffffffff-ffff");
});

test("uuidv7() ids are unique and sort by creation time", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  const same = Array.from({ length: 1000 }, () => uuidv7(1_700_000_000_000));
  assert.equal(new Set(same).size, same.length);
});

test("isUuid() accepts only lowercase hyphenated UUIDs", () => {
  assert.equal(isUuid("019abc00-0000-7000-8000-000000000001"), true);
  for (
    const bad of [
      "019ABC00-0000-7000-8000-000000000001",
      "019abc0000007000800000000000000001",
      "019abc00-0000-7000-8000-00000000001",
      "../../etc/passwd",
      "",
      " 019abc00-0000-7000-8000-000000000001",
    ]
  ) {
    assert.equal(isUuid(bad), false, bad);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { timeOption } from "../../lib/cli/commands/index_context.ts";

test("timeOption() reads dates and times as UTC unless they name an offset", () => {
  const now = Date.parse("2026-12-07T12:00:00.000Z");
  const cases: Array<[string, string]> = [
    ["2026-03-02", "2026-03-02T00:00:00.000Z"],
    ["2026-03-02T00:00:00", "2026-03-02T00:00:00.000Z"],
    ["2026-03-02 14:05", "2026-03-02T14:05:00.000Z"],
    ["2026-03-02T14:05:06.25Z", "2026-03-02T14:05:06.250Z"],
    ["2026-03-02T12:00:00+02:00", "2026-03-02T10:00:00.000Z"],
    ["2026-03-02T12:00:00-0530", "2026-03-02T17:30:00.000Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
    ["7d", "2026-11-30T12:00:00.000Z"],
  ];
  for (const [text, iso] of cases) assert.equal(timeOption("since", text, now), iso, text);
});

test("timeOption() refuses a date or time that does not exist", () => {
  for (
    const text of [
      "2026-02-29",
      "2026-02-30",
      "2026-04-31",
      "2026-13-01",
      "2026-00-10",
      "2026-03-02T24:00",
      "2026-03-02T10:60",
      "2026-03-02T10:00+25:00",
      "last tuesday",
    ]
  ) {
    assert.throws(() => timeOption("until", text), /"--until" needs a date/, text);
  }
});

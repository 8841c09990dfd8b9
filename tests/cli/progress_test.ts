import assert from "node:assert/strict";
import { test } from "node:test";
import { Progress } from "../../lib/cli/commands/progress.ts";
import { fakeIo } from "./cli_io.ts";

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance(ms: number): void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test("Progress shows bytes, rate, records/s and time left on a terminal after a second, then clears", () => {
  const fake = fakeIo({ stderrTTY: true });
  const time = clock();
  const progress = new Progress(fake.io, { now: time.now });
  const tick = progress.phase("reading")!;
  assert.notEqual(tick, null);
  time.advance(500);
  tick(100e6, 1e9, 5_000);
  assert.equal(fake.err(), "", "nothing before a second has passed");
  time.advance(500);
  tick(200e6, 1e9, 10_000);
  // 200 MB in 1 s: 200 MB/s, 10,000 records/s, 800 MB left take 4 s.
  assert.equal(
    fake.err(),
    "\rreading 200.0 MB of 1.00 GB (20 %), 200.0 MB/s, 10,000 records/s, 4 s left",
  );
  time.advance(100);
  tick(210e6, 1e9, 10_500);
  assert.equal(fake.err().split("\r").length, 2, "at most one update every 250 ms");
  const shown = fake.err().length - 1;
  progress.done();
  assert.equal(fake.err().slice(-(shown + 2)), `\r${" ".repeat(shown)}\r`);
});

test("Progress stays off on a pipe, with --json, and when stdout is the terminal it writes to", () => {
  assert.equal(new Progress(fakeIo({ stderrTTY: false }).io).tick, null);
  assert.equal(new Progress(fakeIo({ stderrTTY: true }).io, { json: true }).tick, null);
  const both = fakeIo({ stderrTTY: true, stdoutTTY: true }).io;
  assert.equal(new Progress(both, { stdout: true }).tick, null);
  assert.notEqual(new Progress(both).tick, null);
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { concatBytes } from "../../lib/base/mod.ts";
import { writeInline } from "../../lib/runtime/process_io.ts";
import { tempDir } from "../helpers.ts";

const encoder = new TextEncoder();

/** 3 MiB and more of text whose characters of one to four bytes fall across each MiB. */
function longText(): string {
  const unit = "ascii line of text\n" + "é€😀".repeat(7) + "\n";
  return unit.repeat(Math.ceil((3 * 1024 * 1024) / encoder.encode(unit).length));
}

test("writeInline writes text of several MiB to a file as its UTF-8 bytes", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, "out.txt");
    const fd = fs.openSync(file, "w");
    const text = longText();
    try {
      // Nothing left: all of it was written.
      assert.equal(writeInline(fd, "head\n").length, 0);
      assert.equal(writeInline(fd, text).length, 0);
      assert.equal(writeInline(fd, encoder.encode("tail\n")).length, 0);
    } finally {
      fs.closeSync(fd);
    }
    assert.deepEqual(
      new Uint8Array(fs.readFileSync(file)),
      encoder.encode(`head\n${text}tail\n`),
    );
  } finally {
    cleanup();
  }
});

// Deno's fs.writeSync throws EAGAIN after a partial write without saying how much went (a 1 MiB
// write to an empty pipe leaves 64 KiB in it), so no caller can know what is left there.
const partialWrites = !("Deno" in globalThis) ||
  "Deno's fs.writeSync does not report a partial write before EAGAIN";

test("writeInline on a descriptor that would block returns exactly the bytes it did not write", {
  skip: partialWrites === true ? false : partialWrites,
}, () => {
  const { dir, cleanup } = tempDir();
  try {
    const fifo = path.join(dir, "fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
    const reader = fs.openSync(fifo, O_RDONLY | O_NONBLOCK);
    const writer = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
    try {
      const text = longText();
      // A pipe holds 64 KiB here: the write stops with EAGAIN long before 3 MiB.
      const rest = writeInline(writer, text);
      assert.ok(typeof rest !== "string" && rest.length > 0);
      const got: Uint8Array[] = [];
      const chunk = new Uint8Array(1 << 16);
      for (;;) {
        let n = 0;
        try {
          n = fs.readSync(reader, chunk, 0, chunk.length, null);
        } catch (error) {
          if ((error as { code?: unknown }).code === "EAGAIN") break;
          throw error;
        }
        if (n === 0) break;
        got.push(chunk.slice(0, n));
      }
      const sent = concatBytes(got);
      assert.ok(sent.length > 0 && sent.length < 1024 * 1024, `${sent.length}`);
      assert.deepEqual(concatBytes([sent, rest as Uint8Array]), encoder.encode(text));
    } finally {
      fs.closeSync(writer);
      fs.closeSync(reader);
    }
  } finally {
    cleanup();
  }
});

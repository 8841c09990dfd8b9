import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import {
  checkTitle,
  readThreadNames,
  sessionIndexPath,
  threadNames,
} from "../../lib/session/thread_names.ts";
import { appendThreadName } from "../../lib/session/thread_name_writer.ts";
import { setup, tempDir } from "../helpers.ts";

const A = "019abc00-0000-7000-8000-0000000000a1";
const B = "019abc00-0000-7000-8000-0000000000b2";

function entry(id: string, name: string, at = "2026-11-26T11:15:28.123Z"): string {
  return JSON.stringify({ id, thread_name: name, updated_at: at });
}

function withHome(body: (home: string, index: string) => void | Promise<void>) {
  return async () => {
    await setup();
    const { dir, cleanup } = tempDir();
    try {
      await body(dir, sessionIndexPath(dir));
    } finally {
      cleanup();
    }
  };
}

test(
  "readThreadNames() keeps the newest entry of each id, ids compared as UUIDs",
  withHome((home, index) => {
    const text = [
      entry(A, "first", "2026-01-01T00:00:00Z"),
      entry(B, " other ", "2026-01-02T00:00:00Z"),
      // Codex's ThreadId parses a UUID in any case; extra fields are ignored.
      JSON.stringify({ id: A.toUpperCase(), thread_name: "latest", updated_at: "x", more: 1 }),
    ].map((l) => `${l}\n`).join("");
    fs.writeFileSync(index, text);
    const read = readThreadNames(home);
    assert.deepEqual(read, {
      names: [
        { id: B, name: "other", updated_at: "2026-01-02T00:00:00Z" },
        { id: A, name: "latest", updated_at: "x" },
      ],
      position: {
        ino: fs.statSync(index).ino,
        offset: Buffer.byteLength(text),
        line: 3,
        tail: Buffer.from(text).subarray(-64).toString("hex"),
      },
      whole: true,
      skipped: [],
      tornTail: null,
    });
    assert.deepEqual(threadNames(home), new Map([[B, "other"], [A, "latest"]]));
  }),
);

test(
  "readThreadNames() takes a blank name as no title",
  withHome((home, index) => {
    fs.writeFileSync(index, `${entry(A, "named")}\n${entry(A, "   ")}\n${entry(B, "kept")}\n`);
    assert.deepEqual(readThreadNames(home).names, [
      { id: A, name: null, updated_at: "2026-11-26T11:15:28.123Z" },
      { id: B, name: "kept", updated_at: "2026-11-26T11:15:28.123Z" },
    ]);
    assert.deepEqual(threadNames(home), new Map([[B, "kept"]]));
  }),
);

test(
  "readThreadNames() reports damaged and foreign lines and leaves a torn tail for the next read",
  withHome((home, index) => {
    const head = [
      entry(A, "one"),
      "not-json",
      "[1]",
      JSON.stringify({ id: B, thread_name: 7, updated_at: "x" }),
      "",
      JSON.stringify({ type: "session_meta", payload: {} }),
    ].map((l) => `${l}\n`).join("");
    const good = `${entry(B, "two")}\n`;
    const torn = entry(A, "three");
    fs.writeFileSync(
      index,
      Buffer.concat([
        Buffer.from(head),
        Buffer.from([0xff, 0xfe, 0x0a]),
        Buffer.from(good),
        Buffer.from(torn.slice(0, 20)),
      ]),
    );
    const ino = fs.statSync(index).ino;
    const complete = Buffer.byteLength(head) + 3 + Buffer.byteLength(good);
    const read = readThreadNames(home);
    assert.deepEqual(read, {
      names: [
        { id: A, name: "one", updated_at: "2026-11-26T11:15:28.123Z" },
        { id: B, name: "two", updated_at: "2026-11-26T11:15:28.123Z" },
      ],
      position: {
        ino,
        offset: complete,
        line: 8,
        tail: fs.readFileSync(index).subarray(0, complete).subarray(-64).toString("hex"),
      },
      whole: true,
      skipped: [
        { line: 2, message: "not JSON" },
        { line: 3, message: "not a JSON object" },
        { line: 4, message: "thread_name: expected string, got number" },
        { line: 6, message: "id: required string is missing" },
        { line: 7, message: "not valid UTF-8" },
      ],
      tornTail: { line: 9, offset: complete, bytes: 20 },
    });
    // The writer finishes its line: the next read takes it, and only it.
    fs.appendFileSync(index, `${torn.slice(20)}\n`);
    assert.deepEqual(readThreadNames(home, read.position), {
      names: [{ id: A, name: "three", updated_at: "2026-11-26T11:15:28.123Z" }],
      position: {
        ino,
        offset: fs.statSync(index).size,
        line: 9,
        tail: fs.readFileSync(index).subarray(-64).toString("hex"),
      },
      whole: false,
      skipped: [],
      tornTail: null,
    });
  }),
);

test(
  "readThreadNames() reads on from a position, and from the start once the file is replaced or cut",
  withHome((home, index) => {
    assert.deepEqual(readThreadNames(home), {
      names: [],
      position: { ino: 0, offset: 0, line: 0 },
      whole: true,
      skipped: [],
      tornTail: null,
    });
    const now = new Date("2026-11-26T11:15:28.123Z");
    appendThreadName(home, { id: A, title: "one", now });
    const first = readThreadNames(home);
    appendThreadName(home, { id: B, title: "two", now });
    const next = readThreadNames(home, first.position);
    assert.deepEqual(next.names, [{ id: B, name: "two", updated_at: now.toISOString() }]);
    assert.equal(next.whole, false);
    assert.deepEqual(next.position, {
      ...first.position,
      offset: fs.statSync(index).size,
      line: 2,
      tail: fs.readFileSync(index).subarray(-64).toString("hex"),
    });
    // Rewritten in place (the same inode, as an editor may), longer: read from its start.
    const longer = `a longer title ${"than before ".repeat(20)}`.trim();
    const before = fs.readFileSync(index);
    fs.writeFileSync(index, `${entry(B, longer)}\n`);
    assert.equal(fs.statSync(index).ino, next.position.ino);
    assert.ok(fs.statSync(index).size > next.position.offset);
    const rewritten = readThreadNames(home, next.position);
    assert.equal(rewritten.whole, true);
    assert.deepEqual(rewritten.names.map((n) => n.name), [longer]);
    fs.writeFileSync(index, before);
    // Codex removes names by writing a new file over the old one, here a longer one.
    const replacement = `${index}.tmp`;
    const names = ["two", "three", "four", "five"].map((n) => `${entry(B, n)}\n`).join("");
    fs.writeFileSync(replacement, `${entry(A, "renamed")}\n${names}`);
    fs.renameSync(replacement, index);
    assert.ok(fs.statSync(index).size > next.position.offset);
    const replaced = readThreadNames(home, next.position);
    assert.equal(replaced.whole, true);
    assert.deepEqual(replaced.names.map((n) => n.name), ["renamed", "five"]);
    assert.notEqual(replaced.position.ino, next.position.ino);
    fs.truncateSync(index, 0);
    fs.writeFileSync(index, `${entry(A, "x")}\n`);
    const cut = readThreadNames(home, {
      ...replaced.position,
      offset: replaced.position.offset + 1,
    });
    assert.equal(cut.whole, true);
    assert.deepEqual(cut.names.map((n) => n.name), ["x"]);
  }),
);

test("checkTitle() trims a title and refuses control characters, line breaks, empty and long ones", () => {
  assert.deepEqual(checkTitle("  Fix the flaky test  "), { ok: true, title: "Fix the flaky test" });
  assert.deepEqual(checkTitle("Café 🎉 x".padEnd(256, ".")), {
    ok: true,
    title: "Café 🎉 x".padEnd(256, "."),
  });
  const refused = (title: string, code: string, shown: string) =>
    assert.deepEqual(checkTitle(title), {
      ok: false,
      error:
        `Cannot use the title ${shown}: it holds U+${code}, and a title is one line of text without control characters`,
    });
  refused("two\nlines", "000A", '"two\\nlines"');
  refused("trailing newline\n", "000A", '"trailing newline\\n"');
  refused("bell\u0007", "0007", '"bell\\u0007"');
  refused("tab\there", "0009", '"tab\\there"');
  refused("del\u007f", "007F", '"del\\u007f"');
  refused("c1\u009b31m", "009B", '"c1\\u009b31m"');
  refused("line\u2028separator", "2028", '"line\\u2028separator"');
  refused("\u202eevil", "202E", '"\\u202eevil"');
  assert.deepEqual(checkTitle("   "), { ok: false, error: "Cannot use an empty title" });
  assert.deepEqual(checkTitle("é".repeat(257)), {
    ok: false,
    error: "Cannot use a title of 257 characters: the most is 256",
  });
});

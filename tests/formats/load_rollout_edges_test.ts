/**
 * Edges of the loader that mutation testing found unguarded: the temporary copy of a compressed
 * rollout, errors and descriptors, a fork's inherited history, the first line, reads that come
 * back short, and 1 MiB read boundaries.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import process from "node:process";
import * as zlib from "node:zlib";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import {
  type LoadedRollout,
  loadRollout,
  plainCopyOf,
  streamRollout,
  TemporaryCopyFailed,
} from "../../lib/formats/load_rollout.ts";
import type { SourceRecord } from "../../lib/formats/line_loader.ts";
import { replayHistory } from "../../lib/formats/replay_history.ts";
import { type FileSystem, nodeFileSystem } from "../../lib/runtime/file_system.ts";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { concatBytes } from "../../lib/base/bytes.ts";
import {
  bytes,
  DOCUMENT,
  DOCUMENT_ITEMS,
  JOURNAL_ITEMS,
  JOURNAL_LINES,
  jsonl,
  size,
  writeFixture,
} from "../fixtures_rollouts.ts";
import { tempDir, userMessage } from "../helpers.ts";

/** The loader's read size: 1 MiB. */
const CHUNK = 1 << 20;
const FILE = "/mem/rollout.jsonl";
const JOURNAL = jsonl(JOURNAL_LINES);
const T = "2026-08-20T10:00:00.000Z";
const CUT_META = "the file ends inside its first line (no usable session meta)";

/**
 * A read-only file system holding one file. `reportedSize` stands for a file that shrank after
 * its size was taken; `closed` collects every descriptor closed.
 */
function memoryFs(
  data: Uint8Array,
  options: { reportedSize?: number; closed?: number[]; failRead?: Error } = {},
): FileSystem {
  const refuse = (): never => {
    throw new Error("the loader must not write");
  };
  return {
    open: (_path, mode) => (mode === "read" ? 3 : refuse()),
    read: (_fd, into, position) => {
      if (options.failRead !== undefined) throw options.failRead;
      const n = Math.max(0, Math.min(into.length, data.length - position));
      into.set(data.subarray(position, position + n));
      return n;
    },
    size: () => options.reportedSize ?? data.length,
    mtime: () => 0,
    close: (fd) => void options.closed?.push(fd),
    write: refuse,
    setMtime: refuse,
    fdatasync: refuse,
    fdatasyncAsync: refuse,
    fsync: refuse,
    truncate: refuse,
    rename: refuse,
    unlink: refuse,
    mkdir: refuse,
    readdir: refuse,
  };
}

/** The parts, text as UTF-8, one after the other. */
function joined(...parts: (string | Uint8Array)[]): Uint8Array {
  return concatBytes(parts.map((p) => (typeof p === "string" ? bytes(p) : p)));
}

/** A journal item line with `ordinal` whose text pads it to exactly `length` bytes. */
function itemLineOf(length: number, ordinal: number): string {
  const make = (pad: number) =>
    JSON.stringify({
      timestamp: T,
      ordinal,
      type: "response_item",
      payload: userMessage("x".repeat(pad)),
    });
  const line = make(length - size(make(0)));
  assert.equal(size(line), length);
  return line;
}

/** The escaped form of `text` inside a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An id for the `n`th session of a test. */
function idOf(n: number): string {
  return `0199a1b2-0000-7000-8000-${String(n).padStart(12, "0")}`;
}

/** The file name Codex gives the session `id`. */
function nameOf(id: string): string {
  return `rollout-2026-08-20T10-00-00-${id}.jsonl`;
}

/** A paginated Codex file: its meta, then `records`, ordinals from `start`. */
function paginated(
  id: string,
  records: [type: string, payload: unknown][],
  options: { start?: number; base?: Record<string, unknown>; eol?: string } = {},
): string {
  let ordinal = options.start ?? 0;
  const meta = {
    id,
    timestamp: T,
    cwd: "/work/repo",
    originator: "codex-tui",
    cli_version: "0.148.0",
    source: "cli",
    history_mode: "paginated",
    ...(options.base === undefined ? {} : { history_base: options.base }),
  };
  return [["session_meta", meta] as [string, unknown], ...records]
    .map(([type, payload]) =>
      JSON.stringify({ timestamp: T, ordinal: ordinal++, type, payload }) + (options.eol ?? "\n")
    )
    .join("");
}

/** The history_base of a fork of the whole of `parent` (written with `paginated`). */
function baseOf(parentId: string, parent: string): Record<string, unknown> {
  const records = parent.split("\n").filter((l) => l !== "").length;
  return { thread_id: parentId, end_ordinal_exclusive: records, end_byte_offset: size(parent) };
}

/** How many descriptors this process holds open. */
function openDescriptors(): number {
  return fs.readdirSync("/proc/self/fd").length;
}

test("streamRollout() reads a plain file in place and leaves no descriptor open", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "j.jsonl", JOURNAL);
    const read = () => streamRollout(file, { between: () => {} });
    // A first read loads what the runtime loads once.
    assert.deepEqual((await read()).saved.items, JOURNAL_ITEMS);
    const before = openDescriptors();
    for (let i = 0; i < 5; i++) {
      const loaded = await read();
      assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
      assert.equal(loaded.compressed, false);
    }
    assert.equal(openDescriptors(), before);
  } finally {
    cleanup();
  }
});

test("streamRollout() refuses a missing file, a folder and a FIFO without waiting", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = path.join(dir, "missing.jsonl");
    await assert.rejects(streamRollout(missing, { between: () => {} }), {
      code: "not_found",
      message: `Cannot load rollout "${missing}": no such file or directory`,
    });
    await assert.rejects(streamRollout(dir, { between: () => {} }), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${dir}": it is a folder`,
    });
    const fifo = path.join(dir, "pipe.jsonl");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo is needed for this test");
    await assert.rejects(streamRollout(fifo, { between: () => {} }), {
      code: "invalid_rollout",
      message: `Cannot load rollout "${fifo}": it is not a regular file`,
    });
  } finally {
    cleanup();
  }
});

test("streamRollout() reads through options.fs even where a .zst lies on disk", async () => {
  const { dir, cleanup } = tempDir();
  try {
    // On disk: a compressed rollout of other items. Through `fs`: the plain journal.
    const other = jsonl([JOURNAL_LINES[0], itemLineOf(300, 1)]);
    const file = writeFixture(dir, "j.jsonl", zlib.zstdCompressSync(bytes(other)));
    const loaded = await streamRollout(file, {
      fs: memoryFs(bytes(JOURNAL)),
      between: () => {},
    });
    assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
    assert.equal(loaded.compressed, false);
  } finally {
    cleanup();
  }
});

test("plainCopyOf() names the temporary folder when it cannot copy there", async () => {
  const { dir, cleanup } = tempDir();
  const before = process.env.TMPDIR;
  try {
    const file = writeFixture(dir, "j.jsonl.zst", zlib.zstdCompressSync(bytes(JOURNAL)));
    const nowhere = path.join(dir, "no-such-folder");
    process.env.TMPDIR = nowhere;
    const expected = (error: unknown) => {
      assert.ok(error instanceof TemporaryCopyFailed, String(error));
      assert.equal(error.code, "io_error");
      assert.equal((error.cause as { code?: unknown }).code, "ENOENT");
      assert.match(
        error.message,
        new RegExp(
          `^Cannot decompress rollout "${literal(file)}": its temporary copy at "${
            literal(nowhere)
          }/rollout-zst-[^"]*" failed: .*ENOENT.*; set TMPDIR to a folder with room$`,
        ),
      );
      return true;
    };
    await assert.rejects(plainCopyOf(file), expected);
    // Streaming the file is where a command meets it.
    await assert.rejects(streamRollout(file, { between: () => {} }), expected);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    cleanup();
  }
});

test("plainCopyOf() blames the rollout for its own failures, not the folder", async () => {
  const { dir, cleanup } = tempDir();
  const server = net.createServer();
  try {
    // Opening a socket fails with the socket's own path in the error (ENXIO).
    const socket = path.join(dir, "s.jsonl.zst");
    await new Promise<void>((resolve) => server.listen(socket, () => resolve()));
    const onTheFile = (file: string, errno: string) => (error: unknown) => {
      assert.equal(error instanceof TemporaryCopyFailed, false, String(error));
      assert.equal((error as { code?: unknown }).code, "io_error");
      const message = (error as Error).message;
      assert.ok(message.startsWith(`Cannot decompress rollout "${file}": `), message);
      assert.ok(message.includes(errno), message);
      return true;
    };
    await assert.rejects(plainCopyOf(socket), onTheFile(socket, "ENXIO"));
    // Reading a folder fails with no path in the error (EISDIR).
    const folder = path.join(dir, "folder.jsonl.zst");
    fs.mkdirSync(folder);
    await assert.rejects(plainCopyOf(folder), onTheFile(folder, "EISDIR"));
    const plain = writeFixture(dir, "plain.jsonl.zst", JOURNAL);
    await assert.rejects(plainCopyOf(plain), (error: unknown) => {
      assert.equal((error as { code?: unknown }).code, "invalid_rollout");
      const message = (error as Error).message;
      assert.ok(
        message.startsWith(`Cannot load rollout "${plain}": it is not readable zstd (`),
        message,
      );
      return true;
    });
  } finally {
    server.close();
    cleanup();
  }
});

test("loadRollout() says a failed read as io_error and closes the file anyway", () => {
  const closed: number[] = [];
  const eio = Object.assign(new Error("input/output error"), { code: "EIO" });
  assert.throws(
    () => loadRollout(FILE, { fs: memoryFs(bytes(JOURNAL), { failRead: eio, closed }) }),
    (error: unknown) => {
      assert.equal((error as { code?: unknown }).code, "io_error");
      assert.equal((error as { cause?: unknown }).cause, eio);
      assert.match((error as Error).message, /^Cannot load rollout "\/mem\/rollout\.jsonl": .*EIO/);
      return true;
    },
  );
  assert.deepEqual(closed, [3]);
  const loaded = loadRollout(FILE, { fs: memoryFs(bytes(JOURNAL), { closed }) });
  assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(closed, [3, 3]);
});

test("loadRollout() takes any file starting with zstd's magic for compressed", () => {
  const { dir, cleanup } = tempDir();
  try {
    // A frame cut right after its magic number is a compressed file cut short; read as plain
    // text, those bytes would be a first line that is no JSON object.
    const file = writeFixture(dir, "m.jsonl.zst", new Uint8Array([0x28, 0xb5, 0x2f, 0xfd]));
    assert.throws(() => loadRollout(file), {
      code: "invalid_rollout",
      message:
        `Cannot load rollout "${file}": it is not readable zstd (cut short or damaged at byte 0: a frame header is cut short)`,
    });
    // A frame whose header is broken cannot be decompressed at all.
    const broken = writeFixture(
      dir,
      "b.jsonl.zst",
      new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5]),
    );
    assert.throws(() => loadRollout(broken), (error: unknown) => {
      assert.equal((error as { code?: unknown }).code, "invalid_rollout");
      const message = (error as Error).message;
      assert.ok(
        message.startsWith(`Cannot load rollout "${broken}": it is not readable zstd (`),
        message,
      );
      return true;
    });
  } finally {
    cleanup();
  }
});

test("loadRollout() measures a compressed rollout by its decompressed bytes", () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = writeFixture(dir, "j.jsonl.zst", zlib.zstdCompressSync(bytes(JOURNAL)));
    const calls: [number, number][] = [];
    const whole = loadRollout(file, { progress: (read, total) => calls.push([read, total]) });
    assert.deepEqual(whole.saved.items, JOURNAL_ITEMS);
    assert.equal(whole.compressed, true);
    assert.deepEqual(calls, [[size(JOURNAL), size(JOURNAL)]]);
    // A prefix counts decompressed bytes: the meta and the first two items.
    const endByte = size(jsonl(JOURNAL_LINES.slice(0, 3)));
    const prefix = loadRollout(file, { endByte });
    assert.deepEqual(prefix.saved.items, JOURNAL_ITEMS.slice(0, 2));
    assert.equal(prefix.end, endByte);
    const doc = writeFixture(dir, "d.json.zst", zlib.zstdCompressSync(bytes(DOCUMENT)));
    const document = loadRollout(doc);
    assert.deepEqual(document.saved.items, DOCUMENT_ITEMS);
    assert.equal(document.compressed, true);
  } finally {
    cleanup();
  }
});

test("loadRollout() says why a fork's inherited history is missing", () => {
  const { dir, cleanup } = tempDir();
  try {
    const parentId = idOf(1);
    const childId = idOf(2);
    const base = { thread_id: parentId, end_ordinal_exclusive: 2, end_byte_offset: 100 };
    const child = writeFixture(
      dir,
      nameOf(childId),
      paginated(childId, [["response_item", userMessage("own")]], { start: 2, base }),
    );
    const orphan = loadRollout(child);
    assert.deepEqual(orphan.saved.items, [userMessage("own")]);
    assert.deepEqual(orphan.report.warnings, [
      `the history inherited from rollout ${parentId} is missing: ` +
      "no file of that id in the sessions folder",
    ]);
    const parent = writeFixture(dir, nameOf(parentId), "");
    const unreadable = loadRollout(child);
    assert.deepEqual(unreadable.saved.items, [userMessage("own")]);
    assert.deepEqual(unreadable.report.warnings, [
      `the history inherited from rollout ${parentId} is missing: ` +
      `Cannot load rollout "${parent}": the file is empty`,
    ]);
  } finally {
    cleanup();
  }
});

test("loadRollout() reads a fork's parent via options.fs, not its damage warnings", () => {
  const { dir, cleanup } = tempDir();
  try {
    const parentId = idOf(1);
    const childId = idOf(2);
    // The parent's lines end in CRLF: its own damage, not the fork's.
    const parentText = paginated(parentId, [["response_item", userMessage("first")]], {
      eol: "\r\n",
    });
    const parent = writeFixture(dir, nameOf(parentId), parentText);
    assert.deepEqual(loadRollout(parent).report.warnings, ["2 line(s) end in CRLF"]);
    const child = writeFixture(
      dir,
      nameOf(childId),
      paginated(childId, [["response_item", userMessage("second")]], {
        start: 2,
        base: baseOf(parentId, parentText),
      }),
    );
    const opened: string[] = [];
    const recording: FileSystem = {
      ...nodeFileSystem,
      open: (file, mode) => {
        opened.push(file);
        return nodeFileSystem.open(file, mode);
      },
    };
    const loaded = loadRollout(child, { fs: recording });
    assert.deepEqual(loaded.saved.items, [userMessage("first"), userMessage("second")]);
    assert.deepEqual(loaded.report.warnings, []);
    assert.deepEqual(opened, [child, parent]);
  } finally {
    cleanup();
  }
});

test("loadRollout() and streamRollout() follow 64 forks back, and no further", async () => {
  const { dir, cleanup } = tempDir();
  try {
    // Session k says "turn k" and forks all of session k - 1.
    const write = (count: number) => {
      let previous = "";
      const files: string[] = [];
      for (let k = 0; k < count; k++) {
        const records: [string, unknown][] = [["response_item", userMessage(`turn ${k}`)]];
        const text = k === 0
          ? paginated(idOf(k), records)
          : paginated(idOf(k), records, { start: 2 * k, base: baseOf(idOf(k - 1), previous) });
        files.push(writeFixture(dir, nameOf(idOf(k)), text));
        previous = text;
      }
      return files;
    };
    const turns = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => userMessage(`turn ${from + i}`));
    const files = write(66);
    // Session 64 has 64 ancestors: all are read.
    const deep = (loaded: LoadedRollout) => {
      assert.deepEqual(loaded.saved.items, turns(0, 65));
      assert.deepEqual(loaded.report.warnings, []);
    };
    deep(loadRollout(files[64]!));
    deep(await streamRollout(files[64]!, { between: () => {} }));
    // Session 65 has 65: the farthest one is not.
    const tooDeep = (loaded: LoadedRollout) => {
      assert.deepEqual(loaded.saved.items, turns(1, 66));
      assert.deepEqual(loaded.report.warnings, [
        `the history inherited from rollout ${idOf(0)} is missing: the chain of forks is too long`,
      ]);
    };
    tooDeep(loadRollout(files[65]!));
    tooDeep(await streamRollout(files[65]!, { between: () => {} }));
  } finally {
    cleanup();
  }
});

test("loadRollout() reports a rollback that balances a compaction or inheritance", () => {
  const { dir, cleanup } = tempDir();
  try {
    const rollback = { type: "thread_rolled_back", num_turns: 1 };
    // One item replaced by a compaction (keeping it), then removed by a rollback.
    const own = writeFixture(
      dir,
      "own.jsonl",
      paginated(idOf(1), [
        ["response_item", userMessage("a")],
        ["compacted", { message: "summary", replacement_history: [userMessage("a")] }],
        ["event_msg", rollback],
      ]),
    );
    const compacted = loadRollout(own);
    assert.deepEqual(compacted.saved.items, []);
    assert.deepEqual(compacted.report.history, { compacted: 1, rolled_back: 1, inherited: 0 });
    // One item inherited, then removed by a rollback.
    const parentText = paginated(idOf(2), [["response_item", userMessage("b")]]);
    writeFixture(dir, nameOf(idOf(2)), parentText);
    const fork = writeFixture(
      dir,
      nameOf(idOf(3)),
      paginated(idOf(3), [["event_msg", rollback]], {
        start: 2,
        base: baseOf(idOf(2), parentText),
      }),
    );
    const inherited = loadRollout(fork);
    assert.deepEqual(inherited.saved.items, []);
    assert.deepEqual(inherited.report.history, { compacted: 0, rolled_back: 1, inherited: 1 });
  } finally {
    cleanup();
  }
});

test("loadRollout() of a line file gives no raw items (only a document has them)", () => {
  const loaded = loadRollout(FILE, { fs: memoryFs(bytes(JOURNAL)) });
  assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
  assert.deepEqual(loaded.rawItems, []);
});

test("loadRollout() judges line 1 alone: leading spaces, length limit, its end", () => {
  const load = (content: string | Uint8Array, options: { max?: number; endByte?: number } = {}) =>
    loadRollout(FILE, {
      fs: memoryFs(typeof content === "string" ? bytes(content) : content),
      ...(options.max === undefined ? {} : { maxLineBytes: options.max }),
      ...(options.endByte === undefined ? {} : { endByte: options.endByte }),
    });
  const refused = (reason: string) => ({
    code: "invalid_rollout",
    message: `Cannot load rollout "${FILE}": ${reason}`,
  });
  // Spaces before the meta's brace are JSON whitespace.
  assert.deepEqual(load(`  ${JOURNAL}`).saved.items, JOURNAL_ITEMS);
  // A meta of exactly the limit is read; one byte less of limit refuses it.
  const max = size(JOURNAL_LINES[0]);
  assert.ok(JOURNAL_LINES.slice(1).every((l) => size(l) < max));
  assert.deepEqual(load(JOURNAL, { max }).saved.items, JOURNAL_ITEMS);
  assert.throws(
    () => load(JOURNAL, { max: max - 1 }),
    refused(`line 1 is longer than the limit of ${max - 1} bytes`),
  );
  // A lone meta without its line end, over the limit: too long, whatever it holds.
  assert.throws(
    () => load(JOURNAL_LINES[0], { max: 100 }),
    refused("line 1 is longer than the limit of 100 bytes"),
  );
  // An empty first line is no JSON object, however long the rest.
  for (const options of [{}, { max: 100 }]) {
    assert.throws(
      () => load(`\n${JOURNAL}`, options),
      refused("not a rollout (line 1 is not a JSON object)"),
    );
  }
  // A prefix that ends inside the meta has no usable meta, also past the first 1 MiB read.
  assert.throws(() => load(JOURNAL, { endByte: 50 }), refused(CUT_META));
  const bigMeta = JOURNAL_LINES[0].replace("Be terse.", "x".repeat(CHUNK + CHUNK / 2));
  assert.deepEqual(load(jsonl([bigMeta, ...JOURNAL_LINES.slice(1)])).saved.items, JOURNAL_ITEMS);
  assert.throws(
    () => load(jsonl([bigMeta, ...JOURNAL_LINES.slice(1)]), { endByte: CHUNK + 1000 }),
    refused(CUT_META),
  );
});

test("loadRollout() reads no further than an endByte past the first 1 MiB", () => {
  // The prefix ends after line 6, past 1 MiB; line 7 lies within the second 1 MiB read.
  const before = jsonl(JOURNAL_LINES.slice(0, 4));
  const prefix = before + jsonl([itemLineOf(CHUNK + 1000, 4), itemLineOf(300, 5)]);
  const text = prefix + jsonl([itemLineOf(300, 6)]);
  const loaded = loadRollout(FILE, { fs: memoryFs(bytes(text)), endByte: size(prefix) });
  assert.equal(loaded.itemCount, JOURNAL_ITEMS.length + 2);
  assert.equal(loaded.end, size(prefix));
  assert.equal(loaded.nextOrdinal, 6);
});

test("loadRollout() stops where reads come back empty though the file said it was larger", () => {
  // A file cut shorter after its size was taken: what is there is read, then the load ends.
  const journal = loadRollout(FILE, {
    fs: memoryFs(bytes(JOURNAL), { reportedSize: size(JOURNAL) + 10 }),
  });
  assert.deepEqual(journal.saved.items, JOURNAL_ITEMS);
  assert.equal(journal.report.torn_tail, null);
  const document = loadRollout(FILE, {
    fs: memoryFs(bytes(DOCUMENT), { reportedSize: size(DOCUMENT) + 10 }),
  });
  assert.deepEqual(document.saved.items, DOCUMENT_ITEMS);
});

test("loadRollout() keeps a last record missing its \\n after a short last read", () => {
  // The last record is 2 bytes short of 1 MiB, so the second read returns fewer bytes than the
  // first: the byte after them in the buffer is left from the first read, here a `\n`.
  const last = itemLineOf(CHUNK - 2, 4);
  const data = joined(JOURNAL, last);
  assert.equal(data[data.length - CHUNK + 1], 10);
  const loaded = loadRollout(FILE, { fs: memoryFs(data) });
  assert.equal(loaded.itemCount, JOURNAL_ITEMS.length + 1);
  assert.deepEqual(loaded.report.line_end_missing, { line: 6, offset: size(JOURNAL) });
  assert.equal(loaded.report.torn_tail, null);
  assert.equal(loaded.end, data.length);
});

test("loadRollout() tears off a last line with no line end and a non-UTF-8 byte", () => {
  // A whole object but for one byte (0xff) inside a string.
  const [head, tail] = JOURNAL_LINES[1].replace('"ordinal":1', '"ordinal":4').split("café");
  const last = joined(head!, new Uint8Array([0xff]), tail!);
  const loaded = loadRollout(FILE, { fs: memoryFs(joined(JOURNAL, last)) });
  assert.deepEqual(loaded.saved.items, JOURNAL_ITEMS);
  assert.equal(loaded.report.line_end_missing, undefined);
  assert.deepEqual(loaded.report.torn_tail, { line: 6, offset: size(JOURNAL), bytes: last.length });
  assert.deepEqual(loaded.report.skipped_lines, []);
});

test("loadRollout() gives the offset of a skipped line just past a 1 MiB boundary", () => {
  // Line 5 ends with the `\n` at byte 1 MiB exactly: the first byte of the second read.
  const before = jsonl(JOURNAL_LINES.slice(0, 4));
  const filler = itemLineOf(CHUNK - size(before), 4);
  const text = before + jsonl([filler, "{not json", itemLineOf(300, 5)]);
  assert.equal(bytes(text)[CHUNK], 10);
  const loaded = loadRollout(FILE, { fs: memoryFs(bytes(text)) });
  assert.deepEqual(loaded.report.skipped_lines, [
    { line: 6, offset: CHUNK + 1, message: "not JSON" },
  ]);
  assert.equal(loaded.itemCount, JOURNAL_ITEMS.length + 2);
});

test("a .jsonl.zst cut short is refused through any file system, not read as a torn tail", () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = [
      JSON.stringify({
        timestamp: "2026-11-20T09:00:00.000Z",
        type: "session_meta",
        payload: {
          id: "019abc00-0000-7000-8000-0000000000cc",
          timestamp: "2026-11-20T09:00:00.000Z",
        },
      }),
      ...Array.from(
        { length: 3000 },
        (_, i) =>
          JSON.stringify({
            timestamp: "2026-11-20T09:00:01.000Z",
            type: "response_item",
            payload: userMessage(`message ${i} ${"word ".repeat(40)}`),
          }),
      ),
    ];
    const packed = zlib.zstdCompressSync(Buffer.from(`${lines.join("\n")}\n`));
    const file = path.join(dir, "cut.jsonl.zst");
    fs.writeFileSync(file, packed.subarray(0, Math.floor(packed.length / 2)));
    for (const options of [{}, { fs: nodeFileSystem }]) {
      assert.throws(() => loadRollout(file, options), (error: unknown) => {
        assert.ok(error instanceof RolloutError);
        assert.equal(error.code, "invalid_rollout");
        assert.match(error.message, /it is not readable zstd \(cut short or damaged at byte \d+: /);
        return true;
      });
    }
  } finally {
    cleanup();
  }
});

test("loadRollout() keeps the records a fork inherits when asked, its ancestors' first", () => {
  const { dir, cleanup } = tempDir();
  try {
    // Grandparent says "a"; the parent forks all of it and says "b"; the child forks all of
    // the parent and says "c".
    const [g, p, c] = [idOf(1), idOf(2), idOf(3)];
    const grand = paginated(g, [["response_item", userMessage("a")]]);
    writeFixture(dir, nameOf(g), grand);
    const parent = paginated(p, [["response_item", userMessage("b")]], {
      start: 2,
      base: baseOf(g, grand),
    });
    writeFixture(dir, nameOf(p), parent);
    const child = writeFixture(
      dir,
      nameOf(c),
      paginated(c, [["response_item", userMessage("c")]], { start: 4, base: baseOf(p, parent) }),
    );
    /** The records as [type, text of a message or the session's id]. */
    const shown = (records: SourceRecord[] | undefined) =>
      records?.map((r) => {
        const payload = r.payload as { id?: string; content?: Array<{ text: string }> };
        return [r.type, payload.content?.[0]?.text ?? payload.id];
      });
    for (const options of [{ records: true }, { inheritedRecords: true }]) {
      const loaded = loadRollout(child, options);
      assert.deepEqual(loaded.saved.items, [userMessage("a"), userMessage("b"), userMessage("c")]);
      // The ancestors' records after their metas, oldest first.
      assert.deepEqual(shown(loaded.inheritedRecords), [["response_item", "a"], [
        "response_item",
        "b",
      ]]);
    }
    assert.deepEqual(shown(loadRollout(child, { records: true }).records), [
      ["session_meta", c],
      ["response_item", "c"],
    ]);
    assert.equal("inheritedRecords" in loadRollout(child), false);
  } finally {
    cleanup();
  }
});

test("loadRollout() says so when a fork inherits from itself, through any number of forks", () => {
  const { dir, cleanup } = tempDir();
  try {
    const [a, b] = [idOf(1), idOf(2)];
    const base = (id: string) => ({
      thread_id: id,
      end_ordinal_exclusive: 1,
      end_byte_offset: 1_000_000,
    });
    const self = writeFixture(
      dir,
      nameOf(a),
      paginated(a, [["response_item", userMessage("a")]], { start: 1, base: base(a) }),
    );
    assert.deepEqual(loadRollout(self).report.warnings, [
      `the history inherited from rollout ${a} is missing: "${self}" inherits from itself`,
    ]);
    // a forks b and b forks a: b's own warning reaches a.
    fs.rmSync(self);
    const first = writeFixture(
      dir,
      nameOf(a),
      paginated(a, [["response_item", userMessage("a")]], { start: 1, base: base(b) }),
    );
    writeFixture(
      dir,
      nameOf(b),
      paginated(b, [["response_item", userMessage("b")]], { start: 1, base: base(a) }),
    );
    const loaded = loadRollout(first);
    assert.deepEqual(loaded.report.warnings, [
      `the history inherited from rollout ${a} is missing: "${first}" inherits from itself`,
    ]);
    assert.deepEqual(loaded.saved.items, [userMessage("b"), userMessage("a")]);
  } finally {
    cleanup();
  }
});

test("streamRollout({ until }) stops after the chunk where until() is true: partial, only what it read", async () => {
  // Three lines of 700 KiB: the first chunk holds line 2 whole and line 3 in part.
  const lines = [1, 2, 3].map((ordinal) => itemLineOf(700 * 1024, ordinal));
  const meta = paginated(idOf(70), []);
  const data = joined(meta, ...lines.map((line) => `${line}\n`));
  const fsys = memoryFs(data);
  const seen: number[] = [];
  let asked = 0;
  const partial = await streamRollout(FILE, {
    fs: fsys,
    between: () => {},
    visit: { record: (record) => void seen.push(record.line) },
    until: () => ++asked > 0,
  });
  assert.equal(asked, 1);
  assert.equal(partial.partial, true);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(partial.itemCount, 1);
  // The line cut by the chunk's end is not read yet, so it is no torn tail either.
  assert.equal(partial.report.torn_tail, null);
  assert.equal(partial.end, size(meta) + size(lines[0]!) + 1);
  // Never true: the whole file, no `partial`; after the last chunk it is not asked.
  let calls = 0;
  const whole = await streamRollout(FILE, {
    fs: fsys,
    between: () => {},
    until: () => ++calls < 0,
  });
  assert.equal(whole.partial, undefined);
  assert.equal(whole.itemCount, 3);
  assert.equal(whole.end, data.length);
  assert.equal(calls, Math.ceil(data.length / CHUNK) - 1);
  // A whole record waiting for its line end at the chunk's end is not read either: its `\n`
  // may be right after (a chunk's end in a file that goes on is no file's end).
  const first = itemLineOf(CHUNK - size(meta) - 300 * 1024 - 1, 1);
  const waiting = itemLineOf(300 * 1024, 2);
  const exact = joined(meta, `${first}\n`, waiting, "\n", `${lines[2]!}\n`);
  assert.equal(size(meta) + size(first) + 1 + size(waiting), CHUNK);
  const stopped = await streamRollout(FILE, {
    fs: memoryFs(exact),
    between: () => {},
    until: () => true,
  });
  assert.equal(stopped.itemCount, 1);
  assert.equal(stopped.report.line_end_missing, undefined);
  assert.equal(stopped.end, size(meta) + size(first) + 1);
  // Only the whole history can be replayed.
  await assert.rejects(
    replayHistory(partial, { between: () => {}, item: () => {} }),
    /needs a whole first read/,
  );
});

test("streamRollout() whose between() rejects (a copy's write failed) stops there, closes the file and passes the failure on", async () => {
  const lines = [1, 2, 3, 4].map((ordinal) => itemLineOf(700 * 1024, ordinal));
  const data = joined(paginated(idOf(71), []), ...lines.map((line) => `${line}\n`));
  const closed: number[] = [];
  const failure = Object.assign(new Error("ENOSPC: no space left on device, write"), {
    code: "ENOSPC",
  });
  const seen: number[] = [];
  let betweens = 0;
  await assert.rejects(
    streamRollout(FILE, {
      fs: memoryFs(data, { closed }),
      visit: { record: (record) => void seen.push(record.line) },
      between: () => {
        betweens++;
        return Promise.reject(failure);
      },
    }),
    (error: unknown) => error === failure,
  );
  assert.equal(betweens, 1);
  assert.ok(seen.length < lines.length + 1, `read on after the failure: ${seen}`);
  assert.deepEqual(closed, [3]);
});

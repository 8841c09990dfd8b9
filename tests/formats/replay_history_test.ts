/**
 * replayHistory(), the second read of a large rollout: the items it hands over are the
 * effective history the whole-file loader keeps (the oracle), whatever the line endings,
 * chunk borders, compactions, compression or file system; a file changed between the reads is
 * an io_error that says which item went missing.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { zstdCompressSync } from "node:zlib";
import { test } from "node:test";
import { loadRollout, streamRollout } from "../../lib/formats/load_rollout.ts";
import { replayHistory } from "../../lib/formats/replay_history.ts";
import { nodeFileSystem } from "../../lib/runtime/file_system.ts";
import { RolloutError } from "../../lib/schemas/errors.ts";
import { CODEX_2025_LINES } from "../fixtures_rollouts.ts";
import { inTempDir, markFixture, tempDir } from "../helpers.ts";

const ID = "019abc00-0000-7000-8000-0000000000aa";
const T = "2026-11-20T09:00:00.000Z";
const env = (type: string, payload: unknown) => JSON.stringify({ timestamp: T, type, payload });
const user = (text: string) => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});
const output = (id: string, text: string) => ({
  type: "function_call_output",
  call_id: id,
  output: text,
});

/** Lines of a Codex rollout with long outputs, a compaction with a replacement, and more. */
function codexLines(): string[] {
  return [
    env("session_meta", { id: ID, timestamp: T, cwd: "/w" }),
    env("response_item", user("before the compaction")),
    // Longer than a 1 MiB read: spans chunk borders.
    env("response_item", output("c1", "a".repeat(1_500_000))),
    env("compacted", {
      message: "summary",
      replacement_history: [user("kept by the compaction"), output("c0", "b".repeat(2_300_000))],
    }),
    env("event_msg", { type: "token_count", info: null }),
    env("response_item", user("after")),
    env("response_item", output("c2", "c".repeat(900_000))),
    env("response_item", { type: "ghost_snapshot", ghost_commit: {} }),
    env("response_item", user("last")),
  ];
}

async function replayed(file: string, options: { fs?: typeof nodeFileSystem } = {}) {
  const first = await streamRollout(file, { history: "refs", between: () => {}, ...options });
  const items: unknown[] = [];
  let chunks = 0;
  let progress: number[] = [];
  await replayHistory(first, {
    ...options,
    between: () => void chunks++,
    item: (item) => items.push(item),
    progress: (read, total, lines) => (progress = [read, total, lines]),
  });
  return { items, chunks, progress };
}

function write(dir: string, name: string, text: string | Uint8Array): string {
  const file = markFixture(path.join(dir, name));
  fs.writeFileSync(file, text);
  return file;
}

test("replayHistory() hands over the effective history across chunk borders, in order", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = write(dir, "long.jsonl", `${codexLines().join("\n")}\n`);
    const expected = loadRollout(file).saved.items;
    assert.equal(expected.length, 5, "kept, its output, after, c2, last");
    const got = await replayed(file);
    assert.deepEqual(got.items, expected);
    assert.ok(got.chunks >= 2, `${got.chunks} chunks`);
    // The last item is on the last line: the whole file was read, its 9 lines passed.
    const size = fs.statSync(file).size;
    assert.deepEqual(got.progress, [size, size, 9]);
  } finally {
    cleanup();
  }
});

test("replayHistory() reads CRLF lines and a last line without its line end", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = write(dir, "crlf.jsonl", codexLines().join("\r\n"));
    const got = await replayed(file);
    assert.deepEqual(got.items, loadRollout(file).saved.items);
    assert.deepEqual(got.items.at(-1), user("last"));
  } finally {
    cleanup();
  }
});

test("replayHistory() reads a .jsonl.zst, the 2025 format, and through another file system", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = `${codexLines().join("\n")}\n`;
    const packed = write(dir, "packed.jsonl.zst", zstdCompressSync(Buffer.from(text)));
    const plain = write(dir, "plain.jsonl", text);
    const old = write(dir, "old.jsonl", `${CODEX_2025_LINES.join("\n")}\n`);
    for (const file of [packed, old]) {
      assert.deepEqual((await replayed(file)).items, loadRollout(file).saved.items, file);
    }
    // A file system given: the records are streamed instead of found by their line ends.
    for (const file of [plain, packed]) {
      const got = await replayed(file, { fs: nodeFileSystem });
      assert.deepEqual(got.items, loadRollout(file).saved.items, file);
    }
  } finally {
    cleanup();
  }
});

test("replayHistory() says which item went missing when the file changed between the reads", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = codexLines();
    const file = write(dir, "changing.jsonl", `${lines.join("\n")}\n`);
    const first = await streamRollout(file, { history: "refs", between: () => {} });
    // Cut before the last record: items 1-4 are still where they were, the 5th is gone.
    fs.writeFileSync(file, `${lines.slice(0, -1).join("\n")}\n`);
    const items: unknown[] = [];
    await assert.rejects(
      replayHistory(first, { between: () => {}, item: (item) => items.push(item) }),
      (error: unknown) => {
        assert.ok(error instanceof RolloutError);
        assert.equal(error.code, "io_error");
        assert.equal(
          error.message,
          `Cannot read rollout "${file}": it changed while it was read (item 5 of 5 is no longer where it was)`,
        );
        return true;
      },
    );
    assert.equal(items.length, 4);
    // A line that no longer holds an item at the place of one is not taken for it.
    fs.writeFileSync(
      file,
      `${lines.slice(0, 5).join("\n")}\n${env("response_item", { nope: 1 })}\n`,
    );
    await assert.rejects(
      replayHistory(first, { between: () => {}, item: () => {} }),
      /item 3 of 5 is no longer where it was/,
    );
    // The compaction's line now holds another kind of record: its items are not there.
    fs.writeFileSync(
      file,
      `${[...lines.slice(0, 3), env("response_item", user("x")), ...lines.slice(4)].join("\n")}\n`,
    );
    await assert.rejects(
      replayHistory(first, { between: () => {}, item: () => {} }),
      /item 1 of 5 is no longer where it was/,
    );
  } finally {
    cleanup();
  }
});

test("replayHistory() finds a line whose line end is the first byte of the next read", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const meta = env("session_meta", { id: ID, timestamp: T, cwd: "/w" });
    const head = env("response_item", output("c1", ""));
    // Pad the output so that the meta's line and this line end exactly at 1 MiB.
    const pad = (1 << 20) - (meta.length + 1) - head.length;
    const long = env("response_item", output("c1", "p".repeat(pad)));
    assert.equal(meta.length + 1 + long.length, 1 << 20);
    const file = write(
      dir,
      "border.jsonl",
      `${[meta, long, env("response_item", user("x"))].join("\n")}\n`,
    );
    const expected = loadRollout(file).saved.items;
    assert.equal(expected.length, 2);
    assert.deepEqual((await replayed(file)).items, expected);
  } finally {
    cleanup();
  }
});

test("replayHistory() stops reading once every item is handed over", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const events = Array.from(
      { length: 3000 },
      () => env("event_msg", { type: "token_count", info: "t".repeat(1000) }),
    );
    const lines = [codexLines()[0]!, env("response_item", user("only")), ...events];
    const file = write(dir, "tail.jsonl", `${lines.join("\n")}\n`);
    const got = await replayed(file);
    assert.deepEqual(got.items, [user("only")]);
    const size = fs.statSync(file).size;
    assert.ok(size > 3 * (1 << 20));
    assert.equal(got.progress[0], 1 << 20, "one read of 1 MiB, not the whole file");
  } finally {
    cleanup();
  }
});

test("replayHistory() of a .jsonl.zst twice in one process reads the unpacked copy again", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = `${codexLines().join("\n")}\n`;
    const packed = write(dir, "twice.jsonl.zst", zstdCompressSync(Buffer.from(text)));
    const expected = loadRollout(packed).saved.items;
    assert.deepEqual((await replayed(packed)).items, expected);
    assert.deepEqual((await replayed(packed)).items, expected);
  } finally {
    cleanup();
  }
});

test("replayHistory() names the file it can no longer open, and a compaction line emptied", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = codexLines();
    const file = write(dir, "gone.jsonl", `${lines.join("\n")}\n`);
    const first = await streamRollout(file, { history: "refs", between: () => {} });
    fs.rmSync(file);
    await assert.rejects(
      replayHistory(first, { between: () => {}, item: () => {} }),
      (error: unknown) => {
        assert.ok(error instanceof RolloutError);
        assert.ok(error.message.startsWith(`Cannot read rollout "${file}": `), error.message);
        return true;
      },
    );
    fs.writeFileSync(
      file,
      `${[...lines.slice(0, 3), env("compacted", null), ...lines.slice(4)].join("\n")}\n`,
    );
    await assert.rejects(
      replayHistory(first, { between: () => {}, item: () => {} }),
      /item 1 of 5 is no longer where it was/,
    );
  } finally {
    cleanup();
  }
});

test("replayHistory() through another file system reads only through it, and closes what it opens", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = `${codexLines().join("\n")}\n`;
    const real = {
      plain: write(dir, "real.jsonl", text),
      packed: write(dir, "real.jsonl.zst", zstdCompressSync(Buffer.from(text))),
    };
    // Files that exist only in this file system, under names no other reader can open.
    const open = new Set<number>();
    const virtual: typeof nodeFileSystem = {
      ...nodeFileSystem,
      open: (file, mode) => {
        const name = path.basename(file);
        const mapped = name === "v.jsonl"
          ? real.plain
          : name === "v.jsonl.zst"
          ? real.packed
          : file;
        const fd = nodeFileSystem.open(mapped, mode);
        open.add(fd);
        return fd;
      },
      close: (fd) => {
        open.delete(fd);
        nodeFileSystem.close(fd);
      },
    };
    const expected = loadRollout(real.plain).saved.items;
    for (const name of ["v.jsonl", "v.jsonl.zst"]) {
      const file = path.join(dir, "nowhere", name);
      const first = await streamRollout(file, { history: "refs", fs: virtual, between: () => {} });
      const items: unknown[] = [];
      const seen: number[][] = [];
      await replayHistory(first, {
        fs: virtual,
        maxLineBytes: 4 * 1024 * 1024,
        between: () => {},
        item: (item) => items.push(item),
        progress: (read, total, lines) => seen.push([read, total, lines]),
      });
      assert.deepEqual(items, expected, name);
      assert.ok(seen.length > 0, `${name}: no progress told`);
      assert.deepEqual(open, new Set(), `${name}: left open`);
      if (name.endsWith(".zst")) {
        // There the records are streamed again, with the cap on a line passed on: one smaller
        // than the longest line leaves that line's item out.
        const capped: unknown[] = [];
        await assert.rejects(
          replayHistory(first, {
            fs: virtual,
            maxLineBytes: 1024 * 1024,
            between: () => {},
            item: (item) => capped.push(item),
          }),
          { code: "io_error" },
        );
        assert.ok(capped.length < expected.length, "the cap was not passed on");
      }
    }
  } finally {
    cleanup();
  }
});

test("replayHistory() hands over a compaction's rebuilt messages, kept as items, before its lines", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = [
      env("session_meta", { id: ID, timestamp: T, cwd: "/w" }),
      env("response_item", user("first words")),
      env("response_item", output("c1", "x".repeat(2_000_000))),
      // No replacement history: Codex rebuilds the user's messages and the summary.
      env("compacted", { message: "what happened so far" }),
      env("response_item", user("after the summary")),
      env("response_item", output("c2", "y".repeat(1_200_000))),
    ];
    const file = write(dir, "rebuilt.jsonl", `${lines.join("\n")}\n`);
    const expected = loadRollout(file).saved.items;
    assert.ok(expected.length >= 3, JSON.stringify(expected).slice(0, 200));
    const first = await streamRollout(file, { history: "refs", between: () => {} });
    assert.ok(first.historyRefs!.some((ref) => "item" in ref), "no item kept as itself");
    assert.equal((await replayed(file)).items.length, expected.length);
    assert.deepEqual((await replayed(file)).items, expected);
  } finally {
    cleanup();
  }
});

/** Lines of a compacted session whose history is all after 6 MiB of lines it replaced. */
function lateHistoryLines(): string[] {
  const before = Array.from(
    { length: 24 },
    (_, i) => env("response_item", output(`o${i}`, "x".repeat(256 * 1024))),
  );
  return [
    env("session_meta", { id: ID, timestamp: T, cwd: "/w" }),
    ...before,
    env("compacted", { message: "summary", replacement_history: [user("kept")] }),
    env("response_item", user("after")),
    env("response_item", output("c2", "c".repeat(300_000))),
  ];
}

/**
 * The first read of `file` (with its line starts), `meanwhile()`, then the second, through a
 * file system that counts the bytes it reads.
 */
async function readTwice(file: string, meanwhile: () => void = () => {}) {
  const first = await streamRollout(file, { history: "refs", between: () => {} });
  meanwhile();
  let bytes = 0;
  const fsys: typeof nodeFileSystem = {
    ...nodeFileSystem,
    read: (fd, into, position) => {
      const n = nodeFileSystem.read(fd, into, position);
      bytes += n;
      return n;
    },
  };
  const items: unknown[] = [];
  await replayHistory(first, { fs: fsys, between: () => {}, item: (item) => items.push(item) });
  return { first, items, bytes };
}

test("replayHistory() reads on from where the history begins, not the lines before it again", async () => {
  await inTempDir(async (dir) => {
    const file = write(dir, "late.jsonl", `${lateHistoryLines().join("\n")}\n`);
    const size = fs.statSync(file).size;
    const { first, items, bytes } = await readTwice(file);
    assert.ok((first.lineStarts ?? []).length >= 6, JSON.stringify(first.lineStarts));
    assert.deepEqual(items, loadRollout(file).saved.items);
    assert.equal(items.length, 3, "kept, after, c2");
    // The history's lines are the last MiB or so of 6.6 MB.
    assert.ok(bytes < 2 * 1024 * 1024, `${bytes} of ${size} bytes read again`);
  });
});

test("replayHistory() reads a file that changed under its line starts from where it stands", async () => {
  await inTempDir(async (dir) => {
    const lines = lateHistoryLines();
    const file = write(dir, "moved.jsonl", `${lines.join("\n")}\n`);
    // One byte more in line 1: every line start the first read saw is one byte early now.
    const { items } = await readTwice(
      file,
      () =>
        fs.writeFileSync(file, `${[lines[0]!.replace("{", "{ "), ...lines.slice(1)].join("\n")}\n`),
    );
    assert.deepEqual(items, loadRollout(file).saved.items);
  });
});

test("replayHistory() reads on from the history's start in a file with a BOM, CRLF lines and no last line end, and in a .jsonl.zst", async () => {
  await inTempDir(async (dir) => {
    const lines = lateHistoryLines();
    const odd = write(dir, "odd.jsonl", `\uFEFF${lines.join("\r\n")}`);
    const packed = write(
      dir,
      "packed.jsonl.zst",
      zstdCompressSync(Buffer.from(`${lines.join("\n")}\n`)),
    );
    for (const file of [odd, packed]) {
      const got = await replayed(file);
      assert.deepEqual(got.items, loadRollout(file).saved.items, file);
      assert.equal(got.items.length, 3, file);
    }
    const { items, bytes } = await readTwice(odd);
    assert.deepEqual(items, loadRollout(odd).saved.items);
    assert.ok(bytes < 2 * 1024 * 1024, `${bytes} bytes read again`);
  });
});

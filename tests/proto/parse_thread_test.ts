import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import type { ParsedSubmission } from "../../lib/schemas/protocol.ts";
import { startParser, type SubmissionParser } from "../../lib/proto/parse_thread.ts";
import { prng } from "../fixtures_random.ts";
import { filePosition, setup, skipReason, tempDir, userMessage } from "../helpers.ts";
import { runProto } from "../../lib/proto/run_proto.ts";
import { fakeIo, hostileLine, normalize, runScript } from "./fake_io.ts";

const encoder = new TextEncoder();

/**
 * Whether a worker can read a descriptor this thread opened. Not on Deno, whose workers see
 * only their own and 0–2 (stdin, which `rollout proto` gives it): there the process tests of
 * proto_process_test.ts cover the worker reading stdin.
 */
const SHARED_DESCRIPTORS = !("Deno" in globalThis);
const NOT_SHARED = skipReason(
  "parse_thread_test.ts (4 tests)",
  !SHARED_DESCRIPTORS && "Deno's workers do not see descriptors opened here",
);

/** Lines of ops of every kind, valid and not, as one input. */
function mixedInput(seed: number, cap: number): Uint8Array {
  const random = prng(seed);
  const parts: Uint8Array[] = [encoder.encode('{"id":"c","op":{"type":"configure_session"}}\n')];
  const line = (value: unknown) => parts.push(encoder.encode(`${JSON.stringify(value)}\n`));
  // An item whose op line fits under the cap but whose journal line (the item and its
  // envelope) does not: the recorder refuses it with line_too_long. Alone, or before an
  // invalid item (the first failure in item order is the one reported).
  const filler = cap - 70 - JSON.stringify(userMessage("")).length;
  const nearCap = userMessage("n".repeat(filler));
  for (let i = 0; i < 1500; i++) {
    const id = `o${i}`;
    const roll = random();
    if (roll < 0.45) {
      const items = Array.from(
        { length: 1 + Math.floor(random() * 3) },
        (_, k) => userMessage(`é€😀 ${i}.${k} ${"x".repeat(Math.floor(random() * 300))}`),
      );
      line({ id, op: { type: "record_items", items } });
    } else if (roll < 0.5) {
      // Types outside the persistence policy are dropped and listed, next to kept ones.
      const items = [{ type: "reasoning", id: `r${i}` }, userMessage(`kept ${i}`)];
      line({ id, op: { type: "record_items", items } });
    } else if (roll < 0.52) {
      line({ id, op: { type: "record_items", items: [nearCap, {}] } });
    } else if (roll < 0.53) {
      line({ id, op: { type: "record_items", items: [nearCap] } });
    } else if (roll < 0.56) {
      line({ id, op: { type: "record_items", items: [userMessage("ok"), { type: "message" }] } });
    } else if (roll < 0.6) line({ id, op: { type: "get_session" } });
    else if (roll < 0.63) {
      line({ id, op: { type: "user_input", items: [{ type: "text", text: id }] } });
    } else if (roll < 0.66) line({ id, op: { type: "record_state", previous_response_id: id } });
    else if (roll < 0.68) line({ id, op: { type: "flush" } });
    else if (roll < 0.7) line({ id, op: { type: "record_items", items: [] } });
    else {
      parts.push(hostileLine(random, i, cap).line, encoder.encode("\n"));
    }
  }
  parts.push(
    encoder.encode('{"id":"g","op":{"type":"get_session"}}\n{"id":"s","op":{"type":"shutdown"}}\n'),
  );
  return Buffer.concat(parts);
}

/** `bytes` cut at random points. */
function chunked(bytes: Uint8Array, seed: number): Uint8Array[] {
  const random = prng(seed);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * (random() < 0.2 ? 200_000 : 5000));
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return chunks;
}

test("runProto() gives the same events and the same rollout with and without the parse thread, fed or reading stdin itself", async () => {
  await setup();
  const cap = 4096;
  // The document format decodes the items the parse thread encoded, to pretty-print them.
  for (const [seed, format] of [[1, "jsonl"], [2, "jsonl"], [3, "json"]] as const) {
    const input = mixedInput(seed, cap);
    const runs = [];
    const modes = SHARED_DESCRIPTORS
      ? ["fed", "inline", "reading"] as const
      : ["fed", "inline"] as const;
    for (const mode of modes) {
      const { dir, cleanup } = tempDir();
      let fd: number | undefined;
      try {
        if (mode === "reading") {
          fs.writeFileSync(path.join(dir, "stdin"), input);
          fd = fs.openSync(path.join(dir, "stdin"), "r");
        }
        const { status, events } = await runScript(mode === "reading" ? [] : chunked(input, seed), {
          home: dir,
          maxLineBytes: cap,
          format,
          parseThread: mode !== "inline",
          ...(fd === undefined ? {} : { stdinFd: fd }),
        });
        const file = events[0]!.msg.rollout_path as string;
        const rollout = normalize(fs.readFileSync(file, "utf8"), { home: dir });
        runs.push({ status, events: normalize(events, { home: dir }), rollout });
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
        cleanup();
      }
    }
    const [threaded, inline, reading] = runs;
    assert.equal(threaded!.status, 0);
    assert.deepEqual(threaded!.events, inline!.events, `seed ${seed}`);
    assert.equal(threaded!.rollout, inline!.rollout, `seed ${seed}`);
    if (reading !== undefined) {
      assert.equal(reading.status, 0);
      assert.deepEqual(reading.events, inline!.events, `seed ${seed}`);
      assert.equal(reading.rollout, inline!.rollout, `seed ${seed}`);
    }
    // Not vacuous: the input holds each kind of outcome.
    const types = new Set(inline!.events.map((e) => e.msg.type));
    const codes = new Set(inline!.events.map((e) => e.msg.code));
    for (const type of ["items_recorded", "session", "state_recorded", "flushed", "error"]) {
      assert.ok(types.has(type), `seed ${seed}: no ${type} event`);
    }
    for (const code of ["invalid_json", "invalid_submission", "line_too_long"]) {
      assert.ok(codes.has(code), `seed ${seed}: no ${code} error`);
    }
    const tooLong = inline!.events.filter((e) => String(e.msg.message).includes("encoded record"));
    assert.ok(tooLong.length > 0, `seed ${seed}: no item refused by the recorder as too long`);
    const dropping = inline!.events.filter((e) => (e.msg.dropped as unknown[])?.length > 0);
    assert.ok(dropping.length > 0, `seed ${seed}: nothing dropped`);
  }
});

/** Runs `input` through `parser` in chunks; returns what it delivered. */
async function parseAll(
  make: (deliver: (s: ParsedSubmission) => void) => SubmissionParser,
  chunks: readonly Uint8Array[],
): Promise<{ parser: SubmissionParser; delivered: ParsedSubmission[] }> {
  const delivered: ParsedSubmission[] = [];
  const parser = make((s) => delivered.push(s));
  try {
    for (const chunk of chunks) await parser.push(chunk);
    await parser.end();
  } finally {
    parser.close();
  }
  return { parser, delivered };
}

test("startParser() parses on a worker thread and hands record_items over checked and encoded", async () => {
  const items = [userMessage("a"), { type: "reasoning", id: "r" }, userMessage("ü")];
  const kept = [userMessage("b"), userMessage("€")];
  const input = encoder.encode(
    `${JSON.stringify({ id: "1", op: { type: "record_items", items } })}\n` +
      `${JSON.stringify({ id: "0", op: { type: "record_items", items: kept } })}\n` +
      '{"id":"2","op":{"type":"flush"}}\n{"id":"3","op":{"type":"record_items","items":[{}]}}',
  );
  const { parser, delivered } = await parseAll(
    (deliver) => startParser({ maxLineBytes: 1 << 20, deliver }),
    [input.slice(0, 7), input.slice(7)],
  );
  assert.equal(parser.threaded, true);
  assert.equal(delivered.length, 4);
  const [first, zeroth, second, third] = delivered;
  assert.ok(first!.ok && first!.prepared !== undefined);
  assert.deepEqual(first!.op, { type: "record_items", items: [] });
  const decoder = new TextDecoder();
  assert.deepEqual(
    first!.prepared.items.map((item) => ({
      type: item.type,
      value: item.payload === null ? null : JSON.parse(
        typeof item.payload === "string" ? item.payload : decoder.decode(item.payload),
      ),
    })),
    [
      { type: "message", value: items[0] },
      { type: "reasoning", value: null },
      { type: "message", value: items[2] },
    ],
  );
  // An op whose items are all kept comes as UTF-8 bytes, sharing one buffer of exactly their
  // size (the recorder keeps views into it).
  assert.ok(zeroth!.ok && zeroth!.prepared !== undefined);
  const payloads = zeroth!.prepared.items.flatMap((item) =>
    item.payload instanceof Uint8Array ? [item.payload] : []
  );
  assert.deepEqual(payloads.map((p) => JSON.parse(decoder.decode(p))), kept);
  const size = payloads.reduce((sum, payload) => sum + payload.length, 0);
  for (const payload of payloads) assert.equal(payload.buffer.byteLength, size);
  assert.deepEqual(second, { ok: true, id: "2", op: { type: "flush" } });
  assert.ok(third!.ok && third!.prepared !== undefined);
  assert.equal(third!.prepared.items.length, 0);
  assert.equal(third!.prepared.error?.code, "invalid_submission");
});

test("startParser() parses on this thread, losing nothing, when the worker does not start", async () => {
  const input = encoder.encode(
    '{"id":"1","op":{"type":"flush"}}\n{"id":"2","op":{"type":"record_items","items":[]}}\n{',
  );
  const chunks = [input.slice(0, 10), input.slice(10, 40), input.slice(40)];
  const broken = new URL("./broken_parse_worker.ts", import.meta.url).href;
  const failed = await parseAll(
    (deliver) => startParser({ maxLineBytes: 1 << 20, deliver, workerUrl: broken }),
    chunks,
  );
  const inline = await parseAll(
    (deliver) => startParser({ maxLineBytes: 1 << 20, deliver, thread: false }),
    chunks,
  );
  assert.equal(failed.parser.threaded, false);
  assert.equal(inline.delivered.length, 3);
  assert.deepEqual(failed.delivered, inline.delivered);
});

test("startParser() reports a worker that fails after it started, instead of waiting forever", async () => {
  const failing = new URL("./misbehaving_parse_worker.ts", import.meta.url).href;
  const delivered: ParsedSubmission[] = [];
  const parser = startParser({
    maxLineBytes: 1 << 20,
    deliver: (s) => delivered.push(s),
    workerUrl: failing,
  });
  try {
    await parser.idle(); // the worker has started
    await assert.rejects(
      async () => {
        await parser.push(encoder.encode('{"id":"1","op":{"type":"flush"}}\n'));
        await parser.end();
      },
      /the parse thread stopped: .*fails on purpose/,
    );
    assert.deepEqual(delivered, []);
  } finally {
    parser.close();
  }
});

test("startParser() leaves the caller's bytes as they were: views and Buffers stay usable", async () => {
  const text = '{"id":"1","op":{"type":"flush"}}\n{"id":"2","op":{"type":"get_session"}}\n';
  const backing = new Uint8Array(4096).fill(32);
  backing.set(encoder.encode(text), 100);
  const view = backing.subarray(100, 100 + text.length);
  const buffer = Buffer.from(text);
  const { parser, delivered } = await parseAll(
    (deliver) => startParser({ maxLineBytes: 1 << 20, deliver }),
    [view, buffer],
  );
  assert.equal(parser.threaded, true);
  assert.deepEqual(delivered.map((s) => s.id), ["1", "2", "1", "2"]);
  assert.equal(backing.buffer.byteLength, 4096);
  assert.equal(new TextDecoder().decode(view), text);
  assert.equal(buffer.toString("utf8"), text);
});

test("startParser() stops taking input while four chunks wait for a busy worker", async () => {
  const silent = new URL("./misbehaving_parse_worker.ts", import.meta.url).href;
  const parser = startParser({ maxLineBytes: 1 << 20, deliver: () => {}, workerUrl: silent });
  try {
    await parser.idle(); // the worker has started; it never answers a chunk
    const chunk = encoder.encode('{"id":"silent","op":{"type":"flush"}}\n');
    for (let i = 0; i < 4; i++) await parser.push(chunk);
    let taken = false;
    const fifth = parser.push(chunk).then(() => (taken = true), () => "stopped");
    // Without the bound it would resolve within microtasks; one macrotask turn is plenty.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(taken, false);
    parser.close();
    assert.equal(await fifth, "stopped");
  } finally {
    parser.close();
  }
});

test("runProto() stops at once, status 1, when the parse thread fails while stdin stays open", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    let returned = false;
    // One line, then stdin stays open: only the failure can end the run.
    const stdin: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        let sent = false;
        return {
          next() {
            if (sent) return new Promise<IteratorResult<Uint8Array>>(() => {});
            sent = true;
            const line = encoder.encode('{"id":"c","op":{"type":"configure_session"}}\n');
            return Promise.resolve({ done: false, value: line });
          },
          return() {
            returned = true;
            return Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    };
    const io = fakeIo(stdin);
    const failing = new URL("./misbehaving_parse_worker.ts", import.meta.url).href;
    const status = await runProto({
      home: dir,
      format: "jsonl",
      sync: true,
      maxLineBytes: 1 << 20,
      parseWorkerUrl: failing,
    }, io);
    assert.equal(status, 1);
    assert.equal(returned, true);
    assert.match(io.err.join(""), /the parse thread stopped: .*fails on purpose/);
    assert.deepEqual(io.events(), []);
  } finally {
    cleanup();
  }
});

/** `text` in a file of `dir`, opened for reading; the caller closes the descriptor. */
function openInput(dir: string, text: string | Uint8Array): number {
  const file = path.join(dir, "stdin");
  fs.writeFileSync(file, text);
  return fs.openSync(file, "r");
}

/** Runs a parser that reads `fd` itself to its end; returns what it delivered. */
async function readAll(
  fd: number,
  options: { mayRead?: () => Promise<void> | null } = {},
): Promise<{ end: string; delivered: ParsedSubmission[] }> {
  const delivered: ParsedSubmission[] = [];
  const parser = startParser({
    maxLineBytes: 1 << 20,
    deliver: (s) => delivered.push(s),
    readFd: fd,
    ...options,
  });
  try {
    assert.ok(parser.reading !== null);
    const end = await parser.reading;
    await parser.idle();
    return { end, delivered };
  } finally {
    parser.close();
  }
}

test("startParser() given a descriptor reads it on the worker and delivers what feeding it would", {
  skip: NOT_SHARED,
}, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const input = mixedInput(5, 4096);
    const fd = openInput(dir, input);
    let read;
    try {
      read = await readAll(fd);
    } finally {
      fs.closeSync(fd);
    }
    const fed = await parseAll(
      (deliver) => startParser({ maxLineBytes: 1 << 20, deliver }),
      chunked(input, 5),
    );
    assert.equal(read.end, "end");
    assert.ok(read.delivered.length > 1500);
    assert.deepEqual(read.delivered, fed.delivered);
  } finally {
    cleanup();
  }
});

test("startParser() reading a descriptor reads at most 16 batches ahead of mayRead", {
  skip: NOT_SHARED ||
    skipReason("parse_thread_test.ts", process.platform !== "linux" && "reads /proc/self/fdinfo"),
}, async () => {
  const { dir, cleanup } = tempDir();
  // 2 MB of lines: 32 reads of 64 KiB.
  const line = `${
    JSON.stringify({
      id: "x",
      op: { type: "record_items", items: [userMessage("y".repeat(1000))] },
    })
  }\n`;
  const count = Math.ceil((2 << 20) / line.length);
  const fd = openInput(dir, line.repeat(count));
  const held: (() => void)[] = [];
  let reachedBound: () => void = () => {};
  const bound = new Promise<void>((resolve) => (reachedBound = resolve));
  let release = false;
  const mayRead = () => {
    if (release) return null;
    const hold = new Promise<void>((resolve) => held.push(resolve));
    if (held.length === 16) reachedBound();
    return hold;
  };
  try {
    const reading = readAll(fd, { mayRead });
    await bound;
    // The worker reads nothing more: the descriptor stays where its 16th read of 64 KiB left
    // it. (The wait only gives a worker that ignores the bound time to show it.)
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(filePosition(fd), 16 * 65536);
    assert.equal(held.length, 16);
    release = true;
    for (const resume of held) resume();
    const { end, delivered } = await reading;
    assert.equal(end, "end");
    assert.equal(delivered.length, count);
  } finally {
    fs.closeSync(fd);
    cleanup();
  }
});

test("startParser() hands a non-blocking descriptor back after what it could read", {
  skip: NOT_SHARED ||
    skipReason(
      "parse_thread_test.ts",
      process.platform !== "linux" && "needs mkfifo and O_NONBLOCK as on Linux",
    ),
}, async () => {
  const { dir, cleanup } = tempDir();
  const fifo = path.join(dir, "stdin");
  assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
  // Opening the reading end first, non-blocking, lets the writing end open without waiting.
  const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
  const delivered: ParsedSubmission[] = [];
  const parser = startParser({
    maxLineBytes: 1 << 20,
    deliver: (s) => delivered.push(s),
    readFd,
  });
  try {
    // The first line and the start of the second are there; then a read would block.
    fs.writeSync(writeFd, '{"id":"1","op":{"type":"flush"}}\n{"id":"2","op":');
    assert.equal(await parser.reading, "handover");
    await parser.push(encoder.encode('{"type":"get_session"}}\n{"id":"3","op":{"type":"flush"}}'));
    await parser.end();
    assert.deepEqual(delivered.map((s) => [s.id, s.ok && s.op.type]), [
      ["1", "flush"],
      ["2", "get_session"],
      ["3", "flush"],
    ]);
  } finally {
    parser.close();
    fs.closeSync(writeFd);
    fs.closeSync(readFd);
    cleanup();
  }
});

test("startParser() reports a descriptor it cannot read, with the system's reason", {
  skip: NOT_SHARED,
}, async () => {
  const { dir, cleanup } = tempDir();
  const fd = fs.openSync(dir, "r");
  try {
    await assert.rejects(readAll(fd), /EISDIR/);
  } finally {
    fs.closeSync(fd);
    cleanup();
  }
});

test("runProto() returns only once its warnings are written to stderr", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    const line = encoder.encode('{"id":"c","op":{"type":"configure_session"}}\n');
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let warned: () => void = () => {};
    const warning = new Promise<void>((resolve) => (warned = resolve));
    const written: string[] = [];
    const fake = fakeIo([line]);
    const io = {
      ...fake,
      stderr: {
        isTTY: false,
        write(data: string | Uint8Array) {
          warned();
          return released.then(() => void written.push(String(data)));
        },
      },
    };
    // The failing worker makes runProto warn ("the parse thread stopped").
    const failing = new URL("./misbehaving_parse_worker.ts", import.meta.url).href;
    let returned = false;
    const run = runProto({
      home: dir,
      format: "jsonl",
      sync: true,
      maxLineBytes: 1 << 20,
      parseWorkerUrl: failing,
    }, io).then((status) => {
      returned = true;
      return status;
    });
    await warning;
    // (The wait only gives a runProto that does not wait for stderr time to return.)
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(returned, false);
    release();
    assert.equal(await run, 1);
    assert.match(written.join(""), /the parse thread stopped/);
  } finally {
    cleanup();
  }
});

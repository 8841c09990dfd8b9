import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import { test } from "node:test";
import type { ParsedSubmission } from "../lib/protocol.ts";
import { startParser, type SubmissionParser } from "../lib/proto/parse_thread.ts";
import { prng } from "./fixtures_random.ts";
import { setup, tempDir, userMessage } from "./helpers.ts";
import { runProto } from "../lib/proto/run_proto.ts";
import { fakeIo, hostileLine, normalize, runScript } from "./proto_fake_io.ts";

const encoder = new TextEncoder();

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

test("runProto() gives the same events and the same rollout with and without the parse thread", async () => {
  await setup();
  const cap = 4096;
  // The document format decodes the items the parse thread encoded, to pretty-print them.
  for (const [seed, format] of [[1, "jsonl"], [2, "jsonl"], [3, "json"]] as const) {
    const input = mixedInput(seed, cap);
    const runs = [];
    for (const parseThread of [true, false]) {
      const { dir, cleanup } = tempDir();
      try {
        const { status, events } = await runScript(chunked(input, seed), {
          home: dir,
          maxLineBytes: cap,
          format,
          parseThread,
        });
        const file = events[0]!.msg.rollout_path as string;
        const rollout = normalize(fs.readFileSync(file, "utf8"), { home: dir });
        runs.push({ status, events: normalize(events, { home: dir }), rollout });
      } finally {
        cleanup();
      }
    }
    const [threaded, inline] = runs;
    assert.equal(threaded!.status, 0);
    assert.deepEqual(threaded!.events, inline!.events, `seed ${seed}`);
    assert.equal(threaded!.rollout, inline!.rollout, `seed ${seed}`);
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

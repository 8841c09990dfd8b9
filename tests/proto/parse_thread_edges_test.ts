/**
 * The parse thread's less travelled paths: no thread wanted, a worker that fails before or after
 * it starts, a parser stopped before it read, a delivery that throws, items bigger than the
 * worker's first encoding buffer, and how a worker's error becomes one line.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { type ParsedSubmission } from "../../lib/schemas/mod.ts";
import { startParser, workerErrorText } from "../../lib/proto/parse_thread.ts";
import { tempDir, userMessage } from "../helpers.ts";

const encoder = new TextEncoder();
const broken = new URL("./broken_parse_worker.ts", import.meta.url).href;
const failing = new URL("./misbehaving_parse_worker.ts", import.meta.url).href;

/** A descriptor of a file holding `text` (the parsers below never read it: no worker runs). */
function withInputFd<T>(text: string, body: (fd: number) => Promise<T>): Promise<T> {
  const { dir, cleanup } = tempDir();
  const file = path.join(dir, "input.jsonl");
  fs.writeFileSync(file, text);
  const fd = fs.openSync(file, "r");
  return body(fd).finally(() => {
    fs.closeSync(fd);
    cleanup();
  });
}

test("startParser({thread: false}) parses here; given a descriptor, it hands the reading back", async () => {
  const delivered: ParsedSubmission[] = [];
  const fed = startParser({
    maxLineBytes: 1 << 20,
    deliver: (s) => delivered.push(s),
    thread: false,
  });
  assert.equal(fed.threaded, false);
  assert.equal(fed.reading, null);
  await fed.push(encoder.encode('{"id":"1","op":{"type":"flush"}}\n{"id":"2","op":'));
  await fed.end();
  fed.close();
  assert.deepEqual(delivered.map((s) => [s.id, s.ok]), [["1", true], ["", false]]);
  await withInputFd('{"id":"x","op":{"type":"flush"}}\n', async (fd) => {
    const reader = startParser({
      maxLineBytes: 1 << 20,
      deliver: () => {},
      thread: false,
      readFd: fd,
    });
    assert.equal(reader.threaded, false);
    assert.equal(await reader.reading, "handover");
    reader.close();
  });
  // A thread that is fed, not given a descriptor, has no reading to wait for either.
  const threaded = startParser({ maxLineBytes: 1 << 20, deliver: () => {} });
  assert.equal(threaded.reading, null);
  threaded.close();
});

test("startParser() whose worker fails to load hands the reading back and parses what comes after", async () => {
  await withInputFd("", async (fd) => {
    const delivered: ParsedSubmission[] = [];
    const parser = startParser({
      maxLineBytes: 1 << 20,
      deliver: (s) => delivered.push(s),
      workerUrl: broken,
      readFd: fd,
    });
    try {
      assert.equal(await parser.reading, "handover");
      assert.equal(parser.threaded, false);
      // Fed only now, after the move to this thread: a chunk, a line split across two, and a
      // last line without its end that only `end()` completes.
      await parser.push(encoder.encode('{"id":"1","op":{"type":"flush"}}\n{"id":"2","op":'));
      await parser.push(
        encoder.encode('{"type":"get_session"}}\n{"id":"3","op":{"type":"flush"}}'),
      );
      assert.deepEqual(delivered.map((s) => s.id), ["1", "2"]);
      await parser.end();
      await parser.idle();
      assert.deepEqual(delivered.map((s) => s.id), ["1", "2", "3"]);
    } finally {
      parser.close();
    }
  });
});

test("startParser() closed before its worker read anything fails the reading with why", async () => {
  await withInputFd('{"id":"1","op":{"type":"flush"}}\n', async (fd) => {
    const parser = startParser({ maxLineBytes: 1 << 20, deliver: () => {}, readFd: fd });
    parser.close();
    await assert.rejects(parser.reading!, { message: "the parse thread was stopped" });
    await assert.rejects(parser.idle(), { message: "the parse thread was stopped" });
  });
});

test("startParser() stops, naming the error, when delivering a submission throws", async () => {
  const failures: Error[] = [];
  let calls = 0;
  const parser = startParser({
    maxLineBytes: 1 << 20,
    deliver: () => {
      calls++;
      throw new Error("delivery refused");
    },
    onFailure: (error) => failures.push(error),
  });
  try {
    const message = "the parse thread stopped: internal error: delivery refused";
    await assert.rejects(async () => {
      await parser.push(encoder.encode('{"id":"1","op":{"type":"flush"}}\n'));
      await parser.end();
    }, { message });
    assert.equal(parser.threaded, true, "nothing is parsed again on this thread");
    assert.equal(calls, 1);
    assert.deepEqual(failures.map((e) => e.message), [message]);
    await assert.rejects(parser.push(encoder.encode("{}\n")), { message });
  } finally {
    parser.close();
  }
});

test("startParser() reports the line of a worker's error that says what failed", async () => {
  const parser = startParser({ maxLineBytes: 1 << 20, deliver: () => {}, workerUrl: failing });
  try {
    await parser.idle();
    const error = await parser.push(encoder.encode('{"id":"1","op":{"type":"flush"}}\n'))
      .then(() => parser.end()).then(() => null, (e: Error) => e);
    // Bun's message is a source excerpt, then `error: ...`; Deno's is one line.
    assert.ok(
      [
        "the parse thread stopped: error: this worker fails on purpose",
        "the parse thread stopped: Uncaught Error: this worker fails on purpose",
      ].includes(String(error?.message)),
      String(error?.message),
    );
  } finally {
    parser.close();
  }
});

test("workerErrorText() picks the error's own message, else its error line, else all of it", () => {
  const text = (error: unknown, message: string) =>
    workerErrorText({ error, message } as Pick<ErrorEvent, "error" | "message">);
  assert.equal(text(new RangeError("too deep"), "ignored"), "too deep");
  const excerpt = [
    " 3 | const note = 'error: not this line';",
    "     ^",
    "   TypeError: undefined is not an object",
    "      at parse (worker.ts:3:1)",
  ].join("\n");
  assert.equal(text(null, excerpt), "TypeError: undefined is not an object");
  assert.equal(text(null, "  Uncaught Error: boom  "), "Uncaught Error: boom");
  assert.equal(text(null, undefined as unknown as string), "unknown error");
});

test("startParser() hands over items bigger than the worker's first encoding buffer, whole", async () => {
  // 3 MiB of UTF-8 in one op: more than the 1 MiB the worker starts with.
  const items = [userMessage("a".repeat(1_500_000)), userMessage("é".repeat(400_000) + "z")];
  const delivered: ParsedSubmission[] = [];
  const parser = startParser({ maxLineBytes: 1 << 23, deliver: (s) => delivered.push(s) });
  try {
    await parser.push(
      encoder.encode(`${JSON.stringify({ id: "big", op: { type: "record_items", items } })}\n`),
    );
    await parser.end();
    assert.equal(parser.threaded, true);
  } finally {
    parser.close();
  }
  const [only] = delivered;
  assert.ok(only?.ok && only.prepared !== undefined);
  const decoder = new TextDecoder();
  assert.deepEqual(
    only.prepared.items.map((item) =>
      JSON.parse(typeof item.payload === "string" ? item.payload : decoder.decode(item.payload!))
    ),
    items,
  );
});

test("startParser() finds its worker's module from any working folder", async () => {
  const { dir, cleanup } = tempDir();
  const here = process.cwd();
  process.chdir(dir);
  try {
    const delivered: ParsedSubmission[] = [];
    const parser = startParser({ maxLineBytes: 1 << 20, deliver: (s) => delivered.push(s) });
    try {
      await parser.push(encoder.encode('{"id":"1","op":{"type":"flush"}}\n'));
      await parser.end();
      // A module named relative to the working folder fails to load: the parser would then
      // fall back to this thread and still deliver.
      assert.equal(parser.threaded, true);
      assert.deepEqual(delivered.map((s) => s.id), ["1"]);
    } finally {
      parser.close();
    }
  } finally {
    process.chdir(here);
    cleanup();
  }
});

/**
 * The op stream's parse thread (see {@linkcode ThreadParser}): stdin bytes in, parsed
 * submissions out. It reads stdin itself when given its descriptor, sending one batch per read
 * while it holds credits from the main thread; otherwise it answers each chunk it is sent. A
 * `record_items` op comes back with its items checked and encoded (`prepared`) instead of their
 * decoded values, so the main thread neither parses nor encodes them and nothing big is cloned
 * back.
 */
import * as fs from "node:fs";
import { redactingScrub } from "../redaction/mod.ts";
import { restoreJit } from "../runtime/mod.ts";
import {
  describe,
  type Op,
  type ParsedSubmission,
  prepareItems,
  type ResponseItem,
} from "../schemas/mod.ts";
import type { FromParser, PackedBatch, ReadStop, ToParser } from "./parse_thread.ts";
import { SubmissionReader } from "./submission_reader.ts";

// The parse thread lives as long as the op stream: the JIT's normal thresholds from the start
// (lib/runtime/jit_policy.ts).
restoreJit();

type ParsedBatch = Omit<PackedBatch, "payloads"> & { payloads: string[] };

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToParser>) => void) | null;
  postMessage(message: FromParser, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let reader: SubmissionReader | null = null;
/** `proto --redact`: items are redacted here, as they are prepared. */
let redact = false;
/** What the submission being prepared had redacted, by rule (null: nothing yet). */
let found: Record<string, number> | null = null;
/** The scrub of `proto --redact`, made once: it counts into `found`. */
let scrub: ((payload: string, item: ResponseItem) => ResponseItem | null) | null = null;
let reply = emptyReply();
/** The descriptor this thread reads, until its end, an error or a handover. */
let input: number | null = null;
/** Batches the main thread will take before this thread must wait for it. */
let credits = 0;
const READ_SIZE = 65536;
let readBuffer: Uint8Array | null = null;

function emptyReply(): ParsedBatch {
  return {
    count: 0,
    others: [],
    ids: [],
    itemCounts: [],
    types: [],
    payloads: [],
    ends: [],
    mirrors: [],
    redacted: redact,
    redactions: [],
  };
}

function deliver(submission: ParsedSubmission): void {
  const at = reply.count++;
  if (!submission.ok || submission.op.type !== "record_items") {
    reply.others.push({ at, submission });
    return;
  }
  // parseLine refuses every line nesting deeper than MAX_NESTING: no item can.
  found = null;
  const prepared = prepareItems(submission.op.items, "op.items", {
    keepItems: false,
    nestingChecked: true,
    ...(scrub === null ? {} : { scrub }),
  });
  const counts = found as Record<string, number> | null;
  if (redact) prepared.redacted = counts ?? {};
  if (prepared.error !== null || prepared.items.some((item) => item.payload === null)) {
    const op: Op = { type: "record_items", items: [] };
    reply.others.push({ at, submission: { ok: true, id: submission.id, op, prepared } });
    return;
  }
  if (counts !== null) {
    reply.redactions.push({ op: reply.ids.length, counts });
  }
  reply.ids.push(submission.id);
  reply.itemCounts.push(prepared.items.length);
  for (const item of prepared.items) {
    reply.types.push(item.type);
    reply.payloads.push(item.payload as string);
    reply.mirrors.push(item.mirror ?? null);
  }
}

scope.onmessage = ({ data }) => {
  if (data.kind === "start") {
    redact = data.redact === true;
    scrub = redact ? redactingScrub<ResponseItem>(() => (found ??= {})) : null;
    reply = emptyReply();
    reader = new SubmissionReader({ maxLineBytes: data.maxLineBytes, deliver });
    scope.postMessage({ kind: "ready" });
    if (data.readFd === undefined) return;
    input = data.readFd;
    return;
  }
  if (data.kind === "credit") {
    credits += data.count;
    readInput();
    return;
  }
  if (data.kind === "chunk") reader!.push(data.bytes);
  else reader!.end();
  send("parsed");
};

/** Sends what was parsed since the last message; one `read` message takes one credit. */
function send(kind: "parsed" | "read", stop?: ReadStop): void {
  const batch = reply;
  reply = emptyReply();
  const packed = pack(batch);
  const message: FromParser = kind === "parsed"
    ? { kind, batch: packed }
    : { kind, batch: packed, ...(stop === undefined ? {} : { stop }) };
  scope.postMessage(message, [packed.payloads.buffer as ArrayBuffer]);
}

/**
 * Reads and parses `input` while credits last (blocking this thread, never the main one), then
 * returns to wait for the next credit. A descriptor that would block (EAGAIN: stdin set
 * non-blocking) is handed back: the main thread reads the rest and sends it as chunks.
 */
function readInput(): void {
  readBuffer ??= new Uint8Array(READ_SIZE);
  while (input !== null && credits > 0) {
    let n: number;
    try {
      n = fs.readSync(input, readBuffer, 0, READ_SIZE, null);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "EINTR") continue;
      input = null;
      send(
        "read",
        code === "EAGAIN" ? { kind: "handover" } : {
          kind: "error",
          message: describe(error),
        },
      );
      return;
    }
    if (n === 0) {
      input = null;
      reader!.end();
      send("read", { kind: "end" });
      return;
    }
    // The splitter copies what it keeps: the buffer is reused for the next read.
    reader!.push(readBuffer.subarray(0, n));
    if (reply.count === 0) continue; // inside a long line: nothing to send yet
    credits--;
    send("read");
  }
}

const encoder = new TextEncoder();
/** Where payloads are encoded before being copied into a buffer of their exact size. */
let scratch = new Uint8Array(1 << 20);

/**
 * Every payload as UTF-8 in one buffer of exactly their size, moved (not copied) to the main
 * thread: the recorder keeps views into it as the items, so no spare room may come along.
 */
function pack(batch: ParsedBatch): PackedBatch {
  let room = 0;
  for (const payload of batch.payloads) room += payload.length * 3;
  if (scratch.length < room) scratch = new Uint8Array(room);
  let end = 0;
  const ends = batch.payloads.map((payload) =>
    end += encoder.encodeInto(payload, scratch.subarray(end)).written
  );
  return { ...batch, payloads: scratch.slice(0, end), ends };
}

/**
 * The op stream's parse thread (see {@linkcode ParseThread}): stdin bytes in, parsed
 * submissions out, one reply per message. A `record_items` op comes back with its items
 * checked and encoded (`prepared`) instead of their decoded values, so the main thread neither
 * parses nor encodes them and nothing big is cloned back.
 */
import { prepareItems } from "../prepare_items.ts";
import type { Op, ParsedSubmission } from "../protocol.ts";
import type { FromParser, PackedBatch, ToParser } from "./parse_thread.ts";
import { SubmissionReader } from "./submission_reader.ts";

type ParsedBatch = Omit<PackedBatch, "payloads"> & { payloads: string[] };

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToParser>) => void) | null;
  postMessage(message: FromParser, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let reader: SubmissionReader | null = null;
let reply = emptyReply();

function emptyReply(): ParsedBatch {
  return { count: 0, others: [], ids: [], itemCounts: [], types: [], payloads: [], ends: [] };
}

function deliver(submission: ParsedSubmission): void {
  const at = reply.count++;
  if (!submission.ok || submission.op.type !== "record_items") {
    reply.others.push({ at, submission });
    return;
  }
  // parseLine refuses every line nesting deeper than MAX_NESTING: no item can.
  const prepared = prepareItems(submission.op.items, "op.items", {
    keepItems: false,
    nestingChecked: true,
  });
  if (prepared.error !== null || prepared.items.some((item) => item.payload === null)) {
    const op: Op = { type: "record_items", items: [] };
    reply.others.push({ at, submission: { ok: true, id: submission.id, op, prepared } });
    return;
  }
  reply.ids.push(submission.id);
  reply.itemCounts.push(prepared.items.length);
  for (const item of prepared.items) {
    reply.types.push(item.type);
    reply.payloads.push(item.payload as string);
  }
}

scope.onmessage = ({ data }) => {
  if (data.kind === "start") {
    reader = new SubmissionReader({ maxLineBytes: data.maxLineBytes, deliver });
    scope.postMessage({ kind: "ready" });
    return;
  }
  if (data.kind === "chunk") reader!.push(data.bytes);
  else reader!.end();
  const batch = reply;
  reply = emptyReply();
  const packed = pack(batch);
  scope.postMessage({ kind: "parsed", batch: packed }, [packed.payloads.buffer as ArrayBuffer]);
};

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

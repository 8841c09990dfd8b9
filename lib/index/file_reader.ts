/**
 * Reads one rollout for the index (SPEC §8): the meta, every item's searchable text, usage
 * records, and what the bytes are (SPEC §8 `du`). A line file is read from where the index
 * stopped, with the state it left, so a grown journal costs only its new tail; a compressed
 * one is unpacked as it is read; a document is read whole. Lines are read 1 MiB at a time
 * (SPEC §7).
 */
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import { type BadLineReason, isObject, LineSplitter, parseJson } from "../base/mod.ts";
import {
  isZstd,
  memoryRelief,
  zstdCutShort,
  zstdDecompress,
  zstdFilePieces,
  ZstdTooLarge,
} from "../runtime/mod.ts";
import {
  checkItem,
  checkMeta,
  isDocument,
  type ResponseItem,
  RolloutFormat,
} from "../schemas/mod.ts";
import {
  DEFAULT_MAX_LINE_BYTES,
  formatOfFirstRecord,
  InvalidRollout,
  streamRollout,
} from "../formats/mod.ts";
import { userText } from "../session/mod.ts";
import { type ItemText, itemText } from "./item_text.ts";
import { UsageTracker, type UsageTurn } from "./usage_tracker.ts";

/** What the bytes of a file are (`du`). */
export interface ByteKinds {
  images: number;
  tool_output: number;
  compaction: number;
  other: number;
}

/** Everything reading on from the end of a file's last indexed line needs. */
export interface ReadState {
  format: RolloutFormat;
  sessionId: string;
  created: string;
  cwd: string | null;
  model: string | null;
  forkedFrom: string | null;
  /** Lines read so far (the next line's number is this plus one). */
  lines: number;
  /** The file's own response items so far (what `show --at` counts). */
  items: number;
  preview: string | null;
  bytes: ByteKinds;
  usage: unknown;
}

/** A searchable entry found while reading. */
export interface FoundEntry extends ItemText {
  sessionId: string;
  /** The item's number among the file's own response items, from 1. */
  item: number;
  /** The line it was read from (null in a document). */
  line: number | null;
  time: string | null;
}

/** Where what a read finds goes, as it is found. */
export interface ReadSink {
  entry(entry: FoundEntry): void;
  usage(turns: UsageTurn[]): void;
  /**
   * Every line of a line file, after what it holds was handed over: its text, or null and why
   * it could not be read as text (the fleet store keeps the records themselves).
   */
  record?(line: number, text: string | null, damage: BadLineReason | null): void;
  /**
   * Called between the reads of a line file's chunks with where its complete lines end and
   * the state there; a read may go on from that point later. Awaited.
   */
  between?(mark: ReadEnd): Promise<void> | void;
}

/** The end of a read: the new state, and the bytes of complete lines read up to. */
export interface ReadEnd {
  state: ReadState;
  /** For line files: the byte after the last complete line (a torn tail is left for later). */
  end: number;
}

/** The file is no rollout the index can read; the message says why. */
export class UnreadableRollout extends Error {}

/** Thrown by the line reader when line 1 is a whole document: the document reader takes over. */
class IsDocument extends Error {}

const CHUNK = 1 << 20;
let sharedBuffer: Uint8Array | null = null;
let sharedRelief: ((bytes: number) => void) | null = null;

/**
 * One memory relief for the whole process: it counts the chunks read across files, so reading
 * thousands of small files costs no collection each (runtime/memory.ts).
 */
function relief(): (bytes: number) => void {
  return sharedRelief ??= memoryRelief();
}

/** One read buffer for the whole process: indexing reads thousands of small files in turn. */
function readBuffer(): Uint8Array {
  return sharedBuffer ??= new Uint8Array(CHUNK);
}
const IMAGE = '"data:image/';

/** Bytes of inline images (`data:image/...` strings) in a line's text. */
function imageBytes(text: string): number {
  let total = 0;
  let at = text.indexOf(IMAGE);
  while (at >= 0) {
    const end = text.indexOf('"', at + IMAGE.length);
    if (end < 0) break;
    total += end - at + 1;
    at = text.indexOf(IMAGE, end + 1);
  }
  return total;
}

function isOutput(item: ResponseItem): boolean {
  return item.type === "function_call_output" || item.type === "custom_tool_call_output";
}

/**
 * A record's time as the index keeps it: in UTC, to the millisecond (`2026-12-01T10:00:00.000Z`
 * for `2026-12-01T12:00:00+02:00` or `2026-12-01T10:00:00Z`), so that times compare as
 * instants when compared as text (`--since`, `--until`) and show in UTC. A time that is no
 * ISO date and time is kept as written.
 */
export function utcTime(text: string): string {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text)) return text;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : text;
}

/** Turns lines into entries, usage and byte counts; the state carries over between reads. */
class LineReader {
  readonly splitter: LineSplitter;
  state: ReadState | null;
  readonly #sink: ReadSink;
  readonly #usage: UsageTracker;
  readonly #firstLine: number;

  constructor(state: ReadState | null, sink: ReadSink) {
    this.state = state;
    this.#sink = sink;
    this.#usage = state === null ? new UsageTracker() : UsageTracker.restore(state.usage);
    this.#firstLine = state?.lines ?? 0;
    this.splitter = new LineSplitter({
      line: (text, lineNo) => {
        this.#line(text, this.#firstLine + lineNo);
        this.#sink.record?.(this.#firstLine + lineNo, text, null);
      },
      bad: (lineNo, reason) => this.#sink.record?.(this.#firstLine + lineNo, null, reason),
    }, { maxLineBytes: DEFAULT_MAX_LINE_BYTES });
  }

  /** The state now, as a copy, with the lines read so far (a mark to read on from). */
  snapshot(): ReadState | null {
    if (this.state === null) return null;
    const copy = structuredClone(this.state);
    copy.lines = this.#firstLine + this.splitter.lines;
    copy.usage = this.#usage.state();
    return copy;
  }

  finish(): ReadState {
    const state = this.state;
    if (state === null) throw new UnreadableRollout("the file holds no complete first line");
    state.lines = this.#firstLine + this.splitter.lines;
    state.usage = this.#usage.state();
    return state;
  }

  #line(text: string, lineNo: number): void {
    const size = Buffer.byteLength(text) + 1;
    let value: unknown;
    try {
      value = parseJson(text);
    } catch {
      value = undefined;
    }
    if (lineNo === 1) {
      // A document pretty-printed under a line file's name: its first line is "{".
      if (value === undefined && text.trim() === "{") throw new IsDocument();
      return this.#meta(value, size);
    }
    const state = this.state;
    if (state === null) return;
    if (!isObject(value)) {
      state.bytes.other += size;
      return;
    }
    let type: string;
    let payload: unknown;
    let time: string | null = null;
    if (state.format === "codex_jsonl_2025") {
      if (value.record_type === "state") {
        state.bytes.other += size;
        return;
      }
      type = "response_item";
      payload = value;
    } else {
      type = typeof value.type === "string" ? value.type : "";
      payload = value.payload;
      if (typeof value.timestamp === "string") time = utcTime(value.timestamp);
      this.#usage.record({ type, timestamp: time ?? undefined, payload, line: lineNo });
      const turns = this.#usage.turns();
      if (turns.length > 0) this.#sink.usage(turns);
    }
    if (type === "compacted") {
      state.bytes.compaction += size;
      return;
    }
    const images = imageBytes(text);
    state.bytes.images += images;
    if (type === "turn_context" && isObject(payload) && typeof payload.model === "string") {
      state.model = payload.model;
    }
    if (type !== "response_item") {
      state.bytes.other += size - images;
      return;
    }
    const check = checkItem(payload, "payload");
    if (!check.ok) {
      state.bytes.other += size - images;
      return;
    }
    if (isOutput(check.item)) state.bytes.tool_output += size - images;
    else state.bytes.other += size - images;
    this.#item(check.item, lineNo, time ?? state.created);
  }

  #item(item: ResponseItem, line: number | null, time: string | null): void {
    const state = this.state!;
    const number = ++state.items;
    state.preview ??= userText(item);
    const text = itemText(item);
    if (text !== null) {
      this.#sink.entry({ ...text, sessionId: state.sessionId, item: number, line, time });
    }
  }

  /** Reads a document's items (its lines are not the format's unit). */
  documentItem(item: ResponseItem): void {
    this.#item(item, null, this.state!.created);
  }

  #meta(value: unknown, size: number): void {
    const format = formatOfFirstRecord(value);
    if (format === null || !isObject(value)) {
      throw new UnreadableRollout("its first line is no session meta");
    }
    if (isDocument(format)) throw new IsDocument();
    const raw = format === "codex_jsonl_2025" ? value : value.payload;
    if (!isObject(raw)) throw new UnreadableRollout("its session meta is no object");
    this.startWith(format, raw, size);
  }

  /** Starts the state from a session meta. */
  startWith(format: RolloutFormat, raw: Record<string, unknown>, size = 0): void {
    const meta = checkMeta(raw);
    if (!meta.success) throw new UnreadableRollout("its session meta has no valid id and time");
    this.state = {
      format,
      sessionId: meta.data.id,
      created: utcTime(meta.data.timestamp),
      cwd: typeof raw.cwd === "string" ? raw.cwd : null,
      model: typeof raw.model === "string" ? raw.model : null,
      forkedFrom: typeof raw.forked_from_id === "string" ? raw.forked_from_id : null,
      lines: 0,
      items: 0,
      preview: null,
      bytes: { images: 0, tool_output: 0, compaction: 0, other: size },
      usage: null,
    };
    if (format !== "codex_jsonl_2025") {
      this.#usage.record({ type: "session_meta", timestamp: undefined, payload: raw, line: 1 });
    }
  }
}

/** The first bytes of a file, to tell a zstd frame from text. */
function headOf(fd: number): Uint8Array {
  const head = new Uint8Array(4);
  const got = fs.readSync(fd, head, 0, 4, 0);
  return head.subarray(0, got);
}

/**
 * Reads the rollout at `path` from byte `from` on (with the `state` left at that point; from
 * 0 with null), handing entries and usage to `sink`. `tick` is told the bytes read.
 */
export async function readRollout(
  path: string,
  from: number,
  state: ReadState | null,
  sink: ReadSink,
  tick: (bytes: number) => void,
): Promise<ReadEnd & { compressed: boolean }> {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new UnreadableRollout("it is not a regular file");
    if (isZstd(headOf(fd))) {
      const end = await readCompressed(fd, sink, tick);
      return { ...end, compressed: true };
    }
    // A document is read by the document reader: by its name, or (a document written on one
    // line under another name) once its first line turns out to be one.
    if (from === 0 && path.endsWith(".json")) {
      return { ...(await readDocument(path, sink, tick)), compressed: false };
    }
    const reader = new LineReader(from === 0 ? null : state, sink);
    const relieve = relief();
    const buffer = readBuffer();
    let position = from;
    for (;;) {
      const got = fs.readSync(fd, buffer, 0, CHUNK, position);
      if (got === 0) break;
      try {
        reader.splitter.push(buffer.subarray(0, got));
      } catch (error) {
        if (!(error instanceof IsDocument) || from !== 0) throw error;
        return { ...(await readDocument(path, sink, tick)), compressed: false };
      }
      position += got;
      tick(got);
      relieve(got);
      if (sink.between !== undefined) {
        const state = reader.snapshot();
        if (state !== null) await sink.between({ state, end: from + reader.splitter.complete });
      }
    }
    const complete = reader.splitter.end().complete;
    return { state: reader.finish(), end: from + complete, compressed: false };
  } finally {
    fs.closeSync(fd);
  }
}

async function readDocument(
  path: string,
  sink: ReadSink,
  tick: (bytes: number) => void,
): Promise<ReadEnd> {
  const reader = new LineReader(null, sink);
  const size = fs.statSync(path).size;
  try {
    await streamRollout(path, {
      history: "count",
      visit: {
        meta: (_meta, raw, format) => reader.startWith(format, raw),
        item: (item) => reader.documentItem(item),
      },
      between: () => {},
    });
  } catch (error) {
    // A document that is no rollout is said so as a file of lines would be, by its reason.
    if (error instanceof InvalidRollout) throw new UnreadableRollout(error.reason);
    throw error;
  }
  tick(size);
  const state = reader.state!;
  state.bytes.other = size;
  return { state, end: size };
}

/** A compressed file this small is unpacked in one call (streams cost more than the work). */
const SMALL_PACKED = 1024 * 1024;
const SMALL_UNPACKED = 32 * 1024 * 1024;

/** The text of a small compressed file, or null when it is not small (packed or unpacked). */
function smallUnpacked(fd: number): Uint8Array | null {
  const size = fs.fstatSync(fd).size;
  if (size > SMALL_PACKED) return null;
  const packed = new Uint8Array(size);
  if (fs.readSync(fd, packed, 0, size, 0) !== size) return null;
  try {
    return zstdDecompress(packed, SMALL_UNPACKED);
  } catch (error) {
    if (error instanceof ZstdTooLarge) return null;
    throw new UnreadableRollout(
      `it is not readable zstd (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

async function readCompressed(
  fd: number,
  sink: ReadSink,
  tick: (bytes: number) => void,
): Promise<ReadEnd> {
  const reader = new LineReader(null, sink);
  const relieve = relief();
  const cut = zstdCutShort(fd);
  if (cut !== null) throw new UnreadableRollout(`it is not readable zstd (${cut})`);
  const small = smallUnpacked(fd);
  if (small !== null) {
    reader.splitter.push(small);
    reader.splitter.end();
    tick(small.length);
    relieve(small.length);
    return { state: reader.finish(), end: small.length };
  }
  // zstdPieces never ends a stream that failed (Deno's zlib would throw that failure where
  // nobody can catch it): a damaged frame is an unreadable file, not a dead process.
  let read = 0;
  try {
    for await (const chunk of zstdFilePieces(fd)) {
      reader.splitter.push(chunk);
      read += chunk.length;
      tick(chunk.length);
      relieve(chunk.length);
      if (sink.between !== undefined) {
        const state = reader.snapshot();
        if (state !== null) await sink.between({ state, end: reader.splitter.complete });
      }
    }
  } catch (error) {
    if (error instanceof UnreadableRollout) throw error;
    throw new UnreadableRollout(
      `it is not readable zstd (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  reader.splitter.end();
  return { state: reader.finish(), end: read };
}

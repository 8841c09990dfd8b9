/**
 * zstd, for Codex's compressed rollouts (`.jsonl.zst`): recognised by the frame's magic
 * number, decompressed by `node:zlib`, which is loaded only when a compressed file is met, so
 * no command pays for it at start.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";

/** zstd's frame magic number, little-endian (RFC 8878 §3.1.1). */
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Whether `head` (a file's first bytes) starts a zstd frame, or a skippable frame (magic
 * 0x184D2A50 to 0x184D2A5F, RFC 8878 §3.1.2: metadata a tool may put before the data).
 */
export function isZstd(head: Uint8Array): boolean {
  if (head.length < MAGIC.length) return false;
  if (MAGIC.every((byte, i) => head[i] === byte)) return true;
  return (head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18;
}

/**
 * The most a compressed rollout may decompress to: it is decompressed whole, so a small file
 * that unpacks to gigabytes (by accident or a "zstd bomb") is refused before it fills memory.
 */
export const ZSTD_MAX_BYTES = 1024 * 1024 * 1024;

/** What {@linkcode zstdDecompress} throws when the output passes its cap. */
export class ZstdTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`it decompresses to more than ${Math.floor(maxBytes / 1024 / 1024)} MiB`);
  }
}

/**
 * The bytes the skippable frames at the start of `head` take (0 when it starts with a zstd
 * frame), so far as `head` shows their headers: the count may pass its end. zlib would take
 * them, but Deno's stops there and hands out nothing: they are cut off before it sees them.
 */
function leadingSkippable(head: Uint8Array): number {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let at = 0;
  while (at + 8 <= head.length && (view.getUint32(at, true) & 0xfffffff0) === 0x184d2a50) {
    at += 8 + view.getUint32(at + 4, true);
  }
  return at;
}

/** `input` less its first `skip` bytes. */
function* skipping(input: Iterable<Uint8Array>, skip: number): Generator<Uint8Array> {
  let left = skip;
  for (const piece of input) {
    if (left >= piece.length) {
      left -= piece.length;
      continue;
    }
    yield left === 0 ? piece : piece.subarray(left);
    left = 0;
  }
}

/** `input` without the skippable frames it starts with (they fit in its first 64 KiB). */
function* dataFrames(input: Iterable<Uint8Array>): Generator<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let held = 0;
  const iterator = input[Symbol.iterator]();
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    pieces.push(next.value);
    held += next.value.length;
    if (held >= 64 * 1024) break;
  }
  const head = new Uint8Array(held);
  let at = 0;
  for (const piece of pieces) {
    head.set(piece, at);
    at += piece.length;
  }
  const all = function* (): Generator<Uint8Array> {
    yield head;
    for (let next = iterator.next(); !next.done; next = iterator.next()) yield next.value;
  };
  // Lazily: the rest is read only as the decompression asks for it (SPEC §7).
  yield* skipping(all(), leadingSkippable(head));
}

function zlib(): typeof import("node:zlib") {
  return process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
}

/**
 * The decompressed bytes of a whole zstd file, at most `maxBytes` of them (else
 * {@linkcode ZstdTooLarge}); throws what zlib throws on bad input.
 */
export function zstdDecompress(bytes: Uint8Array, maxBytes = ZSTD_MAX_BYTES): Uint8Array {
  try {
    // Frame by frame: Deno's zlib stops after the first (and gives nothing for a skippable
    // one), Bun's reads on; a file whose frames are not whole is left to zlib to refuse.
    const frames = zstdFrames((into, at) => {
      const piece = bytes.subarray(at, at + into.length);
      into.set(piece);
      return piece.length;
    }, bytes.length);
    if (typeof frames === "string" || frames.length === 1) {
      const data = bytes.subarray(Math.min(bytes.length, leadingSkippable(bytes)));
      return zlib().zstdDecompressSync(data, { maxOutputLength: maxBytes });
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const frame of frames) {
      const part = zlib().zstdDecompressSync(bytes.subarray(frame.start, frame.end), {
        maxOutputLength: Math.max(1, maxBytes - total),
      });
      total += part.length;
      if (total > maxBytes) throw new ZstdTooLarge(maxBytes);
      parts.push(part);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  } catch (error) {
    if (error instanceof ZstdTooLarge) throw error;
    if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new ZstdTooLarge(maxBytes);
    }
    throw error;
  }
}

/**
 * The first bytes of a zstd file's content, without decompressing the rest: the frame is
 * decoded from a prefix of the file (zstd hands out what a prefix holds), `want` bytes or a
 * little more, never more than 16 MiB. Null when not even that is readable.
 */
export function zstdHead(read: (length: number) => Uint8Array, want: number): Uint8Array | null {
  const skip = leadingSkippable(read(64 * 1024));
  for (let length = 64 * 1024; length <= 16 * 1024 * 1024; length *= 4) {
    const input = read(skip + length).subarray(skip);
    let out: Uint8Array;
    try {
      out = zlib().zstdDecompressSync(input, { maxOutputLength: 16 * 1024 * 1024 });
    } catch (error) {
      if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") return null;
      if (input.length < length) return null;
      continue;
    }
    if (out.length >= want || input.length < length) return out;
  }
  return null;
}

/**
 * Why the compressed file open at `fd` (or the compressed bytes) cannot be read whole, in the
 * words an error gives it ("cut short or damaged at byte N: ..."), or null when every frame is
 * whole. Checked before decompressing: zlib hands out what a cut frame holds without a word,
 * which would pass for a whole file with a torn last line.
 */
export function zstdCutShort(source: number | Uint8Array): string | null {
  const cut = typeof source === "number"
    ? zstdIncomplete(
      (into, at) => fs.readSync(source, into, 0, into.length, at),
      fs.fstatSync(source).size,
    )
    : zstdIncomplete((into, at) => {
      const piece = source.subarray(at, at + into.length);
      into.set(piece);
      return piece.length;
    }, source.length);
  return cut === null ? null : `cut short or damaged at ${cut}`;
}

/**
 * Where the zstd frames of a file of `size` bytes stop being whole, or null when every frame
 * (skippable ones too) ends exactly at the end: zlib decompresses a file cut inside a frame
 * without complaint, so what is kept or restored is checked with this first. Reads only the
 * headers (RFC 8878 §3.1), a few bytes per 128 KiB block.
 */
export function zstdIncomplete(
  read: (into: Uint8Array, position: number) => number,
  size: number,
): string | null {
  const walk = frameWalk(read, size);
  for (let step = walk.next();; step = walk.next()) if (step.done) return step.value;
}

/**
 * Where each zstd frame holding data starts and ends (skippable frames left out), or where
 * the frames stop being whole (see {@linkcode zstdIncomplete}). For input held in memory:
 * the list grows with the count of frames.
 */
export function zstdFrames(
  read: (into: Uint8Array, position: number) => number,
  size: number,
): { start: number; end: number }[] | string {
  const frames: { start: number; end: number }[] = [];
  const walk = frameWalk(read, size);
  for (let step = walk.next();; step = walk.next()) {
    if (step.done) return step.value ?? frames;
    frames.push(step.value);
  }
}

/**
 * The zstd frames holding data, one at a time (nothing kept: a file of millions of tiny frames
 * costs no memory), then where they stop being whole, or null.
 */
function* frameWalk(
  read: (into: Uint8Array, position: number) => number,
  size: number,
): Generator<{ start: number; end: number }, string | null> {
  const head = new Uint8Array(18);
  const view = new DataView(head.buffer);
  const bytesAt = (position: number, length: number): boolean =>
    position + length <= size && read(head.subarray(0, length), position) === length;
  let at = 0;
  while (at < size) {
    if (!bytesAt(at, 8)) return `byte ${at}: a frame header is cut short`;
    const magic = view.getUint32(0, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      at += 8 + view.getUint32(4, true);
      if (at > size) return `byte ${size}: a skippable frame is cut short`;
      continue;
    }
    if (!MAGIC.every((byte, i) => head[i] === byte)) return `byte ${at}: not a zstd frame`;
    const start = at;
    const descriptor = head[4]!;
    const single = (descriptor & 0x20) !== 0;
    const fcs = [single ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
    const did = [0, 1, 2, 4][descriptor & 3]!;
    at += 5 + (single ? 0 : 1) + did + fcs;
    for (let last = false; !last;) {
      if (!bytesAt(at, 3)) return `byte ${Math.min(at, size)}: a block header is cut short`;
      const block = head[0]! | (head[1]! << 8) | (head[2]! << 16);
      last = (block & 1) === 1;
      const type = (block >> 1) & 3;
      if (type === 3) return `byte ${at}: a block of the reserved type`;
      at += 3 + (type === 1 ? 1 : block >>> 3);
    }
    if ((descriptor & 4) !== 0) at += 4;
    if (at > size) return `byte ${size}: the last block or the checksum is cut short`;
    yield { start, end: at };
  }
  return null;
}

/**
 * The decompressed content of the zstd file open at `fd`, as a stream ({@linkcode zstdPieces}):
 * on Deno frame by frame, since its zlib stops at the end of the first frame and hands out
 * nothing more (a file of several frames would lose all but the first without a word); on Bun
 * in one stream, whose zlib reads on.
 */
export async function* zstdFilePieces(fd: number): AsyncGenerator<Uint8Array> {
  const read = (into: Uint8Array, at: number) => fs.readSync(fd, into, 0, into.length, at);
  const size = fs.fstatSync(fd).size;
  if (!ON_DENO || zstdIncomplete(read, size) !== null) {
    // (A damaged file is left to zlib, which says what is wrong.)
    yield* zstdPieces(fileChunks(fd));
    return;
  }
  // Each frame by its byte range, skippable frames passed over wherever they stand.
  for (const frame of frameWalk(read, size)) yield* zstdPieces(fileChunks(fd, frame));
}

/** How {@linkcode zstdPieces} compresses; without it, it decompresses. */
export interface ZstdCompression {
  /** zstd's compression level (1 to 19; negative levels are faster still). */
  level: number;
  /** The window in powers of two, for long-distance matching (27: 128 MiB, what `zstd -d` and
   * Codex read without extra flags). */
  windowLog: number;
  /**
   * The exact size of the input, when known: zstd then fits its window to it (a small file
   * costs little memory and set-up) and records the size in the frame. Input of another size
   * is an error.
   */
  sourceBytes?: number;
}

/**
 * Compresses (with `compress`) or decompresses the pieces of `input` as a stream, yielding the
 * output as it comes, in pieces of at most `pieceBytes` (by default 256 KiB; on Deno, 2 MiB
 * decompressed): memory stays bounded by the window and a piece or two, whatever the size. Compression uses long-distance matching and writes a content checksum, as `zstd
 * --long` does. Throws what zlib throws on bad input, and what `input` throws.
 */
export async function* zstdPieces(
  input: Iterable<Uint8Array>,
  options: { compress?: ZstdCompression; pieceBytes?: number } = {},
): AsyncGenerator<Uint8Array> {
  const z = zlib();
  const c = z.constants;
  const compress = options.compress;
  const chunkSize = options.pieceBytes ?? (compress === undefined ? UNPACKED_PIECE : PIECE);
  const transform = compress === undefined
    ? z.createZstdDecompress({ chunkSize })
    : z.createZstdCompress({
      chunkSize,
      ...(compress.sourceBytes === undefined ? {} : { pledgedSrcSize: compress.sourceBytes }),
      params: {
        [c.ZSTD_c_compressionLevel]: compress.level,
        [c.ZSTD_c_enableLongDistanceMatching]: 1,
        [c.ZSTD_c_windowLog]: compress.windowLog,
        [c.ZSTD_c_checksumFlag]: 1,
      },
    });
  // The input is written a piece at a time, each once the last is taken in; a failure ends
  // the writing and the stream is never ended after it (Deno's zlib, asked to finish a stream
  // that failed, throws the failure again where nobody can catch it).
  let failed = false;
  transform.on("error", () => (failed = true));
  // Deno's zlib throws a damaged frame's error out of the stream, as an uncaught exception,
  // and the stream then never ends: caught here while this stream runs, it fails the stream.
  const uncaught = (error: unknown) => {
    if (!(error instanceof Error) || !/^Zstd (de)?compress(ion)? error/i.test(error.message)) {
      throw error;
    }
    failed = true;
    transform.destroy(error);
  };
  process.on("uncaughtException", uncaught);
  const feed = async () => {
    for (const piece of compress === undefined ? dataFrames(input) : input) {
      if (failed) return;
      await new Promise<void>((resolve) => transform.write(piece, () => resolve()));
    }
    if (!failed) transform.end();
  };
  feed().catch((error: unknown) => transform.destroy(error as Error));
  try {
    for await (const piece of transform) yield piece as Uint8Array;
  } finally {
    failed = true;
    process.off("uncaughtException", uncaught);
  }
}

const PIECE = 256 * 1024;

/**
 * The bytes of the open file `fd`, read as they are asked for, in the pieces
 * {@linkcode zstdPieces} is fed compressed input in ({@linkcode ZSTD_READ_PIECE}).
 */
export function* fileChunks(
  fd: number,
  range: { start: number; end: number } = { start: 0, end: Infinity },
): Generator<Uint8Array> {
  for (let position = range.start; position < range.end;) {
    const chunk = new Uint8Array(Math.min(ZSTD_READ_PIECE, range.end - position));
    const got = fs.readSync(fd, chunk, 0, chunk.length, position);
    if (got === 0) return;
    position += got;
    yield got === chunk.length ? chunk : chunk.subarray(0, got);
  }
}
/**
 * Deno's zlib throws a decompression error where nobody can catch it (instead of emitting
 * it) when one piece of input fills more than one piece of output. On Deno, compressed input
 * is therefore read in small pieces into large output pieces, so only data that expands more
 * than 64 times within 32 KiB can still meet that; Bun, whose zlib has no such fault, keeps
 * the pieces that cost it least (the small ones cost it 60 % more time).
 */
const ON_DENO = "Deno" in globalThis;
const UNPACKED_PIECE = ON_DENO ? 2 * 1024 * 1024 : PIECE;
/** How much compressed input to hand {@linkcode zstdPieces} at a time (see UNPACKED_PIECE). */
export const ZSTD_READ_PIECE = ON_DENO ? 32 * 1024 : PIECE;

/** The most a streamed decompression writes: the free space of the temporary folder, less 1 GiB. */
function streamLimit(dir: string): number {
  try {
    const stat = fs.statfsSync(dir);
    return Math.max(0, Number(stat.bavail) * Number(stat.bsize) - 1024 * 1024 * 1024);
  } catch {
    return 64 * 1024 * 1024 * 1024;
  }
}

/**
 * Decompresses `source` piece by piece into a temporary file that has no name (created in a
 * private folder, 0600, then unlinked at once): a compressed rollout of any size is read in
 * bounded memory (SPEC §7), and the copy vanishes when the returned descriptor is closed or
 * the process ends, even killed. Stops with {@linkcode ZstdTooLarge} before filling the disk
 * (at `maxBytes`, by default the free space less 1 GiB); throws what zlib throws on bad input.
 */
export async function zstdToTempFile(
  source: string,
  options: { maxBytes?: number; relieve?: () => void } = {},
): Promise<number> {
  const os = process.getBuiltinModule("node:os") as typeof import("node:os");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-zst-"));
  const file = path.join(dir, "plain");
  let fd: number;
  try {
    fd = fs.openSync(file, "wx+", 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const limit = options.maxBytes ?? streamLimit(os.tmpdir());
  try {
    const from = fs.openSync(source, "r");
    let written = 0;
    let relieved = 0;
    try {
      const cut = zstdCutShort(from);
      if (cut !== null) throw new Error(cut);
      // Through zstdPieces, which never ends a stream that failed: piped, Deno's zlib throws
      // the failure of a damaged frame again where nobody can catch it, and the process dies.
      for await (const bytes of zstdFilePieces(from)) {
        if (written + bytes.length > limit) {
          throw new ZstdTooLarge(limit);
        }
        let done = 0;
        while (done < bytes.length) {
          done += fs.writeSync(fd, bytes, done, bytes.length - done, written + done);
        }
        written += bytes.length;
        // The relief counts MiB read, as the loader calls it.
        for (; relieved + 1024 * 1024 <= written; relieved += 1024 * 1024) options.relieve?.();
      }
    } finally {
      fs.closeSync(from);
    }
    return fd;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/**
 * Streamed zstd copies through the injectable FileSystem, for archive and restore: one open
 * file compressed or decompressed into another piece by piece, and a compressed file checked
 * byte for byte against a plain one. Never holds a file whole (SPEC §7).
 */
import { Buffer } from "node:buffer";
import { isSystemError } from "../schemas/mod.ts";
import {
  type FileSystem,
  writeAll,
  ZSTD_READ_PIECE,
  type ZstdCompression,
  zstdIncomplete,
  zstdPieces,
} from "../runtime/mod.ts";

/** An open file and how many of its bytes count. */
export interface OpenFile {
  fd: number;
  size: number;
}

/** Options of {@linkcode zstdCopy} and {@linkcode compareUnpacked}. */
export interface CopyOptions {
  /** Bytes read and written at a time (default 256 KiB; compressed bytes on Deno: 32 KiB). */
  pieceBytes?: number | undefined;
  /** Called after each piece read with the bytes of the source read so far. */
  progress?: ((read: number) => void) | undefined;
  /** {@linkcode compareUnpacked} only: called with the bytes compared so far. */
  checked?: ((bytes: number) => void) | undefined;
}

const PIECE = 256 * 1024;

/** The first `size` bytes of an open file, a piece at a time; a file that shrank is an error. */
function* piecesOf(
  fsys: FileSystem,
  file: OpenFile,
  options: CopyOptions & { compressed: boolean },
): Generator<Uint8Array> {
  const piece = options.pieceBytes ?? (options.compressed ? ZSTD_READ_PIECE : PIECE);
  for (let at = 0; at < file.size;) {
    const bytes = new Uint8Array(Math.min(piece, file.size - at));
    const n = fsys.read(file.fd, bytes, at);
    if (n <= 0) {
      throw Object.assign(new Error(`the file ended at byte ${at}, expected ${file.size}`), {
        code: "EIO",
      });
    }
    at += n;
    options.progress?.(at);
    yield n === bytes.length ? bytes : bytes.subarray(0, n);
  }
}

/**
 * Compresses (with `compress`) or decompresses `from` into `to`, written as it comes; returns
 * the bytes written.
 */
export async function zstdCopy(
  fsys: FileSystem,
  from: OpenFile,
  to: number,
  options: CopyOptions & { compress?: ZstdCompression | undefined },
): Promise<number> {
  let written = 0;
  const compressed = options.compress === undefined;
  const pieces = zstdPieces(piecesOf(fsys, from, { ...options, compressed }), {
    ...(options.compress === undefined ? {} : { compress: options.compress }),
    ...(options.pieceBytes === undefined ? {} : { pieceBytes: options.pieceBytes }),
  });
  for await (const piece of pieces) {
    writeAll(fsys, to, piece);
    written += piece.length;
  }
  return written;
}

/** How a compressed file compares with a plain one. */
export type Comparison =
  /** the compressed file decompresses to exactly the plain file */
  | { kind: "same" }
  /** it decompresses to the plain file's first `bytes` bytes (the plain file grew since) */
  | { kind: "prefix"; bytes: number }
  /** anything else, said in words */
  | { kind: "differs"; detail: string };

/**
 * Decompresses `packed` as a stream and compares it with `plain`. A compressed file whose
 * frames are not whole, or that zstd refuses (a bad checksum), differs. File-system errors are
 * thrown.
 */
export async function compareUnpacked(
  fsys: FileSystem,
  packed: OpenFile,
  plain: OpenFile,
  options: CopyOptions = {},
): Promise<Comparison> {
  const cut = zstdIncomplete((into, at) => fsys.read(packed.fd, into, at), packed.size);
  if (cut !== null) return { kind: "differs", detail: `the compressed file is damaged at ${cut}` };
  let at = 0;
  let buffer = new Uint8Array(0);
  try {
    const reading = { ...options, progress: undefined, compressed: true };
    const pieces = zstdPieces(piecesOf(fsys, packed, reading), {
      ...(options.pieceBytes === undefined ? {} : { pieceBytes: options.pieceBytes }),
    });
    for await (const piece of pieces) {
      if (at + piece.length > plain.size) {
        return { kind: "differs", detail: `it holds more than the ${plain.size} bytes expected` };
      }
      if (buffer.length < piece.length) buffer = new Uint8Array(piece.length);
      const theirs = buffer.subarray(0, piece.length);
      readFully(fsys, plain.fd, theirs, at);
      const i = firstDifference(piece, theirs);
      if (i >= 0) return { kind: "differs", detail: `byte ${at + i} differs` };
      at += piece.length;
      options.checked?.(at);
    }
  } catch (error) {
    if (isSystemError(error)) throw error;
    const why = error instanceof Error ? error.message : String(error);
    return { kind: "differs", detail: `zstd cannot decompress it (${why})` };
  }
  return at === plain.size ? { kind: "same" } : { kind: "prefix", bytes: at };
}

function readFully(fsys: FileSystem, fd: number, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length;) {
    const n = fsys.read(fd, into.subarray(done), position + done);
    if (n <= 0) throw Object.assign(new Error("the file ended early"), { code: "EIO" });
    done += n;
  }
}

/** Where two pieces of the same length first differ, or -1; compared natively (memcmp). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.compare(a, b) === 0) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

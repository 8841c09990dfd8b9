/**
 * zstd, for Codex's compressed rollouts (`.jsonl.zst`): recognised by the frame's magic
 * number, decompressed by `node:zlib`, which is loaded only when a compressed file is met, so
 * no command pays for it at start.
 */
import process from "node:process";

/** zstd's frame magic number, little-endian (RFC 8878 §3.1.1). */
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Whether `head` (a file's first bytes) starts a zstd frame. */
export function isZstd(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((byte, i) => head[i] === byte);
}

/** The decompressed bytes of a whole zstd file; throws what zlib throws on bad input. */
export function zstdDecompress(bytes: Uint8Array): Uint8Array {
  const zlib = process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
  return zlib.zstdDecompressSync(bytes);
}

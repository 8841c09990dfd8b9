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

/** Whether `head` (a file's first bytes) starts a zstd frame. */
export function isZstd(head: Uint8Array): boolean {
  return head.length >= MAGIC.length && MAGIC.every((byte, i) => head[i] === byte);
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

function zlib(): typeof import("node:zlib") {
  return process.getBuiltinModule("node:zlib") as typeof import("node:zlib");
}

/**
 * The decompressed bytes of a whole zstd file, at most `maxBytes` of them (else
 * {@linkcode ZstdTooLarge}); throws what zlib throws on bad input.
 */
export function zstdDecompress(bytes: Uint8Array, maxBytes = ZSTD_MAX_BYTES): Uint8Array {
  try {
    return zlib().zstdDecompressSync(bytes, { maxOutputLength: maxBytes });
  } catch (error) {
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
  for (let length = 64 * 1024; length <= 16 * 1024 * 1024; length *= 4) {
    const input = read(length);
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
    const decompress = zlib().createZstdDecompress({ chunkSize: 1024 * 1024 });
    const input = fs.createReadStream(source, { highWaterMark: 1024 * 1024 });
    let written = 0;
    let relieved = 0;
    for await (const chunk of input.pipe(decompress)) {
      const bytes = chunk as Uint8Array;
      if (written + bytes.length > limit) {
        decompress.destroy();
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
    return fd;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/**
 * What the process touches: files (one injectable interface), locks, standard streams,
 * and the one place Deno and Bun differ.
 */
export {
  type FileSystem,
  nodeFileSystem,
  readAll,
  syncDirectory,
  writeAll,
} from "./file_system.ts";
export type { Io, OutputStream } from "./io.ts";
export { inputStillRead, noteLingeringRead } from "./lingering_read.ts";
export { processIo } from "./process_io.ts";
export { passwdHome, selfCommand } from "./self_command.ts";
export { dropCachedPages, type HeldLock, initRuntime, lockFile } from "./runtime.ts";
export { collectIfAbove, memoryRelief } from "./memory.ts";
export { LONG_MS, noteRead, restoreJit, restoreJitAfter, restoreJitIfLong } from "./jit_policy.ts";
export {
  fileChunks,
  isZstd,
  ZSTD_READ_PIECE,
  type ZstdCompression,
  zstdCutShort,
  zstdDecompress,
  zstdFilePieces,
  zstdHead,
  zstdIncomplete,
  zstdPieces,
  ZstdTooLarge,
  zstdToTempFile,
} from "./zstd.ts";

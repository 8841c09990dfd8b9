/**
 * The second read of a large rollout (SPEC §7): the first read kept only where each item of the
 * effective history is stored (`history: "refs"`); this one hands the items over in order,
 * fetching each from its line as the file streams past, so neither read holds the history.
 */
import { concatBytes, isObject, parseJson } from "../base/mod.ts";
import { checkItem, ioError, type ResponseItem, RolloutError } from "../schemas/mod.ts";
import { type FileSystem, memoryRelief, nodeFileSystem } from "../runtime/mod.ts";
import type { HistoryRef } from "./effective_history.ts";
import type { SourceRecord } from "./line_loader.ts";
import type { LoadedRollout } from "./loaded_rollout.ts";
import { plainCopyOf, streamRollout } from "./load_rollout.ts";

/** Options of {@linkcode replayHistory}. */
export interface ReplayOptions {
  fs?: FileSystem;
  maxLineBytes?: number;
  /** Awaited after every chunk read, as in {@linkcode streamRollout}. */
  between: () => Promise<void> | void;
  /** Each item of the effective history, in order. */
  item: (item: ResponseItem) => void;
  /** Told after every chunk: bytes read, of how many, and lines passed. */
  progress?: ((read: number, total: number, lines: number) => void) | null;
}

const CHUNK = 1 << 20;
const NEWLINE = 10;
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The plain file's way: finds the referenced lines by counting line ends (no other line is
 * decoded or parsed), parses each once and hands over its items; value references in between.
 * `plainCopy`: the descriptor of a compressed file's unpacked copy, read instead (not closed).
 * Returns how many references were served.
 */
async function fetchLines(
  first: LoadedRollout,
  refs: readonly HistoryRef[],
  from: number,
  options: ReplayOptions,
  plainCopy: number | null,
): Promise<number> {
  const fsys = options.fs ?? nodeFileSystem;
  const bare = first.format === "codex_jsonl_2025";
  let at = from;
  let fd: number;
  try {
    fd = plainCopy ?? fsys.open(first.path, "read");
  } catch (error) {
    throw ioError("read rollout", first.path, error);
  }
  try {
    const relieve = memoryRelief();
    const total = fsys.size(fd);
    const buffer = new Uint8Array(CHUNK);
    let position = 0;
    let lineNo = 1;
    /** The wanted line being gathered across chunks, or null. */
    let parts: Uint8Array[] | null = null;
    // Bytes decoded and parsed since the last chunk: a line skipped by its end alone makes no
    // garbage, so the relief counts these, not the bytes read (a compacted file's history is
    // mostly in its last part, and the rest would cost a collection per MiB for nothing).
    let parsed = 0;
    const serve = (bytes: Uint8Array) => {
      parsed += bytes.length;
      let text = decoder.decode(bytes);
      if (text.endsWith("\r")) text = text.slice(0, -1);
      let value: unknown;
      try {
        value = parseJson(text);
      } catch {
        return;
      }
      const record = isObject(value) && !bare ? value : { payload: value };
      for (let ref = refs[at]; ref !== undefined; ref = refs[at]) {
        if ("item" in ref) {
          options.item(ref.item);
        } else {
          if (ref.line !== lineNo) break;
          const item = itemAt(
            { payload: (record as { payload?: unknown }).payload, bare },
            ref.index,
          );
          if (item === null) return;
          options.item(item);
        }
        at++;
      }
    };
    const wanted = () => {
      const ref = refs[at];
      return ref === undefined ? Infinity : "line" in ref ? ref.line : lineNo;
    };
    const starts = first.lineStarts ?? [];
    const newline = new Uint8Array(1);
    /**
     * Between two wanted lines, goes on from the last line start the first read saw at or
     * before the next one, when it lies ahead: the bytes before it are not read again. The byte
     * before it must still be a line end; if not, the file changed, and it reads on as it was.
     */
    const skipAhead = () => {
      const start = lastStartAtOrBefore(starts, wanted());
      if (start === undefined) return;
      const [line, offset] = start;
      if (line <= lineNo || offset <= position) return;
      if (fsys.read(fd, newline, offset - 1) !== 1 || newline[0] !== NEWLINE) return;
      position = offset;
      lineNo = line;
    };
    while (at < refs.length) {
      if (parts === null) skipAhead();
      const n = fsys.read(fd, buffer, position);
      if (n <= 0) break;
      const chunk = buffer.subarray(0, n);
      let start = 0;
      // Lines before the next wanted one are skipped by their line ends alone.
      while (start <= n) {
        const end = chunk.indexOf(NEWLINE, start);
        const target = wanted();
        if (end < 0) {
          if (target === lineNo) (parts ??= []).push(chunk.slice(start));
          break;
        }
        if (target === lineNo) {
          const piece = chunk.subarray(start, end);
          serve(parts === null ? piece : concatBytes([...parts, piece]));
          parts = null;
        }
        lineNo++;
        start = end + 1;
      }
      position += n;
      relieve(parsed);
      parsed = 0;
      options.progress?.(position, total, lineNo - 1);
      await options.between();
    }
    // A last record without its line end (SPEC §3) is whole too.
    if (parts !== null && wanted() === lineNo) serve(concatBytes(parts));
  } finally {
    if (plainCopy === null) fsys.close(fd);
  }
  return at;
}

/** The stored item a reference points at on its record. */
function itemAt(
  record: Pick<SourceRecord, "payload" | "bare">,
  index: number,
): ResponseItem | null {
  if (index < 0) {
    const check = checkItem(record.payload, record.bare ? "item" : "payload");
    return check.ok ? check.item : null;
  }
  const replacement = (record.payload as { replacement_history?: unknown })?.replacement_history;
  if (!Array.isArray(replacement)) return null;
  const check = checkItem(replacement[index], "replacement_history");
  return check.ok ? check.item : null;
}

/**
 * Reads `first.path` again and hands over the items of the effective history that the first
 * read (with `history: "refs"`) found. Throws `io_error` when the file no longer holds them
 * where it did (it was replaced between the two reads).
 */
export async function replayHistory(first: LoadedRollout, options: ReplayOptions): Promise<void> {
  // The history of a read that stopped early is only its beginning.
  if (first.partial === true) throw new Error("replayHistory needs a whole first read");
  const refs: readonly HistoryRef[] = first.historyRefs ?? [];
  let at = 0;
  const values = () => {
    for (let ref = refs[at]; ref !== undefined && "item" in ref; ref = refs[++at]) {
      options.item(ref.item);
    }
  };
  values();
  if (at < refs.length && (options.fs === undefined || !first.compressed)) {
    // A compressed file is read from the copy the first read unpacked (kept for the process).
    const from = first.compressed ? await plainCopyOf(first.path) : null;
    at = await fetchLines(first, refs, at, options, from);
  } else if (at < refs.length) {
    await streamRollout(first.path, {
      ...(options.fs === undefined ? {} : { fs: options.fs }),
      ...(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes }),
      history: "count",
      inherit: false,
      between: options.between,
      progress: options.progress ?? null,
      visit: {
        record: (record) => {
          values();
          for (let ref = refs[at]; ref !== undefined && "line" in ref; ref = refs[at]) {
            if (ref.line !== record.line) return;
            const item = itemAt(record, ref.index);
            if (item === null) return;
            options.item(item);
            at++;
          }
          values();
        },
      },
    });
    values();
  }
  if (at < refs.length) {
    throw new RolloutError(
      "io_error",
      `Cannot read rollout "${first.path}": it changed while it was read (item ${
        at + 1
      } of ${refs.length} is no longer where it was)`,
    );
  }
}

/** The last of `starts` (in line order) whose line is at or before `line`, by bisection. */
function lastStartAtOrBefore(
  starts: ReadonlyArray<[number, number]>,
  line: number,
): [number, number] | undefined {
  let lo = 0;
  let hi = starts.length - 1;
  let found: [number, number] | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]![0] <= line) {
      found = starts[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

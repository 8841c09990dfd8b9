/**
 * What `load` and `export` share to write a session of any size (SPEC §7): a first read keeps
 * where each item of the effective history is stored, a second hands the items over as the
 * file streams past; the output is written in pieces meanwhile. The JSON written is the same,
 * byte for byte, as `JSON.stringify(session, null, 2)` of the whole.
 */
import type { Io } from "../../runtime/mod.ts";
import { type LoadedRollout, replayHistory, streamRollout } from "../../formats/mod.ts";
import type { ResponseItem, SavedSession } from "../../schemas/mod.ts";
import { reportDamage } from "./context.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { Progress } from "./progress.ts";

/** `JSON.stringify(value, null, 2)` placed at `depth` levels of indentation. */
function pretty(value: unknown, depth: number): string {
  return JSON.stringify(value, null, 2).replaceAll("\n", `\n${"  ".repeat(depth)}`);
}

/** A SavedSession (and more fields) as pretty JSON, its items one by one. */
export class PrettySessionWriter {
  #items = 0;

  begin(session: SavedSession["session"]): string {
    return `{\n  "session": ${pretty(session, 1)},\n  "items": [`;
  }

  item(item: ResponseItem): string {
    return `${this.#items++ === 0 ? "\n" : ",\n"}    ${pretty(item, 2)}`;
  }

  /** The fields after the items, in order. */
  end(fields: Record<string, unknown>): string {
    let out = this.#items === 0 ? "]" : "\n  ]";
    for (const [key, value] of Object.entries(fields)) {
      out += `,\n  ${JSON.stringify(key)}: ${pretty(value, 1)}`;
    }
    return `${out}\n}\n`;
  }
}

/** What a consumer of {@linkcode streamSession} writes. */
export interface SessionOutput {
  /** Before the items: the first read is done (meta, item count, state, report known). */
  begin(first: LoadedRollout): string;
  item(item: ResponseItem): string;
  end(first: LoadedRollout): string;
}

/**
 * Reads the effective history of `file` in two passes and writes `output`'s pieces to stdout
 * as they come; the damage report goes to stderr after the first pass. Returns the first read.
 */
export async function streamSession(
  file: string,
  io: Io,
  output: SessionOutput,
): Promise<LoadedRollout> {
  const progress = new Progress(io, { stdout: true });
  const first = await streamRollout(file, {
    history: "refs",
    between: () => {},
    progress: progress.phase("reading"),
  });
  progress.done();
  await reportDamage(io, first);
  const out = new OutputBuffer(io);
  out.add(output.begin(first));
  await replayHistory(first, {
    between: () => out.flushIfFull(),
    item: (item) => out.add(output.item(item)),
    progress: progress.phase("writing"),
  });
  out.add(output.end(first));
  await out.flush();
  progress.done();
  return first;
}

/**
 * `rollout append`: items from `--item` flags, or one JSON item per line on stdin streamed
 * through the recorder's group commit. A bad line stops the command, naming the line.
 */
import { LineSplitter, parseJson } from "../../base/mod.ts";
import { checkItem, RolloutError } from "../../schemas/mod.ts";
import type { Io } from "../../runtime/mod.ts";
import { DEFAULT_MAX_LINE_BYTES } from "../../formats/mod.ts";
import { type ItemsRecorded, RolloutRecorder } from "../../store/mod.ts";
import { addCounts, totalRedacted } from "../../redaction/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { secretsCounted } from "./redaction_note.ts";
import { counted, reportDamage, reportRestored, SESSION_FLAGS, sessionPathOf } from "./context.ts";

/** Pending acknowledgements awaited before more stdin is read. */
const WINDOW = 4096;

function parseItem(text: string, where: string): unknown {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch {
    throw new RolloutError("invalid_json", `${where} is not JSON`);
  }
  const check = checkItem(value, "item");
  if (!check.ok) throw new RolloutError("invalid_submission", `${where}: ${check.message}`);
  return value;
}

/** The items of stdin, one JSON item per line; throws at the first bad line. */
async function* stdinItems(io: Io): AsyncGenerator<unknown> {
  let failure: RolloutError | null = null;
  const items: unknown[] = [];
  const splitter = new LineSplitter({
    line(text, lineNo) {
      if (failure !== null || text.trim() === "") return;
      try {
        items.push(parseItem(text, `stdin line ${lineNo}`));
      } catch (error) {
        failure = error as RolloutError;
      }
    },
    bad(lineNo, reason) {
      failure ??= new RolloutError(
        reason === "too_long" ? "line_too_long" : "invalid_json",
        `stdin line ${lineNo} ${
          reason === "too_long"
            ? `is longer than the limit of ${DEFAULT_MAX_LINE_BYTES} bytes`
            : "is not valid UTF-8"
        }`,
      );
    },
  }, { maxLineBytes: DEFAULT_MAX_LINE_BYTES });
  for await (const chunk of io.stdin) {
    splitter.push(chunk);
    yield* items.splice(0);
    if (failure !== null) throw failure;
  }
  // Input from a pipe may end without a newline: its last line still counts.
  const tail = splitter.end().tail;
  if (tail === null) return;
  if (tail.bytes === null) {
    throw new RolloutError(
      "line_too_long",
      `stdin line ${tail.line} is longer than the limit of ${DEFAULT_MAX_LINE_BYTES} bytes`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(tail.bytes);
  } catch {
    throw new RolloutError("invalid_json", `stdin line ${tail.line} is not valid UTF-8`);
  }
  if (text.trim() !== "") yield parseItem(text.replace(/\r$/, ""), `stdin line ${tail.line}`);
}

/** Runs `rollout append`. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const args = parseCommandArgs(argv, {
    flags: { ...SESSION_FLAGS, item: { type: "string", multiple: true } },
    positionals: { min: 0, max: 1 },
  });
  const flagged = args.strings("item").map((text, i) => parseItem(text, `--item ${i + 1}`));
  const file = await sessionPathOf(args, io);
  const { recorder, loaded, restored } = await RolloutRecorder.resume(file, { pid: io.pid });
  await reportRestored(io, restored, recorder.path);
  await reportDamage(io, loaded);
  const pending: Promise<ItemsRecorded>[] = [];
  let recorded = 0;
  const dropped: string[] = [];
  const redacted: Record<string, number> = {};
  const settle = async () => {
    for (const ack of await Promise.all(pending.splice(0))) {
      recorded += ack.recorded;
      for (const d of ack.dropped) dropped.push(d.type);
      if (ack.redacted !== undefined) addCounts(redacted, ack.redacted);
    }
  };
  const fromStdin = args.strings("item").length === 0;
  if (fromStdin && io.stdinIsTTY) {
    await io.stderr.write("rollout append: reading items from stdin, one JSON item per line\n");
  }
  const source = fromStdin ? stdinItems(io) : flagged;
  try {
    for await (const item of source) {
      pending.push(recorder.recordItems([item], { where: "item" }));
      if (pending.length >= WINDOW) await settle();
    }
    await settle();
  } catch (error) {
    for (const ack of await Promise.allSettled(pending.splice(0))) {
      if (ack.status === "fulfilled") recorded += ack.value.recorded;
    }
    await recorder.close();
    if (error instanceof RolloutError) {
      throw new RolloutError(
        error.code,
        `Cannot append to "${recorder.path}": ${error.message} (${
          counted(recorded, "earlier item")
        } recorded)`,
        { cause: error },
      );
    }
    throw error;
  }
  await recorder.close();
  let notes = dropped.length === 0 ? "" : `; not persisted: ${dropped.join(", ")}`;
  // A session made with `new --redact` (or `proto --redact`) redacts every append.
  if (totalRedacted(redacted) > 0) notes += `; redacted ${secretsCounted(redacted)}`;
  await io.stdout.write(
    `Appended ${
      counted(recorded, "item")
    } to session ${recorder.id} (${recorder.items.length} in all)${notes}\n`,
  );
  return 0;
}

/**
 * `rollout export --to html`: the session as one self-contained page, to stdout or a new
 * file, written as the file is read in one pass (bounded memory, SPEC §7): every item with
 * the history markers, the token usage of its `token_count` records at the foot.
 */
import { VERSION } from "../../base/mod.ts";
import {
  describeDamage,
  type LoadedRollout,
  type SourceRecord,
  streamRollout,
} from "../../formats/mod.ts";
import { UsageTracker, type UsageTurn } from "../../index/mod.ts";
import type { Io } from "../../runtime/mod.ts";
import { Redactor } from "../../redaction/mod.ts";
import { HtmlTranscriptWriter, type TokenTotals, type UsageSummary } from "../../transcript/mod.ts";
import { reportDamage, writeNewFile } from "./context.ts";
import { OutputBuffer } from "./output_buffer.ts";
import { Progress } from "./progress.ts";

const zero = (): TokenTotals => ({
  responses: 0,
  input: 0,
  cached_input: 0,
  output: 0,
  reasoning_output: 0,
  total: 0,
});

function add(to: TokenTotals, turn: UsageTurn): void {
  to.responses++;
  to.input += turn.input;
  to.cached_input += turn.cached_input;
  to.output += turn.output;
  to.reasoning_output += turn.reasoning_output;
  to.total += turn.total;
}

/** Sums the responses a {@linkcode UsageTracker} counts, by model, as records stream past. */
class UsageSums {
  readonly #tracker = new UsageTracker();
  readonly #total = zero();
  readonly #models = new Map<string | null, TokenTotals>();

  record(record: SourceRecord): void {
    this.#tracker.record(record);
  }

  /** Folds the rows counted so far into the sums (their list does not grow with the file). */
  take(): void {
    for (const turn of this.#tracker.turns()) {
      add(this.#total, turn);
      let sums = this.#models.get(turn.model);
      if (sums === undefined) this.#models.set(turn.model, sums = zero());
      add(sums, turn);
    }
  }

  summary(): UsageSummary | null {
    this.take();
    if (this.#total.responses === 0) return null;
    const models = [...this.#models].map(([model, sums]) => ({ model, ...sums }));
    return { total: this.#total, models };
  }
}

/** Options of {@linkcode exportHtml}. */
export interface ExportHtmlOptions {
  /** The path to name in the page (the file's own when absent). */
  shown?: string;
  /** A new file to write (never replaced); stdout when absent. */
  target?: string;
  /**
   * Redacts the meta, every item and instruction and the state before they are shown (SPEC
   * §9), counting what it replaced; a new one when absent, none with null (`--no-redact`).
   */
  redactor?: Redactor | null;
}

/** Writes the page of `file` and returns the session's id; damage is reported on stderr. */
export async function exportHtml(
  file: string,
  io: Io,
  options: ExportHtmlOptions,
): Promise<string> {
  const redactor = options.redactor === undefined ? new Redactor() : options.redactor;
  const clean = <T>(value: T): T => redactor === null ? value : redactor.value(value);
  const progress = new Progress(io, { stdout: options.target === undefined });
  const render = async (put: (text: string) => void, between: () => Promise<void> | void) => {
    let writer: HtmlTranscriptWriter | null = null;
    const usage = new UsageSums();
    const loaded = await streamRollout(file, {
      history: "count",
      progress: progress.tick,
      visit: {
        meta: (meta, _raw, format) => {
          writer = new HtmlTranscriptWriter({
            path: options.shown ?? file,
            format,
            version: VERSION,
          });
          put(writer.header(clean(meta)));
        },
        record: (record) => usage.record(record),
        timeline: (entry) => put(writer!.entry(clean(entry))),
      },
      between: () => {
        usage.take();
        return between();
      },
    });
    put(writer!.end({
      state: clean(loaded.saved.state),
      usage: usage.summary(),
      damage: describeDamage(loaded.report),
    }));
    progress.done();
    return loaded;
  };
  if (options.target === undefined) {
    const out = new OutputBuffer(io);
    const loaded = await render((text) => out.add(text), () => out.flushIfFull());
    await out.flush();
    await reportDamage(io, loaded);
    return loaded.saved.session.id;
  }
  let loaded: LoadedRollout | null = null;
  await writeNewFile(options.target, async (put, between) => {
    loaded = await render(put, between);
  });
  await reportDamage(io, loaded!);
  return loaded!.saved.session.id;
}

/**
 * Progress of long reads on a terminal (SPEC §7): one line on stderr, rewritten in place —
 * bytes read, records a second, time left — never when stderr is a pipe or a file, never
 * with `--json`, and only once a read has taken a second (short work stays quiet).
 * A terminal is written synchronously (runtime/process_io.ts), so a sync read can tick.
 */
import { thousands } from "../../base/mod.ts";
import type { Io } from "../../runtime/mod.ts";

/** A read's progress callback: bytes read of `total`, lines read so far (-1: not counted). */
export type ProgressTick = (read: number, total: number, lines: number) => void;

const SHOW_AFTER_MS = 1000;
const EVERY_MS = 250;

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

/** Progress for one command; `tick` is null when nothing is to be shown. */
export class Progress {
  readonly tick: ProgressTick | null;
  readonly #io: Io;
  readonly #now: () => number;
  #label = "reading";
  #started: number;
  #shown = -Infinity;
  #width = 0;
  #lines = 0;

  /**
   * `json`: the command was asked for JSON (no progress then). `stdout`: the command writes
   * its result to stdout as it reads, so a terminal there already shows it moving (and a
   * progress line would cut into it).
   */
  constructor(
    io: Io,
    options: { json?: boolean; stdout?: boolean; now?: () => number } = {},
  ) {
    this.#io = io;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
    const shown = io.stderr.isTTY && options.json !== true &&
      !(options.stdout === true && io.stdout.isTTY);
    this.tick = shown ? (read, total, lines) => this.#update(read, total, lines) : null;
  }

  /** Names the next read ("reading", "copying") and restarts its clock. */
  phase(label: string): ProgressTick | null {
    this.#label = label;
    this.#started = this.#now();
    this.#lines = 0;
    return this.tick;
  }

  #update(read: number, total: number, lines: number): void {
    const now = this.#now();
    const elapsed = now - this.#started;
    if (elapsed < SHOW_AFTER_MS || now - this.#shown < EVERY_MS) return;
    this.#shown = now;
    this.#lines = lines;
    const rate = read / (elapsed / 1000);
    const left = rate > 0 ? Math.max(0, (total - read) / rate) : 0;
    const percent = total > 0 ? Math.floor((100 * read) / total) : 100;
    const records = lines < 0 ? "" : `${thousands(this.#lines / (elapsed / 1000))} records/s, `;
    const line = `${this.#label} ${size(read)} of ${size(total)} (${percent} %), ${
      size(rate)
    }/s, ${records}${Math.ceil(left)} s left`;
    this.#write(line);
  }

  #write(line: string): void {
    const columns = this.#io.stderr.columns ?? 80;
    const text = line.slice(0, Math.max(10, columns - 1));
    const pad = " ".repeat(Math.max(0, this.#width - text.length));
    this.#width = text.length;
    // A terminal is written synchronously (runtime/process_io.ts): nothing to await.
    this.#io.stderr.write(`\r${text}${pad}`).catch(() => {});
  }

  /** Clears the line, if one was shown. */
  done(): void {
    if (this.#width === 0) return;
    this.#io.stderr.write(`\r${" ".repeat(this.#width)}\r`).catch(() => {});
    this.#width = 0;
  }
}

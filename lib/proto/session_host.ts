/**
 * The op stream's current session and how it changes (SPEC §4, LoadSession): a new session
 * or a loaded one is fully open (file read, lock taken) before the previous one is synced,
 * closed and unlocked; any failure leaves the current session exactly as it was.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, type EventMsg, RolloutError, type SessionMeta } from "../schemas/mod.ts";
import { loadRollout } from "../formats/mod.ts";
import { plainPathOf, RolloutRecorder } from "../store/mod.ts";
import type { History } from "./history.ts";

/** The fields of `configure_session` that shape a new session. */
export interface NewSession {
  instructions?: string | null | undefined;
  cwd?: string | null | undefined;
  model?: string | null | undefined;
  format?: "jsonl" | "json" | null | undefined;
  disable_response_storage?: boolean | null | undefined;
}

/** Options of a {@linkcode SessionHost}. */
export interface SessionHostOptions {
  home: string;
  format: "jsonl" | "json";
  sync: boolean;
  maxLineBytes: number;
  /** Relative paths in ops resolve against this folder. */
  cwd: string;
  pid: number;
  history: History;
  /** Where problems that are no op's answer go (stderr). */
  warn: (message: string) => void;
  /** Redact every session's items before they are written (`proto --redact`). */
  redact?: boolean;
}

const NO_SESSION = "No session initialized, expected 'ConfigureSession' as first Op";

function realPath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** Holds the current session of one op stream. */
export class SessionHost {
  readonly #options: SessionHostOptions;
  #current: RolloutRecorder | null = null;

  constructor(options: SessionHostOptions) {
    this.#options = options;
  }

  /** The current session, or the `no_session` error. */
  session(): RolloutRecorder {
    if (this.#current === null) throw new RolloutError("no_session", NO_SESSION);
    return this.#current;
  }

  /** The current session's id, or "" before the first `configure_session`. */
  sessionId(): string {
    return this.#current?.id ?? "";
  }

  /** Whether what is written now is redacted (`proto --redact`, or a session marked so). */
  redacting(): boolean {
    return this.#options.redact === true || this.#current?.redacts === true;
  }

  /** Starts a new session (new id, new file unless in memory); the previous one is closed. */
  async configure(init: NewSession): Promise<EventMsg> {
    if (typeof init.cwd === "string" && !path.isAbsolute(init.cwd)) {
      throw new RolloutError("invalid_argument", `op.cwd: "${init.cwd}" is not an absolute path`);
    }
    const meta: Partial<SessionMeta> = {};
    if (typeof init.instructions === "string") meta.instructions = init.instructions;
    // Codex requires a cwd (SPEC §6): the op's, else the folder rollout runs in.
    meta.cwd = typeof init.cwd === "string" ? init.cwd : this.#options.cwd;
    if (typeof init.model === "string") meta.model = init.model;
    const o = this.#options;
    const history = o.history.metadata();
    await this.#current?.flush();
    const redact = o.redact === true;
    const next = init.disable_response_storage === true
      ? RolloutRecorder.inMemory({ meta, maxLineBytes: o.maxLineBytes, redact })
      : await RolloutRecorder.create({
        home: o.home,
        format: init.format ?? o.format,
        meta,
        sync: o.sync,
        maxLineBytes: o.maxLineBytes,
        pid: o.pid,
        redact,
      });
    await this.#replace(next);
    return {
      type: "session_configured",
      session_id: next.id,
      model: init.model ?? "",
      history_log_id: history.log_id,
      history_entry_count: history.entry_count,
      rollout_path: next.path,
    };
  }

  /**
   * Makes the rollout at `file` (any readable format) the current session. Loading the
   * current session's own file reloads nothing and reports its damage again.
   */
  async load(file: string): Promise<EventMsg> {
    const o = this.#options;
    const target = path.resolve(o.cwd, file);
    const current = this.#current;
    // An archive's name stands for the plain file once that is restored (and being written).
    const names = [target, plainPathOf(target) ?? target].map(realPath);
    if (current?.path != null && names.includes(realPath(current.path))) {
      await current.flush();
      const { report } = loadRollout(current.path, { maxLineBytes: o.maxLineBytes });
      return loadedEvent(current, report);
    }
    const { recorder, loaded, restored } = await RolloutRecorder.resume(target, {
      sync: o.sync,
      maxLineBytes: o.maxLineBytes,
      pid: o.pid,
      redact: o.redact === true,
    });
    if (restored !== null) {
      o.warn(`Session restored from its archive "${restored}" to "${recorder.path}" to be written`);
    }
    await this.#replace(recorder);
    return loadedEvent(recorder, loaded.report);
  }

  /** Syncs and closes the current session (`shutdown`, end of input); there is none after. */
  async close(): Promise<void> {
    const current = this.#current;
    this.#current = null;
    await current?.close();
  }

  async #replace(next: RolloutRecorder): Promise<void> {
    const previous = this.#current;
    this.#current = next;
    if (previous === null) return;
    try {
      await previous.close();
    } catch (error) {
      this.#options.warn(
        `Cannot close the previous rollout "${previous.path ?? "(memory)"}": ${describe(error)}`,
      );
    }
  }
}

function loadedEvent(
  recorder: RolloutRecorder,
  report: Extract<EventMsg, { type: "session_loaded" }>["skipped"],
): EventMsg {
  return {
    type: "session_loaded",
    session_id: recorder.id,
    rollout_path: recorder.path ?? "",
    item_count: recorder.itemCount,
    previous_response_id: recorder.state.previous_response_id ?? null,
    skipped: report,
  };
}

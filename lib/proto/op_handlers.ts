/**
 * What each op does and how it is ordered (SPEC §4 op table): the one switch over op types.
 * Handlers return the success event or throw a {@linkcode RolloutError}; `runOp` turns
 * failures into `error` events, so an op's outcome never rejects.
 */
import {
  describe,
  type EventMsg,
  type Op,
  type PreparedItems,
  RolloutError,
} from "../schemas/mod.ts";
import { redactText } from "../redaction/mod.ts";
import type { History } from "./history.ts";
import type { OpMode } from "./op_pipeline.ts";
import type { ItemsRecorded } from "../store/mod.ts";
import type { SessionHost } from "./session_host.ts";
import { userMessage } from "./user_message.ts";

/**
 * How long `add_to_history` tries for the history's lock before it fails `locked`: another
 * process holds it only while it appends a line.
 */
const HISTORY_LOCK_WAIT_MS = 10_000;

/** What the handlers work on. */
export interface OpContext {
  host: SessionHost;
  history: History;
  cwd: string;
  clock: () => Date;
  /** The longest record a session takes (`--max-line-bytes`). */
  maxLineBytes: number;
}

/** An op ready to run: its ordering mode and its work. */
export interface PlannedOp {
  mode: OpMode;
  run: () => Promise<EventMsg>;
}

function assertNever(value: never): never {
  throw new Error(`Unhandled op ${JSON.stringify(value)}`);
}

/** The `error` event of a failure; anything but a {@linkcode RolloutError} is a bug. */
export function errorEvent(error: unknown): EventMsg {
  if (error instanceof RolloutError) {
    return { type: "error", code: error.code, message: error.message };
  }
  return { type: "error", code: "io_error", message: `Internal error: ${describe(error)}` };
}

/** The outcome of `work` as a promise that never rejects: failures become `error` events. */
function settle(work: () => Promise<EventMsg> | EventMsg): Promise<EventMsg> {
  try {
    const outcome = work();
    return outcome instanceof Promise ? outcome.catch(errorEvent) : Promise.resolve(outcome);
  } catch (error) {
    return Promise.resolve(errorEvent(error));
  }
}

/** The acknowledgement of a recording op (built field by field: this runs once per op). */
function itemsRecorded(ack: ItemsRecorded): EventMsg {
  if (ack.redacted !== undefined) {
    return {
      type: "items_recorded",
      recorded: ack.recorded,
      dropped: ack.dropped,
      item_count: ack.item_count,
      redacted: ack.redacted,
    };
  }
  return {
    type: "items_recorded",
    recorded: ack.recorded,
    dropped: ack.dropped,
    item_count: ack.item_count,
  };
}

/**
 * Runs a `record_items` op whose items the parse thread prepared, answering through `answer`
 * (called exactly once, possibly at once): the op stream's hot path, without a promise per op.
 */
export function recordPreparedNow(
  host: SessionHost,
  prepared: PreparedItems,
  answer: (msg: EventMsg) => void,
): void {
  let answered = false;
  const once = (msg: EventMsg) => {
    if (answered) return;
    answered = true;
    answer(msg);
  };
  try {
    host.session().recordPreparedThen(prepared, (outcome) => {
      once(outcome instanceof RolloutError ? errorEvent(outcome) : itemsRecorded(outcome));
    });
  } catch (error) {
    // No session (`no_session`), or a bug: either way an error event, as `settle` gives.
    once(errorEvent(error));
  }
}

/**
 * Plans `op`: recording ops are `shared` (group commit), ops that read or swap the session
 * `exclusive`. `prepared` is a `record_items` op's items as the parse thread checked them.
 */
export function planOp(op: Op, ctx: OpContext, prepared?: PreparedItems): PlannedOp {
  const { host } = ctx;
  const shared = (work: () => Promise<EventMsg> | EventMsg): PlannedOp => ({
    mode: "shared",
    run: () => settle(work),
  });
  const exclusive = (work: () => Promise<EventMsg> | EventMsg): PlannedOp => ({
    mode: "exclusive",
    run: () => settle(work),
  });
  switch (op.type) {
    case "configure_session":
      if (typeof op.resume_path === "string") {
        const resume = op.resume_path;
        if (op.disable_response_storage === true) {
          return exclusive(() => {
            throw new RolloutError(
              "invalid_argument",
              "op.resume_path: cannot be combined with disable_response_storage",
            );
          });
        }
        return exclusive(() => host.load(resume));
      }
      return exclusive(() => host.configure(op));
    case "user_input":
      return shared(async () => {
        const session = host.session();
        const message = userMessage(op.items, { cwd: ctx.cwd, maxLineBytes: ctx.maxLineBytes });
        // The items make one record: a size refused is that of all of them together.
        const where = { one: "op.items, as one user message" };
        return itemsRecorded(await session.recordItems([message], { where }));
      });
    case "record_items":
      if (prepared !== undefined) {
        return shared(() => new Promise((answer) => recordPreparedNow(host, prepared, answer)));
      }
      return shared(() =>
        host.session()
          // parseLine refuses every line nesting deeper than MAX_NESTING: no item can.
          .recordItems(op.items, { where: "op.items", nestingChecked: true })
          .then(itemsRecorded)
      );
    case "record_state":
      return shared(async () => {
        const session = host.session();
        const { previous_response_id: _, ...rest } = session.state;
        const id = op.previous_response_id;
        await session.recordState(id === null ? rest : { ...rest, previous_response_id: id });
        return { type: "state_recorded", previous_response_id: id };
      });
    case "load_session":
      return exclusive(() => {
        host.session();
        return host.load(op.path);
      });
    case "get_session":
      return exclusive(() => ({ type: "session", ...host.session().saved() }));
    case "add_to_history":
      return shared(async () => {
        const ts = Math.floor(ctx.clock().getTime() / 1000);
        // The history is on disk too: a session that redacts keeps secrets out of it.
        const text = host.redacting() ? redactText(op.text, {}) : op.text;
        const added = await ctx.history.appendWhenFree(
          { session_id: host.sessionId(), ts, text },
          { waitMs: HISTORY_LOCK_WAIT_MS },
        );
        return { type: "history_entry_added", ...added };
      });
    case "get_history_entry_request":
      return shared(() => ({
        type: "get_history_entry_response",
        offset: op.offset,
        log_id: op.log_id,
        entry: ctx.history.lookup(op.log_id, op.offset),
      }));
    case "flush":
      return exclusive(async () => {
        await host.session().flush();
        return { type: "flushed" };
      });
    case "shutdown":
      return exclusive(async () => {
        await host.close();
        return { type: "shutdown_complete" };
      });
    default:
      return assertNever(op);
  }
}

/** What the recorder hands to a format's writer: records in commit order. */
import type { ResponseItem, SessionState } from "../schemas/mod.ts";

/**
 * One record to commit; an item's JSON text is encoded once, when it is queued. `item` is the
 * value itself when the recorder has it (items checked on the op stream's parse thread arrive
 * as their payload only, in UTF-8).
 */
export type PendingRecord =
  | {
    kind: "response_item";
    item: ResponseItem | undefined;
    payload: string | Uint8Array;
    /** The `event_msg` payload (JSON text) line formats write after the item, or null. */
    mirror: string | null;
    timestamp: string;
  }
  | { kind: "state"; state: SessionState; timestamp: string };

/** A format's writer: commits batches durably and recovers after a failure. */
export interface Sink {
  /**
   * Writes every record durably, or throws; a returned promise settles once they are durable
   * (or rejects), and no other call is made meanwhile; `inlineSync` asks for no promise.
   * After a failure only `recover` or `close` is valid.
   */
  commit(
    records: readonly PendingRecord[],
    options?: { inlineSync?: boolean },
  ): void | Promise<void>;
  /** Brings the file back to exactly its last committed content, durably; throws if it can't. */
  recover(): void;
  close(): void;
}

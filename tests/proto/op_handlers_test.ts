/**
 * The op table itself: how each op is ordered, what an op type nobody handles does, and the
 * hot path's answer (exactly once, with exactly the acknowledgement's fields).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { History } from "../../lib/proto/history.ts";
import { type OpContext, planOp, recordPreparedNow } from "../../lib/proto/op_handlers.ts";
import type { SessionHost } from "../../lib/proto/session_host.ts";
import type { EventMsg, Op, PreparedItems } from "../../lib/schemas/mod.ts";

/** A context whose host and history must not be touched: planning an op runs nothing. */
function untouched(): OpContext {
  const refuse = new Proxy({}, {
    get: (_, key) => {
      throw new Error(`planning touched ${String(key)}`);
    },
  });
  return {
    host: refuse as SessionHost,
    history: refuse as History,
    cwd: "/",
    clock: () => new Date(0),
    maxLineBytes: 1024 * 1024,
  };
}

test("planOp() makes recording ops shared and ops that read or swap the session exclusive", () => {
  const ops: [Record<string, unknown>, "shared" | "exclusive"][] = [
    [{ type: "configure_session" }, "exclusive"],
    [{ type: "configure_session", resume_path: "/r.jsonl" }, "exclusive"],
    [
      { type: "configure_session", resume_path: "/r.jsonl", disable_response_storage: true },
      "exclusive",
    ],
    [{ type: "user_input", items: [{ type: "text", text: "hi" }] }, "shared"],
    [{ type: "record_items", items: [] }, "shared"],
    [{ type: "record_state", previous_response_id: null }, "shared"],
    [{ type: "load_session", path: "/r.jsonl" }, "exclusive"],
    [{ type: "get_session" }, "exclusive"],
    [{ type: "add_to_history", text: "t" }, "shared"],
    [{ type: "get_history_entry_request", log_id: 1, offset: 0 }, "shared"],
    [{ type: "flush" }, "exclusive"],
    [{ type: "shutdown" }, "exclusive"],
  ];
  for (const [op, mode] of ops) {
    assert.equal(planOp(op as Op, untouched()).mode, mode, JSON.stringify(op));
  }
  const prepared: PreparedItems = { where: "op.items", items: [], error: null };
  const items = { type: "record_items", items: [] } as Op;
  assert.equal(planOp(items, untouched(), prepared).mode, "shared");
});

test("planOp() throws on an op type it has no handler for, naming the op", () => {
  assert.throws(
    () => planOp({ type: "teleport", to: "mars" } as unknown as Op, untouched()),
    { message: 'Unhandled op {"type":"teleport","to":"mars"}' },
  );
});

/** A host whose session calls `recordPreparedThen`'s callback with `outcome`, then throws. */
function hostAnsweringThenThrowing(outcome: unknown): SessionHost {
  const session = {
    recordPreparedThen(_: PreparedItems, done: (outcome: unknown) => void) {
      done(outcome);
      throw new Error("failed after answering");
    },
  };
  return { session: () => session } as unknown as SessionHost;
}

test("recordPreparedNow() answers exactly once, with exactly the acknowledgement's fields", () => {
  const prepared: PreparedItems = { where: "op.items", items: [], error: null };
  const plain = { recorded: 2, dropped: [{ index: 1, type: "x" }], item_count: 7 };
  const redacted = { recorded: 1, dropped: [], item_count: 3, redacted: { "aws-key": 2 } };
  for (
    const [ack, expected] of [
      [plain, { type: "items_recorded", ...plain }],
      [redacted, { type: "items_recorded", ...redacted }],
    ] as const
  ) {
    const answers: EventMsg[] = [];
    recordPreparedNow(hostAnsweringThenThrowing(ack), prepared, (msg) => answers.push(msg));
    // deepStrictEqual tells a missing key from one that is present and undefined.
    assert.deepStrictEqual(answers, [expected]);
    assert.equal(Object.keys(answers[0]!).includes("redacted"), "redacted" in ack);
  }
});

/**
 * Generated hostile op-stream lines for the fuzz tier: invalid JSON, wrong types, huge lines,
 * invalid UTF-8, NUL bytes, unknown ops, deep nesting. Every line is one that `rollout proto`
 * must answer with exactly one error event and no change to the session.
 */
import type { ErrorCode } from "../../lib/schemas/errors.ts";
import type { SeededRandom } from "./seeded_random.ts";

/** One hostile line (without its `\n`) and what its error event must carry. */
export interface HostileLine {
  kind: string;
  bytes: Uint8Array;
  /**
   * The ids the error event may name: the line's own, or "" when it has no usable one (both
   * for deep nesting: a parser may give up on it before it reads the id).
   */
  ids: readonly string[];
  /** The codes this kind of damage may be reported with. */
  codes: readonly ErrorCode[];
}

const encoder = new TextEncoder();
const JSON_CODES: readonly ErrorCode[] = ["invalid_json"];
const SUBMISSION_CODES: readonly ErrorCode[] = ["invalid_submission"];

function text(
  kind: string,
  line: string,
  ids: readonly string[],
  codes: readonly ErrorCode[],
): HostileLine {
  return { kind, bytes: encoder.encode(line), ids, codes };
}

function nested(depth: number, open: string, close: string, inner = "0"): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
];

const WRONG_TYPED_OPS: readonly ((rng: SeededRandom) => unknown)[] = [
  () => ({ type: "record_items", items: "not a list" }),
  () => ({ type: "record_items", items: [{ type: "message", role: 5, content: [] }] }),
  () => ({ type: "record_items", items: [{ type: "function_call", name: "x", arguments: {} }] }),
  () => ({ type: "record_items", items: [42] }),
  () => ({ type: "record_items", items: [{ type: "message", role: "user", content: [{}] }] }),
  () => ({ type: "record_state", previous_response_id: 7 }),
  () => ({ type: "record_state" }),
  () => ({ type: "user_input", items: [{ type: "text", text: 1 }] }),
  () => ({ type: "user_input", items: [{ type: "video", url: "x" }] }),
  () => ({ type: "load_session", path: 3 }),
  () => ({ type: "get_history_entry_request", offset: -1, log_id: 0 }),
  () => ({ type: "configure_session", format: "yaml" }),
  () => ({ type: "flush", extra: true }),
  () => ({ type: 12 }),
  () => ({}),
  (rng) => ({
    type: "record_items",
    items: [{ type: "message", role: "user", content: rng.int(0, 9) }],
  }),
];

/** Builds the `n`-th hostile line; `maxLineBytes` is the cap the proto under test runs with. */
export function hostileLine(rng: SeededRandom, n: number, maxLineBytes: number): HostileLine {
  const id = `h${n}`;
  switch (rng.int(0, 11)) {
    case 0: {
      const bytes = rng.bytes(rng.int(1, 200)).map((b) => (b === 10 || b === 13 ? 32 : b));
      // A leading `!` keeps random bytes from ever being a JSON value.
      bytes[0] = 0x21;
      return { kind: "random bytes", bytes, ids: [""], codes: ["invalid_json"] };
    }
    case 1: {
      const full = JSON.stringify({ id, op: { type: "flush" } });
      return text("truncated JSON", full.slice(0, rng.int(1, full.length - 1)), [""], JSON_CODES);
    }
    case 2:
      return text(
        "wrong type",
        JSON.stringify({ id, op: rng.pick(WRONG_TYPED_OPS)(rng) }),
        [id],
        SUBMISSION_CODES,
      );
    case 3: {
      const value = rng.pick<unknown>([42, "text", null, true, [], [{ id }], {
        op: { type: "flush" },
      }, { id: 5, op: { type: "flush" } }]);
      return text("no usable id", JSON.stringify(value), [""], SUBMISSION_CODES);
    }
    case 4: {
      const size = maxLineBytes + rng.int(1, maxLineBytes);
      const line = JSON.stringify({ id, op: { type: "add_to_history", text: "x".repeat(size) } });
      return text("huge line", line, [""], ["line_too_long"]);
    }
    case 5: {
      const bad = new Uint8Array(rng.pick(INVALID_UTF8));
      const head = encoder.encode(`{"id":"${id}","op":{"type":"add_to_history","text":"`);
      return {
        kind: "invalid UTF-8",
        bytes: concat(head, bad, encoder.encode('"}}')),
        ids: [""],
        codes: ["invalid_json", "invalid_submission"],
      };
    }
    case 6: {
      const head = encoder.encode(`{"id":"${id}","op":{"type":"add_to_history","text":"a`);
      return {
        kind: "NUL byte",
        bytes: concat(head, new Uint8Array([0]), encoder.encode('"}}')),
        ids: [""],
        codes: JSON_CODES,
      };
    }
    case 7: {
      const type = rng.pick([
        "interrupt",
        "exec_approval",
        "compact",
        "frobnicate",
        "",
        "RECORD_ITEMS",
        "__proto__",
        "constructor",
      ]);
      return text("unknown op", JSON.stringify({ id, op: { type } }), [id], [
        "unsupported_op",
        "invalid_submission",
      ]);
    }
    case 8: {
      // Deeper than any parser should be asked to go, yet within the line cap.
      const brackets = rng.chance(0.5);
      const depth = rng.int(
        1001,
        Math.max(1001, Math.floor((maxLineBytes - 100) / (brackets ? 2 : 6))),
      );
      const deep = brackets ? nested(depth, "[", "]") : nested(depth, '{"a":', "}");
      const line = `{"id":"${id}","op":{"type":"record_state","previous_response_id":${deep}}}`;
      return text("deep nesting", line, [id, ""], ["invalid_submission", "invalid_json"]);
    }
    case 9: {
      const depth = rng.int(1001, Math.max(1001, maxLineBytes - 100));
      return text(
        "deep nesting, not JSON",
        `{"id":"${id}","op":${"[".repeat(depth)}`,
        [""],
        JSON_CODES,
      );
    }
    case 10:
      return text(
        "duplicate keys, wrong last",
        `{"id":"${id}","op":{"type":"record_state","previous_response_id":"a","previous_response_id":1}}`,
        [id],
        SUBMISSION_CODES,
      );
    default:
      return text(
        "op not an object",
        JSON.stringify({ id, op: rng.pick<unknown>(["flush", 1, null, [], ["flush"]]) }),
        [id],
        SUBMISSION_CODES,
      );
  }
}

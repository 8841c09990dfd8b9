/**
 * Encoders of every writable shape: journal and Codex lines (SPEC §2.1, §2.3) and the pretty
 * document (SPEC §2.2). Pure; the output is what `JSON.stringify` gives, key order fixed.
 */
import {
  messageEvent,
  type ResponseItem,
  type RolloutFormat,
  type SessionState,
} from "../schemas/mod.ts";

/** The kind of record a line holds. */
export type RecordKind = "session_meta" | "response_item" | "event_msg" | "state";

/**
 * One line (with its `\n`) of a line format. `payload` is already JSON text. Codex's 2025
 * JSONL has no envelope: items and the meta are bare and a state is a `record_type` line.
 */
export function encodeLine(
  format: RolloutFormat,
  record: { kind: RecordKind; payload: string; timestamp: string; ordinal: number },
): string {
  const [head, payload, tail] = encodeLineParts(format, record);
  return head + payload + tail;
}

/**
 * {@linkcode encodeLine} in three parts (envelope head, payload, envelope tail), so a writer
 * can encode the payload it already holds without first joining it into a new string.
 */
export function encodeLineParts(
  format: RolloutFormat,
  record: { kind: RecordKind; payload: string; timestamp: string; ordinal: number },
): [string, string, string] {
  switch (format) {
    case "journal":
      // `state` is ours, not Codex's: it takes no ordinal, so Codex's sequence never
      // collides with it (SPEC §6).
      if (record.kind === "state") {
        return [
          `{"timestamp":${JSON.stringify(record.timestamp)},"type":"state","payload":`,
          record.payload,
          "}\n",
        ];
      }
      return [
        `{"timestamp":${
          JSON.stringify(record.timestamp)
        },"ordinal":${record.ordinal},"type":"${record.kind}","payload":`,
        record.payload,
        "}\n",
      ];
    case "codex_envelope":
      return [
        `{"timestamp":${JSON.stringify(record.timestamp)},"type":"${record.kind}","payload":`,
        record.payload,
        "}\n",
      ];
    case "codex_jsonl_2025":
      if (record.kind === "event_msg") return ["", "", ""];
      return record.kind === "state"
        ? [
          `{"record_type":"state","previous_response_id":${legacyStateId(record.payload)}}\n`,
          "",
          "",
        ]
        : ["", record.payload, "\n"];
    case "document":
    case "codex_ts_document":
      throw new Error(`encodeLine() called for the document format "${format}"`);
  }
}

function legacyStateId(payload: string): string {
  const state = JSON.parse(payload) as SessionState;
  return JSON.stringify(state.previous_response_id ?? null);
}

/** The JSON text of a state payload: `{}` when there is no previous response. */
export function statePayload(state: SessionState): string {
  return JSON.stringify(state);
}

/** `JSON.stringify(item, null, 2)` as it stands inside the document's `items` array. */
export function documentItemText(item: unknown): string {
  return "    " + JSON.stringify(item, null, 2).replaceAll("\n", "\n    ");
}

/**
 * The whole document, byte for byte what `JSON.stringify(doc, null, 2)` gives, built from
 * cached item texts (see {@linkcode documentItemText}) so a commit does not re-encode them.
 * `state` is left out for the Codex TypeScript CLI document unless it holds something.
 */
export function encodeDocument(
  parts: { meta: unknown; itemTexts: readonly string[]; state: SessionState | null },
): string {
  const items = parts.itemTexts.length === 0 ? "" : `\n${parts.itemTexts.join(",\n")}`;
  return documentHead(parts.meta) + items + documentTail(parts.state, parts.itemTexts.length);
}

/**
 * The document up to the `[` that opens `items`; item `i` follows as `"\n"` (first) or `",\n"`
 * and its {@linkcode documentItemText}, then {@linkcode documentTail}. Lets a writer keep the
 * encoded items and encode only the new ones on each commit.
 */
export function documentHead(meta: unknown): string {
  return `{\n  "session": ${JSON.stringify(meta, null, 2).replaceAll("\n", "\n  ")},\n  "items": [`;
}

/** The document after its `itemCount` items: the `]` of `items`, the state, the last `}`. */
export function documentTail(state: SessionState | null, itemCount: number): string {
  let out = itemCount === 0 ? "]" : "\n  ]";
  if (state !== null) {
    out += `,\n  "state": ${JSON.stringify(state, null, 2).replaceAll("\n", "\n  ")}`;
  }
  return `${out}\n}`;
}

/**
 * A whole journal (SPEC §2.1, §6) for a session: the meta line, one line per item followed
 * by its `event_msg` mirror where Codex writes one, and a state line when there is a
 * previous response, all stamped `timestamp`. Only Codex's records take ordinals.
 */
export function encodeJournal(
  session: { session: unknown; items: readonly ResponseItem[]; state: SessionState },
  timestamp: string,
): { text: string; nextOrdinal: number } {
  let ordinal = 0;
  let text = encodeLine("journal", {
    kind: "session_meta",
    payload: JSON.stringify(session.session),
    timestamp,
    ordinal: ordinal++,
  });
  for (const item of session.items) {
    text += encodeLine("journal", {
      kind: "response_item",
      payload: JSON.stringify(item),
      timestamp,
      ordinal: ordinal++,
    });
    const event = messageEvent(item);
    if (event !== null) {
      text += encodeLine("journal", {
        kind: "event_msg",
        payload: JSON.stringify(event),
        timestamp,
        ordinal: ordinal++,
      });
    }
  }
  if (session.state.previous_response_id !== undefined) {
    text += encodeLine("journal", {
      kind: "state",
      payload: statePayload(session.state),
      timestamp,
      ordinal,
    });
  }
  return { text, nextOrdinal: ordinal };
}

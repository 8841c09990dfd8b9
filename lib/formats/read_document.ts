/**
 * The document formats (SPEC §2.2 and the Codex TypeScript CLI's file): one JSON document,
 * read whole into a SavedSession. Pure: bytes in, no I/O.
 */
import { MAX_NESTING, nestsDeeperThan, parseJson } from "../base/mod.ts";
import {
  checkItem,
  checkMeta,
  checkState,
  formatIssue,
  type ResponseItem,
  RolloutError,
  type RolloutFormat,
  SessionDocument,
} from "../schemas/mod.ts";
import type { SkippedLine } from "./line_loader.ts";
import type { LoadedRollout } from "./loaded_rollout.ts";

/** The warning for a file that starts with a UTF-8 byte order mark. */
export const BOM_WARNING = "the file starts with a byte order mark";

/** The `invalid_rollout` error naming the file, and its `reason` alone for who words its own. */
export class InvalidRollout extends RolloutError {
  readonly reason: string;

  constructor(path: string, reason: string) {
    super("invalid_rollout", `Cannot load rollout "${path}": ${reason}`);
    this.reason = reason;
  }
}

/** The `invalid_rollout` error naming the file and the reason. */
export function invalidRollout(path: string, reason: string): RolloutError {
  return new InvalidRollout(path, reason);
}

/** `JSON.parse` as a value: the parsed value, or not ok. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: parseJson(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Reads a whole document. Items failing their schema are skipped and reported (and kept in
 * `rawItems`, also those nesting too deep to be written again, so that a rewrite of the
 * document refuses rather than drops them); a document without a usable session is an
 * `invalid_rollout` error.
 */
export function readDocument(bytes: Uint8Array, path: string): LoadedRollout {
  const warnings: string[] = [];
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) warnings.push(BOM_WARNING);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalidRollout(path, "the document is not valid UTF-8");
  }
  const parsed = tryParseJson(text);
  if (!parsed.ok) {
    throw invalidRollout(path, "not a rollout (neither JSON lines nor a complete JSON document)");
  }
  const doc = SessionDocument.safeParse(parsed.value);
  if (!doc.success) {
    throw invalidRollout(path, `not a rollout document: ${formatIssue(doc.error, parsed.value)}`);
  }
  // The schema's copy would drop odd keys (`__proto__`): keep the stored objects themselves.
  const stored = parsed.value as SessionDocument;
  const format: RolloutFormat = stored.state === undefined ? "codex_ts_document" : "document";
  const rawMeta = stored.session;
  // What is kept must stay re-encodable (a copy writes it, redaction walks it).
  const tooDeep = `nested deeper than ${MAX_NESTING} levels`;
  if (nestsDeeperThan(rawMeta, MAX_NESTING)) {
    throw invalidRollout(path, `no usable session meta: session: ${tooDeep}`);
  }
  const meta = checkMeta(rawMeta);
  if (!meta.success) {
    throw invalidRollout(
      path,
      `no usable session meta: ${formatIssue(meta.error, rawMeta, "session")}`,
    );
  }
  const rawState = stored.state ?? {};
  if (nestsDeeperThan(rawState, MAX_NESTING)) throw invalidRollout(path, `state: ${tooDeep}`);
  const state = checkState(rawState);
  if (!state.success) throw invalidRollout(path, formatIssue(state.error, rawState, "state"));
  const items: ResponseItem[] = [];
  const skipped: SkippedLine[] = [];
  stored.items.forEach((raw, index) => {
    // Kept in `rawItems` all the same: a rewrite of the document refuses to drop it.
    if (nestsDeeperThan(raw, MAX_NESTING)) {
      skipped.push({ line: null, offset: null, message: `items[${index}]: ${tooDeep}` });
      return;
    }
    const check = checkItem(raw, `items[${index}]`, { nestingChecked: true });
    if (check.ok) items.push(check.item);
    else skipped.push({ line: null, offset: null, message: check.message });
  });
  return {
    path,
    format,
    saved: { session: meta.data, items, state: state.data },
    itemCount: items.length,
    report: { format, torn_tail: null, skipped_lines: skipped, skipped_types: {}, warnings },
    rawMeta,
    rawItems: stored.items,
    end: bytes.length,
    nextOrdinal: 0,
    historyMode: null,
    recordTypes: { response_item: stored.items.length },
    compressed: false,
  };
}

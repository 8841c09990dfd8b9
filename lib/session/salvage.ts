/**
 * What `repair` can still save of a rollout whose meta (or document structure) is damaged:
 * every item that reads on its own, under a rebuilt meta (the id and start from the file name,
 * else the first record's time). Pure: bytes and a name in, a session out, or null when
 * nothing of a rollout is in them.
 */
import * as path from "node:path";
import { isObject, parseJson } from "../base/mod.ts";
import { checkItem, type ResponseItem, type SessionMeta } from "../schemas/mod.ts";
import { parseSessionFileName, uuidv7 } from "../store/mod.ts";

/** A salvaged session, and what was rebuilt to make it one. */
export interface Salvaged {
  kind: "lines" | "document";
  meta: SessionMeta;
  items: ResponseItem[];
  /** Enveloped records besides the items (line files), as they were. */
  records: { type: string; timestamp: string | undefined; payload: unknown }[];
  rebuilt: string[];
  /** A document's state, when it still reads. */
  state?: { previous_response_id: string };
}

function tryJson(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

/**
 * The JSON objects found in `text` at nesting depth `depth` of arrays and objects (strings
 * respected), each parsed on its own: what is left of a document's `items` when the document
 * as a whole does not parse (a stray character, a cut).
 */
function objectsAt(text: string, depth: number): unknown[] {
  const out: unknown[] = [];
  let level = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (c === "{" && level === depth && start < 0) start = i;
      level++;
    } else if (c === "}" || c === "]") {
      level--;
      if (c === "}" && level === depth && start >= 0) {
        const value = tryJson(text.slice(start, i + 1));
        if (value !== undefined) out.push(value);
        start = -1;
      }
    }
  }
  return out;
}

/** Salvages `text`, the content of `file`; null when no item can be read from it. */
export function salvage(file: string, text: string): Salvaged | null {
  const items: ResponseItem[] = [];
  const records: Salvaged["records"] = [];
  let firstTime: string | undefined;
  // Every item Codex keeps (reasoning too), from lines that say they hold one. In a document
  // that does not parse, the objects found where its items stood are taken only when of a
  // type rollout writes: anything nested there could pass for an item otherwise.
  const keep = (value: unknown, persistedOnly = false) => {
    const check = checkItem(value, "item");
    const kept = check.ok && (check.persisted || !persistedOnly);
    if (kept) items.push(check.item);
    return kept;
  };
  let kind: Salvaged["kind"] = "lines";
  const lines = text.split("\n").map(tryJson);
  const enveloped = lines.filter((v) =>
    isObject(v) && typeof v.type === "string" && "payload" in v
  );
  if (enveloped.length > 0) {
    for (const line of enveloped as Record<string, unknown>[]) {
      if (line.type === "session_meta") continue;
      if (line.type === "response_item" && !keep(line.payload)) continue;
      firstTime ??= typeof line.timestamp === "string" ? line.timestamp : undefined;
      records.push({
        type: String(line.type),
        timestamp: typeof line.timestamp === "string" ? line.timestamp : undefined,
        payload: line.payload,
      });
    }
  } else if (lines.some((v) => isObject(v) && typeof v.type === "string")) {
    // Codex's 2025 lines: bare items, and state lines (the last one wins, as when loading).
    for (const value of lines) {
      if (isObject(value) && typeof value.type === "string" && keep(value)) {
        records.push({ type: "response_item", timestamp: undefined, payload: value });
      } else if (isObject(value) && value.record_type === "state") {
        const id = value.previous_response_id;
        const payload = typeof id === "string" ? { previous_response_id: id } : {};
        records.push({ type: "state", timestamp: undefined, payload });
      }
    }
  } else {
    // A document that does not parse: its items, one by one, at depth 2 (`{"items":[{...`).
    kind = "document";
    for (const value of objectsAt(text, 2)) keep(value, true);
  }
  if (items.length === 0) return null;
  if (kind === "document") {
    // The document's own meta, when it still reads: `{"session":{...}` at depth 1.
    const session = objectsAt(text, 1).find((v) =>
      isObject(v) && typeof v.id === "string" && typeof v.timestamp === "string" && !("type" in v)
    ) as SessionMeta | undefined;
    const state = documentState(text);
    const kept = state === undefined ? {} : { state };
    if (session !== undefined) {
      return {
        kind,
        meta: session,
        items,
        records,
        rebuilt: ["the meta the document still holds"],
        ...kept,
      };
    }
  }
  const rebuilt: string[] = [];
  const named = parseSessionFileName(path.basename(file));
  const id = named?.id ?? null;
  const meta: SessionMeta = {
    id: id ?? uuidv7(),
    timestamp: named?.created ?? firstTime ?? new Date().toISOString(),
  };
  rebuilt.push(id === null ? "a new id (the file name holds none)" : "the id from the file name");
  rebuilt.push(
    named !== null
      ? "the start from the file name"
      : firstTime !== undefined
      ? "the start from the first record"
      : "the start from now",
  );
  const state = kind === "document" ? documentState(text) : undefined;
  return { kind, meta, items, records, rebuilt, ...(state === undefined ? {} : { state }) };
}

/** A damaged document's state, when it still reads: `{"state":{...}` at depth 1. */
function documentState(text: string): { previous_response_id: string } | undefined {
  const state = objectsAt(text, 1).find((v) =>
    isObject(v) && typeof v.previous_response_id === "string" && !("id" in v)
  ) as { previous_response_id: string } | undefined;
  return state === undefined ? undefined : { previous_response_id: state.previous_response_id };
}

/**
 * The effective history of a rollout (SPEC §6): the items a resumed conversation continues
 * from, as Codex rebuilds it on resume (codex-rs/core/src/session/rollout_reconstruction.rs at
 * 343074d): compaction replaces what came before, a rollback removes the last user turns, a
 * fork's inherited prefix comes first. Pure: records in, items out.
 */
import {
  checkItem,
  isTurnContext,
  isUserTurn,
  type ResponseItem,
  textParts,
} from "../schemas/mod.ts";

/** Codex's budget for the user messages kept by a compaction without a replacement history. */
const COMPACT_USER_TOKENS = 20_000;

/** Codex's rough token count: about four bytes a token. */
function approxTokens(text: string): number {
  return Math.ceil(new TextEncoder().encode(text).length / 4);
}

function userText(item: ResponseItem): string | null {
  if (item.type !== "message" || (item as { role?: unknown }).role !== "user") return null;
  const { texts } = textParts((item as { content?: unknown }).content, "input_text");
  return texts.length === 0 ? null : texts.join("\n");
}

function userMessage(text: string): ResponseItem {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] } as ResponseItem;
}

/** What one compaction did: how many items it replaced and how many it left. */
export interface Compaction {
  replaced: number;
  kept: number;
}

/**
 * Why Codex cannot decode a `compacted` payload (codex-rs/history/src/rollout_payload.rs:
 * 127-221 at 343074d: `message` text, every replacement an item, metadata of the same
 * length), or null. Codex skips such a line, so it changes no history.
 */
export function compactionProblem(payload: Record<string, unknown>): string | null {
  if (typeof payload.message !== "string") return "its message is not text";
  const replacement = payload.replacement_history;
  if (replacement === undefined || replacement === null) return null;
  if (!Array.isArray(replacement)) return "its replacement_history is not a list";
  const bad = replacement.findIndex((entry) => !checkItem(entry, "replacement_history").ok);
  if (bad >= 0) return `replacement_history[${bad}] is not an item`;
  const metadata = payload.replacement_history_metadata;
  if (Array.isArray(metadata) && metadata.length !== replacement.length) {
    return "its replacement_history_metadata does not match replacement_history";
  }
  return null;
}

/** Whether `value` is a rollback's `num_turns` as Codex decodes it (a u32). */
export function isTurnCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 2 ** 32;
}

/** What a counting history keeps of an item no compaction or rollback looks into. */
const COUNTED = { type: "counted" } as unknown as ResponseItem;
/** An inter-agent message, kept as a user turn boundary only. */
const AGENT_TURN = { type: "agent_message" } as unknown as ResponseItem;
/** A developer message that is context, kept as that only: a rollback trims it. */
const DEVELOPER_CONTEXT = {
  type: "message",
  role: "developer",
  content: [{ type: "input_text", text: "<permissions instructions>" }],
} as unknown as ResponseItem;

function userMessageOf(texts: readonly string[]): ResponseItem {
  const content = texts.map((text) => ({ type: "input_text", text }));
  return { type: "message", role: "user", content } as ResponseItem;
}

/**
 * Where an item of the effective history is stored, so a second read can fetch it without the
 * first keeping it (SPEC §7): the `response_item` on a line (`index` -1), entry `index` of the
 * `replacement_history` of the `compacted` record on a line, or the item itself (a compaction's
 * rebuilt user messages and summary, an inherited prefix).
 */
export type HistoryRef = { line: number; index: number } | { item: ResponseItem };

/** Builds the effective history record by record. */
export class EffectiveHistory {
  /** With `count`: the user's messages, and a placeholder for every other item. */
  items: ResponseItem[] = [];
  /** With `refs`: where each item of `items` is stored. */
  refs: HistoryRef[] | null;
  readonly #count: boolean;
  constructor(options: { count?: boolean; refs?: boolean } = {}) {
    this.#count = options.count === true || options.refs === true;
    this.refs = options.refs === true ? [] : null;
  }

  /** The item, or when counting, what compaction and rollback read of it (its user text). */
  #kept(item: ResponseItem): ResponseItem {
    if (!this.#count) return item;
    if (item.type === "agent_message") return AGENT_TURN;
    if (item.type !== "message" || (item as { role?: unknown }).role !== "user") {
      return isTurnContext(item as { type: string }) ? DEVELOPER_CONTEXT : COUNTED;
    }
    const { texts } = textParts((item as { content?: unknown }).content, "input_text");
    return userMessageOf(texts);
  }
  /** Items dropped by compactions. */
  compacted = 0;
  /** Items removed by rollbacks. */
  rolledBack = 0;
  /** Items taken from the history a fork inherits. */
  inherited = 0;
  /** Compaction summaries, so a later compaction does not keep them as user words. */
  readonly #summaries = new Set<string>();

  /** The inherited prefix (SPEC §6 `history_base`), before any record of the file. */
  inherit(items: readonly ResponseItem[]): void {
    for (const item of items) {
      this.items.push(this.#kept(item));
      this.refs?.push({ item });
    }
    this.inherited += items.length;
  }

  /** A `response_item`; Codex leaves legacy `ghost_snapshot` items out on resume. */
  add(item: ResponseItem, line = 0): void {
    if (item.type === "ghost_snapshot") return;
    this.items.push(this.#kept(item));
    this.refs?.push({ line, index: -1 });
  }

  /**
   * A `compacted` record. With `replacement_history`, that list is the history from here on;
   * without, Codex keeps the newest user messages (up to 20,000 tokens) and the summary
   * (compact.rs:639-715).
   */
  compact(payload: Record<string, unknown>, line = 0): Compaction | string {
    const problem = compactionProblem(payload);
    if (problem !== null) return problem;
    const before = this.items.length;
    const replacement = payload.replacement_history;
    if (Array.isArray(replacement)) {
      const next: ResponseItem[] = [];
      const refs: HistoryRef[] = [];
      replacement.forEach((entry, index) => {
        const check = checkItem(entry, "replacement_history");
        if (!check.ok || check.item.type === "ghost_snapshot") return;
        next.push(this.#kept(check.item));
        refs.push({ line, index });
      });
      this.items = next;
      if (this.refs !== null) this.refs = refs;
    } else {
      const summary = payload.message === "" ? "(no summary available)" : payload.message as string;
      const texts = this.items.map(userText).filter((t): t is string =>
        t !== null && !this.#summaries.has(t) && isUserTurn(userMessage(t))
      );
      const kept: string[] = [];
      let budget = COMPACT_USER_TOKENS;
      for (let i = texts.length - 1; i >= 0 && budget > 0; i--) {
        const tokens = approxTokens(texts[i]!);
        kept.unshift(tokens <= budget ? texts[i]! : texts[i]!.slice(0, budget * 4));
        budget -= Math.min(tokens, budget);
      }
      this.#summaries.add(summary);
      this.items = [...kept.map(userMessage), userMessage(summary)];
      if (this.refs !== null) this.refs = this.items.map((item) => ({ item }));
    }
    const replaced = before;
    this.compacted += replaced;
    return { replaced, kept: this.items.length };
  }

  /**
   * `thread_rolled_back`: removes the last `turns` user turns and everything after them
   * (`drop_last_n_user_turns`, codex-rs/core/src/context_manager/history.rs:320-366), and the
   * context messages just before the first turn removed (the environment or permissions that
   * turn began with), never reaching past the first user turn: the items before it stay.
   * Returns how many items went. (When every turn goes, Codex also strips a model-switch note
   * from the developer messages stamped with the first turn's id; that part is not followed.)
   */
  rollBack(turns: number): number {
    if (turns <= 0) return 0;
    const starts: number[] = [];
    this.items.forEach((item, index) => {
      if (isUserTurn(item as { type: string })) starts.push(index);
    });
    if (starts.length === 0) return 0;
    let cut = starts[Math.max(0, starts.length - turns)]!;
    while (cut > starts[0]! && isTurnContext(this.items[cut - 1] as { type: string })) cut--;
    const removed = this.items.length - cut;
    this.items = this.items.slice(0, cut);
    if (this.refs !== null) this.refs = this.refs.slice(0, cut);
    this.rolledBack += removed;
    return removed;
  }
}

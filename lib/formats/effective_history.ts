/**
 * The effective history of a rollout (SPEC §6): the items a resumed conversation continues
 * from, as Codex rebuilds it on resume (codex-rs/core/src/session/rollout_reconstruction.rs at
 * 343074d): compaction replaces what came before, a rollback removes the last user turns, a
 * fork's inherited prefix comes first. Pure: records in, items out.
 */
import { checkItem, isUserTurn, type ResponseItem } from "../schemas/mod.ts";

/** Codex's budget for the user messages kept by a compaction without a replacement history. */
const COMPACT_USER_TOKENS = 20_000;

/** Codex's rough token count: about four bytes a token. */
function approxTokens(text: string): number {
  return Math.ceil(new TextEncoder().encode(text).length / 4);
}

function userText(item: ResponseItem): string | null {
  if (item.type !== "message" || (item as { role?: unknown }).role !== "user") return null;
  const content = (item as { content?: unknown }).content;
  if (!Array.isArray(content)) return null;
  const texts = content
    .filter((p) => p?.type === "input_text" && typeof p.text === "string")
    .map((p) => p.text as string);
  return texts.length === 0 ? null : texts.join("\n");
}

function userMessage(text: string): ResponseItem {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] } as ResponseItem;
}

/** What one compaction did: how many items it replaced and how many it left. */
export interface Compaction {
  replaced: number;
  kept: number;
  /** Entries of `replacement_history` that are no items rollout can read. */
  unreadable: number;
}

/** Builds the effective history record by record. */
export class EffectiveHistory {
  items: ResponseItem[] = [];
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
    this.items.push(...items);
    this.inherited += items.length;
  }

  /** A `response_item`; Codex leaves legacy `ghost_snapshot` items out on resume. */
  add(item: ResponseItem): void {
    if (item.type === "ghost_snapshot") return;
    this.items.push(item);
  }

  /**
   * A `compacted` record. With `replacement_history`, that list is the history from here on;
   * without, Codex keeps the newest user messages (up to 20,000 tokens) and the summary
   * (compact.rs:639-715).
   */
  compact(payload: Record<string, unknown>): Compaction {
    const before = this.items.length;
    const replacement = payload.replacement_history;
    let unreadable = 0;
    if (Array.isArray(replacement)) {
      const next: ResponseItem[] = [];
      for (const entry of replacement) {
        const check = checkItem(entry, "replacement_history");
        if (!check.ok) unreadable++;
        else if (check.item.type !== "ghost_snapshot") next.push(check.item);
      }
      this.items = next;
    } else {
      const summary = typeof payload.message === "string" && payload.message !== ""
        ? payload.message
        : "(no summary available)";
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
    }
    const replaced = before;
    this.compacted += replaced;
    return { replaced, kept: this.items.length, unreadable };
  }

  /**
   * `thread_rolled_back`: removes the last `turns` user turns and everything after them
   * (`drop_last_n_user_turns`, codex-rs/core/src/context_manager/history.rs:320-366); the
   * items before the first user turn stay. Returns how many items went.
   */
  rollBack(turns: number): number {
    if (turns <= 0) return 0;
    const starts: number[] = [];
    this.items.forEach((item, index) => {
      if (isUserTurn(item as { type: string })) starts.push(index);
    });
    if (starts.length === 0) return 0;
    const cut = starts[Math.max(0, starts.length - turns)]!;
    const removed = this.items.length - cut;
    this.items = this.items.slice(0, cut);
    this.rolledBack += removed;
    return removed;
  }
}

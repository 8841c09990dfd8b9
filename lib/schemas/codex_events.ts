/**
 * The Codex `event_msg` records that mirror messages (SPEC §6): Codex's resume picker takes a
 * session's preview from its `user_message` events and its visible transcript from them and
 * the `agent_message` events, so every message rollout writes gets one. Also which user
 * messages Codex counts as context rather than as something the user said. Pure.
 */
import type { ResponseItem } from "./items.ts";

/**
 * Openings of the user messages Codex injects as context (AGENTS.md, environment, shell
 * command results, ...), from codex-rs/core/src/context/*.rs at 343074d
 * (`CONTEXTUAL_USER_FRAGMENT_MATCHERS`, contextual_user_message.rs:18-31, and the hook prompts
 * of `parse_hook_prompt_fragment`, protocol/src/items.rs:650), with the older versions' own
 * (`<user_instructions>`, `<environments_instructions>`). They are not user turns: no picker
 * preview, no rollback boundary. Compared as Codex does, after white space, ASCII letters in
 * any case.
 */
const CONTEXT_OPENINGS = [
  "# AGENTS.md instructions",
  "<user_instructions>",
  "<environment_context>",
  "<environments_instructions>",
  // `AdditionalContextUserFragment`: `<external_KEY>...</external_KEY>`.
  "<external_",
  "<user_shell_command>",
  "<turn_aborted>",
  "<subagent_notification>",
  "<skill",
  // `InternalModelContextFragment`, and the goal context it replaced.
  "<codex_internal_context",
  "<goal_context>",
  "<recommended_plugins>",
  "<hook_prompt",
  "Warning: The maximum number of unified exec processes you can keep open is",
  "Warning: apply_patch was requested via ",
  "Warning: Your account was flagged for potentially high-risk cyber activity",
].map((opening) => opening.toLowerCase());

/** The texts of a message's `kind` parts (`input_text`, `output_text`) and its image URLs. */
export function textParts(content: unknown, kind: string): { texts: string[]; images: string[] } {
  const texts: string[] = [];
  const images: string[] = [];
  if (!Array.isArray(content)) return { texts, images };
  for (const part of content as { type?: unknown; text?: unknown; image_url?: unknown }[]) {
    if (part === null || typeof part !== "object") continue;
    if (part.type === kind && typeof part.text === "string") texts.push(part.text);
    if (part.type === "input_image" && typeof part.image_url === "string") {
      images.push(part.image_url);
    }
  }
  return { texts, images };
}

/** Whether `text` is context Codex injected rather than words of the user. */
export function isContextText(text: string): boolean {
  return opensWithAny(text, CONTEXT_OPENINGS);
}

/**
 * The first character that is not Rust's `char::is_whitespace` (Unicode White_Space): where
 * Codex's `trim_start` leaves a text.
 */
const PAST_RUST_SPACE =
  /[^\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g;

/** The length of the longest opening of each list looked for, in UTF-16 units. */
const longest = new Map<readonly string[], number>();

/**
 * Whether `text` opens with one of `openings` (in lower case) as Codex compares: after its
 * white space (no byte order mark), ASCII letters in any case. Only the head of the text is
 * looked at (a message may be megabytes long).
 */
function opensWithAny(text: string, openings: readonly string[]): boolean {
  PAST_RUST_SPACE.lastIndex = 0;
  const at = PAST_RUST_SPACE.exec(text)?.index;
  if (at === undefined) return false;
  let length = longest.get(openings);
  if (length === undefined) {
    longest.set(
      openings,
      length = Math.max(...openings.map((o) => o.length)),
    );
  }
  const head = text.slice(at, at + length).replace(/[A-Z]/g, (c) => c.toLowerCase());
  return openings.some((opening) => head.startsWith(opening));
}

/**
 * Openings of the developer messages Codex injects as context (permissions, model switch, apps,
 * collaboration mode, ...): `CONTEXTUAL_DEVELOPER_PREFIXES`, codex-rs/core/src/event_mapping.rs
 * :40-61 at 343074d, compared ignoring case after leading white space.
 */
const DEVELOPER_CONTEXT_OPENINGS = [
  "<permissions instructions>",
  "Approved command prefix saved:",
  "<model_switch>",
  "<managed_developer_instructions>",
  "<apps_instructions>",
  "<collaboration_mode>",
  "<multi_agent_role>",
  "<multi_agent_mode>",
  "<environments_instructions>",
  "<git_attribution>",
  "<plugins_instructions>",
  "<realtime_conversation>",
  "<skills_instructions>",
  "<tools>",
  "<personality_spec>",
  "<token_budget>",
  "<context_window>",
  "<context_window_guidance>",
  "<rollout_budget>",
].map((opening) => opening.toLowerCase());

function isDeveloperContextText(text: string): boolean {
  return opensWithAny(text, DEVELOPER_CONTEXT_OPENINGS);
}

/**
 * Whether `item` is context a rollback takes away with the turn it comes before
 * (`trim_pre_turn_context_updates`, codex-rs/core/src/context_manager/history.rs:532-560 at
 * 343074d): a developer message with any contextual part, or a user message that is context.
 */
export function isTurnContext(item: { type: string; role?: unknown; content?: unknown }): boolean {
  if (item.type !== "message") return false;
  if (item.role === "developer") {
    return textParts(item.content, "input_text").texts.some(isDeveloperContextText);
  }
  return item.role === "user" && textParts(item.content, "input_text").texts.some(isContextText);
}

/**
 * Whether `item` starts a user turn as Codex counts them for rollbacks
 * (`is_user_turn_boundary`, codex-rs/core/src/context_manager/history.rs:920-931): a user
 * message that is not context, or an inter-agent `agent_message` item.
 */
export function isUserTurn(item: { type: string; role?: unknown; content?: unknown }): boolean {
  if (item.type === "agent_message") return true;
  if (item.type !== "message" || item.role !== "user") return false;
  const { texts } = textParts(item.content, "input_text");
  // Codex: a message holding any contextual fragment is context (event_mapping.rs:63-64).
  return !texts.some(isContextText);
}

/**
 * The `event_msg` payload Codex writes beside `item` (protocol.rs `UserMessageEvent`,
 * `AgentMessageEvent`, 2340-2389 at 343074d), or null when it writes none: user messages that
 * are context, messages with nothing to show, and every other item type.
 */
export function messageEvent(item: ResponseItem): Record<string, unknown> | null {
  if (item.type !== "message") return null;
  const message = item as ResponseItem & { role: string; content: unknown; phase?: unknown };
  if (message.role === "user") {
    const { texts, images } = textParts(message.content, "input_text");
    if (texts.some(isContextText)) return null;
    if (texts.every((text) => text === "") && images.length === 0) return null;
    return {
      type: "user_message",
      message: texts.join("\n"),
      images,
      local_images: [],
      text_elements: [],
    };
  }
  if (message.role === "assistant") {
    const { texts } = textParts(message.content, "output_text");
    if (texts.every((text) => text === "")) return null;
    return {
      type: "agent_message",
      message: texts.join("\n"),
      phase: typeof message.phase === "string" ? message.phase : null,
      memory_citation: null,
    };
  }
  return null;
}

const MESSAGE_HEADS = {
  user: '{"type":"message","role":"user","content":[{"type":"input_text","text":',
  assistant: '{"type":"message","role":"assistant","content":[{"type":"output_text","text":',
} as const;
const PART_TYPES = { user: "input_text", assistant: "output_text" } as const;

function sameKeys(value: object, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && own.every((key, i) => key === keys[i]);
}

/**
 * {@linkcode messageEvent} as JSON text, given `payload`, the item's own `JSON.stringify`. For
 * the common message (exactly `{type, role, content: [{type, text}]}`) the text's encoding is
 * taken from `payload` rather than encoded a second time (the hot path of every recorded
 * message); otherwise the event is encoded whole. The same text either way.
 */
export function messageEventText(item: ResponseItem, payload: string): string | null {
  if (item.type !== "message") return null;
  const { role, content } = item as { role?: unknown; content?: unknown };
  if (role !== "user" && role !== "assistant") return null;
  const part = Array.isArray(content) && content.length === 1 ? content[0] : null;
  const plain = part !== null && typeof part === "object" && part.type === PART_TYPES[role] &&
    typeof part.text === "string" && part.text !== "" &&
    sameKeys(item, ["type", "role", "content"]) &&
    sameKeys(part, ["type", "text"]) && !(role === "user" && isContextText(part.text));
  if (plain) {
    const encoded = payload.slice(MESSAGE_HEADS[role].length, payload.length - 3);
    return role === "user"
      ? `{"type":"user_message","message":${encoded},"images":[],"local_images":[],"text_elements":[]}`
      : `{"type":"agent_message","message":${encoded},"phase":null,"memory_citation":null}`;
  }
  const event = messageEvent(item);
  return event === null ? null : JSON.stringify(event);
}

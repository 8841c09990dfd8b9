import assert from "node:assert/strict";
import { test } from "node:test";
import { isUserTurn, messageEvent, messageEventText } from "../../lib/schemas/codex_events.ts";
import type { ResponseItem } from "../../lib/schemas/items.ts";
import { prng, randomString, runSeed, withSeed } from "../fixtures_random.ts";

const user = (text: string) =>
  ({ type: "message", role: "user", content: [{ type: "input_text", text }] }) as ResponseItem;
const assistant = (text: string) =>
  ({
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text }],
  }) as ResponseItem;

// Shapes of UserMessageEvent and AgentMessageEvent, codex-rs/protocol/src/protocol.rs:2340-2389
// at 343074d, written out here.
test("messageEvent() mirrors user and assistant messages as Codex's events", () => {
  assert.deepEqual(messageEvent(user("list files")), {
    type: "user_message",
    message: "list files",
    images: [],
    local_images: [],
    text_elements: [],
  });
  assert.deepEqual(
    messageEvent({
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "a" },
        { type: "input_image", image_url: "data:image/png;base64,AA==" },
        { type: "input_text", text: "b" },
      ],
    } as ResponseItem),
    {
      type: "user_message",
      message: "a\nb",
      images: ["data:image/png;base64,AA=="],
      local_images: [],
      text_elements: [],
    },
  );
  assert.deepEqual(
    messageEvent({ ...assistant("done"), phase: "final_answer" } as ResponseItem),
    { type: "agent_message", message: "done", phase: "final_answer", memory_citation: null },
  );
  // No event for context Codex injects, empty messages, other roles and other items.
  assert.equal(messageEvent(user("<environment_context>\n</environment_context>")), null);
  assert.equal(messageEvent(user("# AGENTS.md instructions for /r\n...")), null);
  assert.equal(messageEvent(user("")), null);
  assert.equal(messageEvent(assistant("")), null);
  assert.equal(
    messageEvent({ type: "message", role: "developer", content: [] } as ResponseItem),
    null,
  );
  assert.equal(
    messageEvent({ type: "function_call", name: "f", arguments: "{}", call_id: "c" }),
    null,
  );
});

test("messageEventText() is JSON.stringify(messageEvent()) for random messages", async () => {
  const seed = runSeed();
  await withSeed(seed, () => {
    const rand = prng(seed);
    for (let i = 0; i < 300; i++) {
      const text = rand() < 0.1 ? "" : randomString(rand, 1 + Math.floor(rand() * 60));
      const pick = rand();
      const item = (pick < 0.3
        ? user(text)
        : pick < 0.6
        ? assistant(text)
        : pick < 0.7
        ? user(`<environment_context>${text}`)
        : pick < 0.8
        ? { ...assistant(text), phase: "commentary" }
        : pick < 0.9
        ? { ...user(text), id: "m1" }
        : {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text, annotations: [] }],
        }) as ResponseItem;
      const want = messageEvent(item);
      assert.equal(
        messageEventText(item, JSON.stringify(item)),
        want === null ? null : JSON.stringify(want),
        JSON.stringify(item),
      );
    }
  });
});

// is_user_turn_boundary, codex-rs/core/src/context_manager/history.rs:920-931 at 343074d.
test("isUserTurn() counts user words and inter-agent messages, not context", () => {
  assert.equal(isUserTurn(user("hi")), true);
  assert.equal(isUserTurn(user("<user_shell_command>ls</user_shell_command>")), false);
  assert.equal(isUserTurn(assistant("hi")), false);
  assert.equal(isUserTurn({ type: "agent_message" }), true);
  // Any contextual fragment makes the message context (event_mapping.rs:63-64).
  assert.equal(
    isUserTurn({
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "<environment_context>\n</environment_context>" },
        { type: "input_text", text: "hi" },
      ],
    }),
    false,
  );
  assert.equal(isUserTurn({ type: "function_call" }), false);
});

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

// The fragments of codex-rs/core/src/context/*.rs at 343074d, written out here as Codex renders
// them (contextual_user_message.rs:18-31; the hook prompt of protocol/src/items.rs:650).
test("isUserTurn() passes over every kind of context Codex injects as a user message", () => {
  const context = [
    "<environment_context>\n  <cwd>/r</cwd>\n</environment_context>",
    "<external_ticket>ENG-12: the login page</external_ticket>",
    "<user_shell_command>\n<command>ls</command>\n</user_shell_command>",
    "<turn_aborted>\nThe user interrupted.\n</turn_aborted>",
    "<subagent_notification>{}</subagent_notification>",
    '<codex_internal_context source="goal">\nShip it.\n</codex_internal_context>',
    "<goal_context>Ship it.</goal_context>",
    "<recommended_plugins>\n- github\n</recommended_plugins>",
    '<hook_prompt hook_run_id="h1">Run the linter first.</hook_prompt>',
    "Warning: The maximum number of unified exec processes you can keep open is 64.",
    "Warning: apply_patch was requested via exec_command. Use the apply_patch tool instead of exec_command.",
    "Warning: Your account was flagged for potentially high-risk cyber activity and ...",
    // Codex compares ASCII letters in any case, after white space (Unicode's too).
    "\n  <Turn_Aborted>\n</Turn_Aborted>",
    "\u3000\u00a0\u2028<GOAL_CONTEXT>Ship it.</GOAL_CONTEXT>",
    // Only the head of a long message is looked at, and it decides.
    `<environment_context>${"x".repeat(2_000_000)}</environment_context>`,
  ];
  for (const text of context) {
    assert.equal(isUserTurn(user(text)), false, text);
    assert.equal(messageEvent(user(text)), null, text);
  }
  for (
    const text of [
      "Warning: the build is red",
      "<external> tags in HTML?",
      "goal_context",
      "\ufeff<goal_context>a byte order mark is not white space</goal_context>",
      `${"y".repeat(2_000_000)}<environment_context>`,
    ]
  ) {
    assert.equal(isUserTurn(user(text)), true, text);
  }
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

/**
 * Byte-exact fixtures of the five readable formats (SPEC §2.3), written by hand in the shapes
 * Codex and we write, and the values a reader must get from them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { markFixture } from "./helpers.ts";

/** The lines of a JSONL file joined, each with its `\n`. */
export function jsonl(lines: readonly string[]): string {
  return lines.map((line) => `${line}\n`).join("");
}

/** Writes `content` (text or bytes) to `dir/name` and returns the path. */
export function writeFixture(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return markFixture(file);
}

/** UTF-8 bytes of a string. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** UTF-8 length of a string. */
export function size(text: string): number {
  return bytes(text).length;
}

export const ID = "019abc00-0000-7000-8000-000000000001";

/**
 * Our journal (SPEC §2.1, §6): a Codex paginated rollout. Meta, three items (one with astral
 * and accented text), then a state line, which takes no ordinal. (What rollout writes also
 * mirrors each message in an `event_msg`; Codex reads the file either way.)
 */
export const JOURNAL_LINES = [
  `{"timestamp":"2026-11-26T11:15:28.123Z","ordinal":0,"type":"session_meta","payload":{"id":"${ID}","timestamp":"2026-11-26T11:15:28.120Z","instructions":"Be terse.","cwd":"/repo","originator":"rollout","cli_version":"0.1.0","source":"cli","history_mode":"paginated"}}`,
  '{"timestamp":"2026-11-26T11:15:29.001Z","ordinal":1,"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"list files, café 🎉"}]}}',
  '{"timestamp":"2026-11-26T11:15:31.410Z","ordinal":2,"type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\\"command\\":[\\"ls\\"]}","call_id":"call_1"}}',
  '{"timestamp":"2026-11-26T11:15:31.950Z","ordinal":3,"type":"response_item","payload":{"type":"function_call_output","call_id":"call_1","output":"a\\nb\\n"}}',
  '{"timestamp":"2026-11-26T11:15:32.300Z","type":"state","payload":{"previous_response_id":"resp_42"}}',
] as const;

/** The items of {@linkcode JOURNAL_LINES}, in order. */
export const JOURNAL_ITEMS = [
  {
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "list files, café 🎉" }],
  },
  { type: "function_call", name: "shell", arguments: '{"command":["ls"]}', call_id: "call_1" },
  { type: "function_call_output", call_id: "call_1", output: "a\nb\n" },
];

/** The meta of {@linkcode JOURNAL_LINES}. */
export const JOURNAL_META = {
  id: ID,
  timestamp: "2026-11-26T11:15:28.120Z",
  instructions: "Be terse.",
  cwd: "/repo",
  originator: "rollout",
  cli_version: "0.1.0",
  source: "cli",
  history_mode: "paginated",
};

/**
 * Codex CLI's enveloped rollout (late 2025, legacy history mode): context, a user turn, tool
 * calls, a compaction without a replacement history, an unknown record type.
 */
export const CODEX_ENVELOPE_LINES = [
  '{"timestamp":"2025-11-03T09:12:44.512Z","type":"session_meta","payload":{"id":"0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","timestamp":"2025-11-03T09:12:44.498Z","cwd":"/home/dev/repo","originator":"codex_cli_rs","cli_version":"0.58.0","instructions":null,"source":"cli","model_provider":"openai","base_instructions":{"text":"You are Codex, a coding agent."},"git":{"commit_hash":"3f2a1c9","branch":"main","repository_url":null}}}',
  '{"timestamp":"2025-11-03T09:12:44.530Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context>\\n  <cwd>/home/dev/repo</cwd>\\n</environment_context>"}]}}',
  '{"timestamp":"2025-11-03T09:12:44.531Z","type":"turn_context","payload":{"cwd":"/home/dev/repo","approval_policy":"on-request","sandbox_policy":{"mode":"workspace-write","network_access":false},"model":"gpt-5-codex","effort":"medium","summary":"auto"}}',
  '{"timestamp":"2025-11-03T09:12:45.001Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"fix the tests"}]}}',
  '{"timestamp":"2025-11-03T09:12:45.002Z","type":"event_msg","payload":{"type":"user_message","message":"fix the tests","images":[]}}',
  '{"timestamp":"2025-11-03T09:12:47.120Z","type":"response_item","payload":{"type":"reasoning","summary":[{"type":"summary_text","text":"**Inspecting tests**"}],"content":null,"encrypted_content":"gAAAAABo"}}',
  '{"timestamp":"2025-11-03T09:12:47.900Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\\"command\\":[\\"bash\\",\\"-lc\\",\\"npm test\\"]}","call_id":"call_abc"}}',
  '{"timestamp":"2025-11-03T09:12:48.001Z","type":"event_msg","payload":{"type":"token_count","info":null}}',
  '{"timestamp":"2025-11-03T09:12:52.310Z","type":"response_item","payload":{"type":"function_call_output","call_id":"call_abc","output":"{\\"output\\":\\"1 failing\\\\n\\",\\"metadata\\":{\\"exit_code\\":1}}"}}',
  '{"timestamp":"2025-11-03T09:12:55.000Z","type":"response_item","payload":{"type":"custom_tool_call","status":"completed","call_id":"call_p1","name":"apply_patch","input":"*** Begin Patch\\n*** End Patch"}}',
  '{"timestamp":"2025-11-03T09:12:55.100Z","type":"response_item","payload":{"type":"custom_tool_call_output","call_id":"call_p1","output":"Success."}}',
  '{"timestamp":"2025-11-03T09:13:10.000Z","type":"compacted","payload":{"message":"The user asked to fix the tests."}}',
  '{"timestamp":"2025-11-03T09:13:12.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}],"end_turn":true}}',
  '{"timestamp":"2025-11-03T09:13:12.100Z","type":"ghost_snapshot","payload":{"commit":"abc"}}',
] as const;

export const CODEX_ENVELOPE_META = {
  id: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  timestamp: "2025-11-03T09:12:44.498Z",
  cwd: "/home/dev/repo",
  originator: "codex_cli_rs",
  cli_version: "0.58.0",
  source: "cli",
  model_provider: "openai",
  base_instructions: { text: "You are Codex, a coding agent." },
  git: { commit_hash: "3f2a1c9", branch: "main", repository_url: null },
};

/** Every response item of {@linkcode CODEX_ENVELOPE_LINES}, in order (`load --all`). */
export const CODEX_ENVELOPE_ALL_ITEMS = [
  {
    type: "message",
    role: "user",
    content: [{
      type: "input_text",
      text: "<environment_context>\n  <cwd>/home/dev/repo</cwd>\n</environment_context>",
    }],
  },
  { type: "message", role: "user", content: [{ type: "input_text", text: "fix the tests" }] },
  {
    type: "reasoning",
    summary: [{ type: "summary_text", text: "**Inspecting tests**" }],
    content: null,
    encrypted_content: "gAAAAABo",
  },
  {
    type: "function_call",
    name: "shell",
    arguments: '{"command":["bash","-lc","npm test"]}',
    call_id: "call_abc",
  },
  {
    type: "function_call_output",
    call_id: "call_abc",
    output: '{"output":"1 failing\\n","metadata":{"exit_code":1}}',
  },
  {
    type: "custom_tool_call",
    status: "completed",
    call_id: "call_p1",
    name: "apply_patch",
    input: "*** Begin Patch\n*** End Patch",
  },
  { type: "custom_tool_call_output", call_id: "call_p1", output: "Success." },
  {
    type: "message",
    role: "assistant",
    content: [{ type: "output_text", text: "Done." }],
    end_turn: true,
  },
];

/**
 * The effective history of {@linkcode CODEX_ENVELOPE_LINES} (SPEC §6): the compaction without
 * a replacement history keeps the user's own words (not the context) and its summary, then
 * the answer after it.
 */
export const CODEX_ENVELOPE_ITEMS = [
  { type: "message", role: "user", content: [{ type: "input_text", text: "fix the tests" }] },
  {
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "The user asked to fix the tests." }],
  },
  CODEX_ENVELOPE_ALL_ITEMS[7]!,
];

/** Codex CLI's 2025 JSONL: a bare meta, bare items, `record_type` lines, nulls. */
export const CODEX_2025_LINES = [
  '{"id":"5973b6c0-94b8-487b-a530-2aeb6098ae0e","timestamp":"2025-05-06T22:35:51.781Z","instructions":null,"git":{"commit_hash":"a1b2c3d","branch":"main","repository_url":null}}',
  '{"record_type":"state"}',
  '{"type":"message","id":null,"role":"user","content":[{"type":"input_text","text":"hi"}]}',
  '{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":null}',
  '{"type":"local_shell_call","id":null,"call_id":"call_1","status":"completed","action":{"type":"exec","command":["ls","-a"],"timeout_ms":null,"working_directory":null,"env":null,"user":null}}',
  '{"type":"function_call_output","call_id":"call_1","output":{"content":"a\\nb","success":true}}',
  '{"record_type":"state","previous_response_id":"resp_1"}',
  '{"type":"message","id":"msg_2","role":"assistant","content":[{"type":"output_text","text":"ok"}]}',
  '{"record_type":"turn_marker","n":1}',
  '{"record_type":"state","previous_response_id":"resp_2"}',
] as const;

export const CODEX_2025_META = {
  id: "5973b6c0-94b8-487b-a530-2aeb6098ae0e",
  timestamp: "2025-05-06T22:35:51.781Z",
  git: { commit_hash: "a1b2c3d", branch: "main", repository_url: null },
};

export const CODEX_2025_ITEMS = [
  { type: "message", id: null, role: "user", content: [{ type: "input_text", text: "hi" }] },
  { type: "reasoning", id: "rs_1", summary: [], encrypted_content: null },
  {
    type: "local_shell_call",
    id: null,
    call_id: "call_1",
    status: "completed",
    action: {
      type: "exec",
      command: ["ls", "-a"],
      timeout_ms: null,
      working_directory: null,
      env: null,
      user: null,
    },
  },
  { type: "function_call_output", call_id: "call_1", output: { content: "a\nb", success: true } },
  {
    type: "message",
    id: "msg_2",
    role: "assistant",
    content: [{ type: "output_text", text: "ok" }],
  },
];

/** The Codex TypeScript CLI's document, as its `JSON.stringify(x, null, 2)` wrote it. */
export const CODEX_TS_DOCUMENT = `{
  "session": {
    "timestamp": "2025-04-18T10:01:02.345Z",
    "id": "b1946ac9-2c4b-4c73-9d0e-3e2a8f1c0d11",
    "instructions": ""
  },
  "items": [
    {
      "id": "msg_1",
      "type": "message",
      "role": "user",
      "content": [
        {
          "type": "input_text",
          "text": "explain this codebase"
        }
      ]
    },
    {
      "id": "rs_1",
      "type": "reasoning",
      "summary": []
    },
    {
      "type": "function_call",
      "id": "fc_1",
      "call_id": "call_1",
      "name": "shell",
      "arguments": "{\\"command\\":[\\"ls\\"]}",
      "status": "completed"
    },
    {
      "type": "function_call_output",
      "call_id": "call_1",
      "output": "{\\"output\\":\\"README.md\\\\n\\",\\"metadata\\":{\\"exit_code\\":0}}"
    },
    {
      "id": "msg_2",
      "type": "message",
      "role": "assistant",
      "status": "completed",
      "content": [
        {
          "type": "output_text",
          "text": "It is a CLI.",
          "annotations": []
        }
      ]
    }
  ]
}`;

export const CODEX_TS_META = {
  timestamp: "2025-04-18T10:01:02.345Z",
  id: "b1946ac9-2c4b-4c73-9d0e-3e2a8f1c0d11",
  instructions: "",
};

export const CODEX_TS_ITEMS = [
  {
    id: "msg_1",
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "explain this codebase" }],
  },
  { id: "rs_1", type: "reasoning", summary: [] },
  {
    type: "function_call",
    id: "fc_1",
    call_id: "call_1",
    name: "shell",
    arguments: '{"command":["ls"]}',
    status: "completed",
  },
  {
    type: "function_call_output",
    call_id: "call_1",
    output: '{"output":"README.md\\n","metadata":{"exit_code":0}}',
  },
  {
    id: "msg_2",
    type: "message",
    role: "assistant",
    status: "completed",
    content: [{ type: "output_text", text: "It is a CLI.", annotations: [] }],
  },
];

/** Our document (SPEC §2.2), with an unknown meta field and an unknown item field. */
export const DOCUMENT = `{
  "session": {
    "id": "${ID}",
    "timestamp": "2026-11-26T11:15:28.120Z",
    "instructions": "Be terse.",
    "originator": "rollout",
    "cli_version": "0.1.0",
    "team": "infra"
  },
  "items": [
    {
      "type": "message",
      "role": "user",
      "content": [
        {
          "type": "input_text",
          "text": "hi"
        }
      ],
      "x_trace": 7
    },
    {
      "type": "web_search_call"
    }
  ],
  "state": {
    "previous_response_id": "resp_42"
  }
}`;

export const DOCUMENT_META = {
  id: ID,
  timestamp: "2026-11-26T11:15:28.120Z",
  instructions: "Be terse.",
  originator: "rollout",
  cli_version: "0.1.0",
  team: "infra",
};

export const DOCUMENT_ITEMS = [
  {
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: "hi" }],
    x_trace: 7,
  },
  { type: "web_search_call" },
];

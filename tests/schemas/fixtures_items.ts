/** A valid item of every persisted type (SPEC §2.4), each using optional and extra fields. */
export const VALID_ITEMS: Record<string, Record<string, unknown>> = {
  message: {
    type: "message",
    role: "user",
    content: [
      { type: "input_text", text: "hi" },
      { type: "input_image", image_url: "data:image/png;base64,AAAA" },
      { type: "output_text", text: "ok", annotations: [] },
      { type: "refusal", refusal: "no" },
    ],
  },
  function_call: { type: "function_call", name: "shell", arguments: "{}", call_id: "c1" },
  function_call_output: { type: "function_call_output", call_id: "c1", output: "done" },
  local_shell_call: {
    type: "local_shell_call",
    id: null,
    call_id: null,
    status: "in_progress",
    action: {
      type: "exec",
      command: ["ls", "-a"],
      timeout_ms: 1000,
      working_directory: "/tmp",
      env: { A: "1" },
      user: null,
    },
  },
  custom_tool_call: { type: "custom_tool_call", call_id: "c2", name: "apply_patch", input: "x" },
  custom_tool_call_output: { type: "custom_tool_call_output", call_id: "c2", output: null },
  web_search_call: { type: "web_search_call", status: "completed", action: { query: "q" } },
};

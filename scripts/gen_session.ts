/**
 * The records of one generated Codex session, as Codex writes them: session_meta, turns of
 * turn_context, user and assistant messages with their event_msg mirrors, reasoning, shell
 * calls and outputs, token_count events, screenshots and compactions that copy them again.
 * Hands each record to a sink, which encodes it in a file format. Not shipped.
 */
import { opaque, Rng, screenshot, Vocabulary } from "./gen_text.ts";

/** Where the records go: the sink encodes them and counts the bytes it wrote. */
export interface RecordSink {
  record(type: string, payload: Record<string, unknown>, timestamp: string): void;
  /** Bytes written so far (uncompressed). */
  readonly bytes: number;
  /** Marks the end of a turn (the 2025 format writes a state line there). */
  turnEnd(): void;
}

/** What one session holds. */
export interface SessionSpec {
  id: string;
  start: number;
  /** Stop starting turns once this many bytes are written. */
  targetBytes: number;
  cwd: string;
  /** Screenshots in user turns and tool outputs, and compactions that copy them. */
  images: boolean;
  /** Words planted in the first user message (a rare word, a phrase). */
  plant: string[];
  /** Extra fields of the meta (our journal's `history_mode`). */
  meta?: Record<string, unknown>;
}

/** What a session's records held, for the generator's report. */
export interface SessionStats {
  end: number;
  turns: number;
  images: number;
  compactions: number;
}

const VERSIONS = ["0.98.0", "0.104.0-alpha.1", "0.128.0", "0.146.0", "0.150.0"];
const MODELS = ["gpt-5.1-codex", "gpt-5.3-codex", "gpt-5.4", "gpt-5.4-mini"];
const ORIGINATORS = ["codex_cli_rs", "Codex Desktop", "codex_vscode"];
const INSTRUCTIONS = "You are Codex, a coding agent. You and the user share one workspace; " +
  "read files before you change them, keep changes small, run the tests you touch, and say " +
  "plainly what you did and what is left. Prefer rg to grep. Never revert changes you did " +
  "not make. Ask before anything destructive. Format answers as short paragraphs. ";
const SUMMARY = "Another language model started to solve this problem and produced a summary " +
  "of its thinking process. Use it to build on the work done so far: ";

/** Writes the records of one session into `sink`; deterministic from `rng`. */
export function writeSession(
  sink: RecordSink,
  spec: SessionSpec,
  text: { rng: Rng; vocabulary: Vocabulary },
): SessionStats {
  const { rng, vocabulary: v } = text;
  let clock = spec.start;
  const at = (step: number) => new Date(clock += rng.int(step >> 3, step)).toISOString();
  const stats: SessionStats = { end: clock, turns: 0, images: 0, compactions: 0 };
  const version = rng.pick(VERSIONS);
  const model = rng.pick(MODELS);
  sink.record("session_meta", {
    id: spec.id,
    timestamp: new Date(spec.start).toISOString(),
    cwd: spec.cwd,
    originator: rng.pick(ORIGINATORS),
    cli_version: version,
    source: "cli",
    model_provider: "openai",
    base_instructions: { text: INSTRUCTIONS.repeat(4 + VERSIONS.indexOf(version) * 8) },
    git: {
      commit_hash: rng.hex(40),
      branch: rng.pick(["main", "main", "fix/" + v.word(), "feat/" + v.word()]),
      repository_url: `git@github.com:acme/${spec.cwd.split("/").at(-1)}.git`,
    },
    ...spec.meta,
  }, at(50));
  const kept: unknown[] = [];
  const total = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, total_tokens: 0 };
  const tokenCount = () => {
    const input = rng.int(2_000, 60_000);
    const last = {
      input_tokens: input,
      cached_input_tokens: Math.floor(input * rng.float()),
      output_tokens: rng.int(50, 4_000),
      reasoning_output_tokens: rng.int(0, 2_000),
      total_tokens: 0,
    };
    last.total_tokens = last.input_tokens + last.output_tokens;
    total.input_tokens += last.input_tokens;
    total.cached_input_tokens += last.cached_input_tokens;
    total.output_tokens += last.output_tokens;
    total.total_tokens += last.total_tokens;
    sink.record("event_msg", {
      type: "token_count",
      info: {
        total_token_usage: { ...total },
        last_token_usage: last,
        model_context_window: 258_400,
      },
    }, at(200));
  };
  const compactEvery = spec.images ? rng.int(5, 9) : rng.int(25, 40);
  let sinceCompaction = 0;
  for (let turn = 0; turn === 0 || sink.bytes < spec.targetBytes; turn++) {
    stats.turns++;
    const turnId = `${spec.id.slice(0, 24)}${rng.hex(12)}`;
    sink.record("event_msg", { type: "task_started", turn_id: turnId }, at(30_000));
    let ask = v.prose(rng.int(5, 60));
    if (rng.chance(0.3)) ask += ` in ${v.path()}`;
    if (turn === 0 && spec.plant.length > 0) ask += `. ${spec.plant.join(". ")}.`;
    const urls: string[] = [];
    if (spec.images && rng.chance(0.4)) {
      for (let i = rng.int(1, 2); i > 0; i--) urls.push(screenshot(rng, rng.int(100, 500) * 1024));
    }
    stats.images += urls.length;
    const user = {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: ask },
        ...urls.map((url) => ({ type: "input_image", image_url: url })),
      ],
    };
    kept.push(user);
    if (kept.length > 16) kept.shift();
    sink.record("response_item", user, at(100));
    sink.record("event_msg", {
      type: "user_message",
      message: ask,
      images: urls,
      local_images: [],
      text_elements: [],
    }, at(5));
    sink.record("turn_context", {
      turn_id: turnId,
      cwd: spec.cwd,
      approval_policy: "on-request",
      sandbox_policy: { type: "workspace-write", network_access: false },
      model,
      effort: rng.pick(["medium", "high"]),
      summary: "auto",
    }, at(20));
    for (let call = 0; call < 12 && rng.chance(0.75); call++) {
      const thought = v.prose(rng.int(5, 25));
      sink.record("event_msg", { type: "agent_reasoning", text: thought }, at(4_000));
      sink.record("response_item", {
        type: "reasoning",
        summary: [{ type: "summary_text", text: thought }],
        content: null,
        encrypted_content: opaque(rng, rng.int(300, 3_000)),
      }, at(10));
      const callId = `call_${rng.hex(24)}`;
      if (spec.images && rng.chance(0.15)) {
        const url = screenshot(rng, rng.int(100, 500) * 1024);
        stats.images++;
        sink.record("response_item", {
          type: "function_call",
          name: "mcp__browser__screenshot",
          arguments: "{}",
          call_id: callId,
        }, at(300));
        sink.record("response_item", {
          type: "function_call_output",
          call_id: callId,
          output: [
            { type: "input_text", text: `Wall time: 0.${rng.int(100, 999)} seconds\nOutput:` },
            { type: "input_image", image_url: url, detail: "high" },
          ],
        }, at(2_000));
      } else {
        const size = Math.min(40_000, Math.floor(Math.exp(6.7 + 1.3 * rng.normal())));
        const run = v.shell(size);
        const modern = VERSIONS.indexOf(version) >= 2;
        sink.record("response_item", {
          type: "function_call",
          name: modern ? "exec_command" : "shell",
          arguments: JSON.stringify(
            modern
              ? { cmd: run.command, workdir: spec.cwd }
              : { command: ["bash", "-lc", run.command], workdir: spec.cwd },
          ),
          call_id: callId,
        }, at(300));
        const wall = (rng.float() * 3).toFixed(4);
        sink.record("response_item", {
          type: "function_call_output",
          call_id: callId,
          output: modern
            ? `Chunk ID: ${
              rng.hex(6)
            }\nWall time: ${wall} seconds\nProcess exited with code ${run.exitCode}\nOriginal token count: ${
              Math.ceil(run.output.length / 4)
            }\nOutput:\n${run.output}`
            : JSON.stringify({
              output: run.output,
              metadata: { exit_code: run.exitCode, duration_seconds: Number(wall) },
            }),
        }, at(3_000));
      }
      tokenCount();
    }
    const answer = v.prose(rng.int(20, 250));
    sink.record("response_item", {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: answer }],
    }, at(6_000));
    sink.record("event_msg", { type: "agent_message", message: answer }, at(5));
    tokenCount();
    sink.record("event_msg", {
      type: "task_complete",
      turn_id: turnId,
      last_agent_message: answer,
    }, at(20));
    sink.turnEnd();
    if (++sinceCompaction >= compactEvery && sink.bytes < spec.targetBytes) {
      sinceCompaction = 0;
      stats.compactions++;
      const summary = {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: SUMMARY + v.prose(rng.int(100, 400)) }],
      };
      sink.record("compacted", { message: "", replacement_history: [...kept, summary] }, at(9_000));
      sink.record("event_msg", { type: "context_compacted" }, at(5));
    }
  }
  stats.end = clock;
  return stats;
}

/**
 * The session index shared by processes (SPEC §8): `search` and `list` processes started
 * together on a home with no index, while `rollout proto` records into it, all succeed; none
 * sees a broken index; the writer is never held up (its acknowledgements keep coming); and
 * once a write is acknowledged, the next search finds it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { processTierSkip } from "./process_tier_gate.ts";
import { BINARY, ProtoProcess, subjectNamed } from "./proto_process.ts";
import { runCommand } from "./run_command.ts";
import { setup } from "../helpers.ts";
import { idOf, writeSession } from "../cli/fixtures.ts";

const skip = processTierSkip("index_concurrency_test.ts");
const READERS = 6;
const WRITES = 40;

function note(n: number): Record<string, unknown> {
  return {
    type: "message",
    role: "user",
    content: [{ type: "input_text", text: `concurrentword${n} recorded` }],
  };
}

test(
  "search and list processes share the index with each other and with a recording proto",
  { skip },
  async () => {
    await setup();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-index-"));
    let writer: ProtoProcess | null = null;
    try {
      for (let n = 1; n <= 150; n++) {
        writeSession(home, {
          id: idOf(n),
          stamp: `2026-11-26T11-${String(n % 60).padStart(2, "0")}-00`,
        });
      }
      writer = ProtoProcess.start(subjectNamed("binary"), { args: ["--home", home] });
      await writer.send({ id: "c", op: { type: "configure_session", instructions: "index test" } });
      const configured = await writer.eventFor("c");
      assert.equal(configured?.msg.type, "session_configured", writer.stderr);
      const readers: Array<Promise<{ code: number | null; stdout: string; stderr: string }>> = [];
      let acked = 0;
      for (let n = 0; n < WRITES; n++) {
        if (n % 8 === 0 && readers.length < READERS * 2) {
          for (let r = 0; r < 2; r++) {
            const args = r === 0
              ? ["search", "files", "--json", "--limit", "1000", "--home", home]
              : ["list", "--json", "--home", home];
            readers.push(runCommand(BINARY, args));
          }
        }
        await writer.send({ id: `w${n}`, op: { type: "record_items", items: [note(n)] } });
        const ack = await writer.eventFor(`w${n}`);
        assert.notEqual(ack?.msg.type, "error", JSON.stringify(ack));
        acked++;
      }
      const results = await Promise.all(readers);
      for (const result of results) {
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr, "", "no notice of a damaged index, no warning");
        const parsed = JSON.parse(result.stdout) as unknown[];
        // 150 sessions with "files" twice each, or at least the 150 sessions listed.
        assert.ok(parsed.length >= 150, `${parsed.length}`);
      }
      // Every acknowledged write is found by the next search.
      const after = await runCommand(BINARY, [
        "search",
        "concurrentword*",
        "--json",
        "--limit",
        "1000",
        "--home",
        home,
      ]);
      assert.equal(after.code, 0, after.stderr);
      const words = (JSON.parse(after.stdout) as Array<{ snippet: string }>).map((h) =>
        h.snippet.split(" ")[0]
      );
      assert.equal(words.length, acked);
      assert.deepEqual(
        new Set(words),
        new Set(Array.from({ length: WRITES }, (_, n) => `concurrentword${n}`)),
      );
      await writer.send({ id: "s", op: { type: "shutdown" } });
      assert.deepEqual(await writer.exited, { code: 0, signal: null });
      writer = null;
    } finally {
      writer?.child.kill("SIGKILL");
      fs.rmSync(home, { recursive: true, force: true });
    }
  },
);

/**
 * `load`, `load --all` and `export --to json|md` write a session as they read it (SPEC §7): two
 * reads, the items never held. Their output must be the very text the whole-session renderers
 * give for the session read at once by `loadRollout`, for every format, through compactions,
 * rollbacks and the real Codex samples when they are here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { renderMarkdown } from "../../lib/transcript/markdown_transcript.ts";
import { writeBigRollout } from "../../scripts/big_rollout.ts";
import { markFixture, setup, skipReason, tempDir } from "../helpers.ts";
import { cli } from "./cli_io.ts";
import { fixtureText, FORMATS, idOf, writeSession } from "./fixtures.ts";

const SAMPLES = path.resolve(import.meta.dirname ?? ".", "../../../shared/samples/codex");

/** What the whole-session renderers give for `file`, read at once. */
function expected(file: string) {
  const loaded = loadRollout(file, { all: true });
  const saved = loaded.saved;
  const all = { ...saved, items: loaded.allItems ?? saved.items, records: loaded.recordTypes };
  return {
    load: `${JSON.stringify(saved, null, 2)}\n`,
    all: `${JSON.stringify(all, null, 2)}\n`,
    md: renderMarkdown(saved),
  };
}

async function assertStreamed(file: string): Promise<void> {
  const want = expected(file);
  const load = await cli(["load", file]);
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout, want.load, `load ${file}`);
  const all = await cli(["load", "--all", file]);
  assert.equal(all.stdout, want.all, `load --all ${file}`);
  const json = await cli(["export", "--to", "json", file]);
  assert.equal(json.stdout, want.load, `export --to json ${file}`);
  const md = await cli(["export", "--to", "md", file]);
  assert.equal(md.stdout, want.md, `export --to md ${file}`);
}

/** convert and fork of `file`: the copies hold its records and its effective history. */
async function assertCopies(file: string, dir: string): Promise<void> {
  const source = loadRollout(file, { records: true });
  for (const to of ["jsonl", "json"]) {
    const out = path.join(dir, `copy.${to}`);
    const result = await cli(["convert", "--to", to, "-o", out, file]);
    assert.equal(result.code, 0, result.stderr);
    const copy = loadRollout(out, { records: true });
    assert.deepEqual(copy.saved.items, source.saved.items, `convert --to ${to}`);
    assert.deepEqual(copy.saved.state, source.saved.state, `convert --to ${to}`);
    if (to === "jsonl") {
      // Every record kept, in order, with its own timestamp (the meta line is the copy's own).
      const strip = (r: { type: string; payload: unknown; timestamp: string | undefined }) => ({
        type: r.type,
        payload: r.payload,
        timestamp: r.timestamp,
      });
      assert.deepEqual(copy.records!.slice(1).map(strip), source.records!.slice(1).map(strip));
    }
    fs.rmSync(out);
  }
  const fork = await cli(["fork", "--at", "5", "--json", "--home", dir, file]);
  assert.equal(fork.code, 0, fork.stderr);
  const forked = loadRollout(JSON.parse(fork.stdout).path);
  assert.deepEqual(forked.saved.items, source.saved.items.slice(0, 5));
}

test("load and export --to json|md write what the whole-session renderers write, every format", async () => {
  await setup();
  const { dir, cleanup } = tempDir();
  try {
    for (const [i, format] of FORMATS.entries()) {
      await assertStreamed(writeSession(dir, { id: idOf(i + 1), format }));
    }
    // A last record whose line end an editor stripped is read whole.
    const stripped = path.join(dir, "stripped.jsonl");
    fs.writeFileSync(stripped, fixtureText("codex_envelope", idOf(9)).replace(/\n$/, ""));
    assert.notEqual(loadRollout(stripped).report.line_end_missing, undefined);
    await assertStreamed(markFixture(stripped));
    // Turns with screenshots, big outputs and compactions that copy the images again.
    const big = markFixture(path.join(dir, "big.jsonl"));
    const made = writeBigRollout(big, 3 * 1024 * 1024, {
      outputBytes: 20_000,
      imageBytes: 40_000,
      compactEvery: 700_000,
    });
    assert.ok(made.compactions >= 3, `${made.compactions} compactions`);
    // A rollback of the last two turns, then more: the history is no prefix of the file.
    fs.appendFileSync(
      big,
      `${
        JSON.stringify({
          timestamp: "2026-11-02T00:00:00.000Z",
          ordinal: made.lines,
          type: "event_msg",
          payload: { type: "thread_rolled_back", num_turns: 2 },
        })
      }\n`,
    );
    await assertStreamed(big);
    await assertCopies(big, dir);
  } finally {
    cleanup();
  }
});

test(
  "load and export --to json|md of the real Codex samples match the whole-session renderers",
  { skip: skipReason("stream_output_test.ts", !fs.existsSync(SAMPLES) && `${SAMPLES} is absent`) },
  async () => {
    await setup();
    const files = fs.readdirSync(SAMPLES).filter((n) =>
      n.endsWith(".jsonl") || n.endsWith(".json")
    );
    assert.ok(files.length > 0);
    for (const name of files) {
      const file = path.join(SAMPLES, name);
      try {
        loadRollout(file);
      } catch {
        continue; // Not a rollout (the samples hold a few other files); `load` says so itself.
      }
      await assertStreamed(file);
    }
  },
);

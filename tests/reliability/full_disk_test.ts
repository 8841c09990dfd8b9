import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { loadRollout } from "../../lib/formats/load_rollout.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { readDiskState } from "./disk_state.ts";
import { generateItem } from "./item_generator.ts";
import { processTierSkip } from "./process_tier_gate.ts";
import { ProtoProcess, SUBJECTS } from "./proto_process.ts";
import { validate } from "./run_command.ts";
import { SeededRandom } from "./seeded_random.ts";
import { STRACE } from "./strace_faults.ts";
import { mountTinyTmpfs, type TinyTmpfs, writeCalls } from "./tiny_tmpfs.ts";
import { setup } from "../helpers.ts";
import { runProto } from "../../lib/proto/run_proto.ts";
import { fakeIo } from "../proto/fake_io.ts";

function tmpfsOrSkip(): TinyTmpfs | string {
  const mounted = mountTinyTmpfs(64);
  if ("refused" in mounted) {
    console.log(`full_disk_test.ts: skipped: ${mounted.refused}`);
    return mounted.refused;
  }
  return mounted;
}

const gate = processTierSkip("full_disk_test.ts");
const probe = gate === false ? tmpfsOrSkip() : gate;
if (typeof probe !== "string") probe.release();
const skip = typeof probe === "string" ? probe : false;
const FILLER = 16 * 1024;

for (const subject of SUBJECTS) {
  test(
    `rollout proto (${subject.name}) on a full 64 KiB tmpfs: short write looped, op refused, data intact, recovers`,
    {
      skip,
    },
    async () => {
      await setup();
      const mounted = mountTinyTmpfs(64);
      if ("refused" in mounted) throw new Error(mounted.refused);
      // The strace log lives beside the mount, not on the full disk.
      const log = `${mounted.dir}.strace`;
      try {
        const home = path.join(mounted.dir, "home");
        const filler = path.join(mounted.dir, "filler");
        fs.writeFileSync(filler, new Uint8Array(FILLER));
        const created = await RolloutRecorder.create({ home });
        const file = created.path!;
        await created.close();
        const wrapper = [
          STRACE,
          "-f",
          "-qq",
          "-s",
          "0",
          "-o",
          log,
          "-P",
          file,
          "-e",
          "trace=write",
          "--",
        ];
        const proc = ProtoProcess.start(subject, { args: ["--home", home], wrapper });
        await proc.send({ id: "c", op: { type: "configure_session", resume_path: file } });
        assert.equal((await proc.eventFor("c"))?.msg.type, "session_loaded");

        const rng = new SeededRandom(64);
        const acked: string[] = [];
        let refused: { code: string; message: string } | null = null;
        for (let n = 0; refused === null && n < 200; n++) {
          const item = generateItem(rng, `d${n}:`, rng.int(300, 1500));
          await proc.send({ id: `k${n}`, op: { type: "record_items", items: [item.item] } });
          const event = await proc.eventFor(`k${n}`);
          if (event?.msg.type === "items_recorded") acked.push(item.json);
          else if (event?.msg.type === "error") refused = event.msg;
          else assert.fail(`k${n}: ${JSON.stringify(event)}`);
        }
        assert.equal(refused?.code, "io_error");
        assert.match(refused!.message, /no space left on device|ENOSPC/i);
        assert.ok(acked.length >= 10, `only ${acked.length} items fitted before the disk was full`);
        // Still full: the next op is refused too, and the file still holds exactly what was acked.
        const more = generateItem(rng, "more:", 1200);
        await proc.send({ id: "m1", op: { type: "record_items", items: [more.item] } });
        assert.equal((await proc.eventFor("m1"))?.msg.type, "error");
        assert.deepEqual(readDiskState(file).items, acked);

        fs.rmSync(filler);
        const after = generateItem(rng, "after:", 1200);
        await proc.send({ id: "m2", op: { type: "record_items", items: [after.item] } });
        assert.equal((await proc.eventFor("m2"))?.msg.type, "items_recorded");
        acked.push(after.json);
        await proc.send({ id: "s", op: { type: "shutdown" } });
        proc.end();
        assert.deepEqual(await proc.exited, { code: 0, signal: null });

        const calls = writeCalls(fs.readFileSync(log, "utf8"));
        const short = calls.findIndex((c) => typeof c.result === "number" && c.result < c.asked);
        assert.ok(short >= 0, `no short write among ${JSON.stringify(calls.slice(-4))}`);
        assert.equal(
          calls[short + 1]?.result,
          "ENOSPC",
          "the rest of a short write was not retried",
        );
        const disk = readDiskState(file);
        assert.deepEqual({ items: disk.items, torn: disk.tornBytes }, { items: acked, torn: 0 });
        assert.equal(loadRollout(file).report.torn_tail, null);
        const verdict = await validate([file]);
        assert.deepEqual([verdict.code, verdict.entries[0]?.ok], [0, true]);
        console.log(
          `full_disk_test ${subject.name}: ${acked.length - 1} items fitted, short write of ` +
            `${calls[short]!.result} of ${calls[short]!.asked} bytes then ENOSPC, refused with ` +
            `io_error, recovered after freeing ${FILLER} bytes`,
        );
      } finally {
        mounted.release();
        fs.rmSync(log, { force: true });
      }
    },
  );
}

test(
  "runProto() without its parse thread, on a full tmpfs: every op the disk refused is answered with io_error, none acknowledged",
  { skip },
  async () => {
    await setup();
    const mounted = mountTinyTmpfs(64);
    if ("refused" in mounted) throw new Error(mounted.refused);
    try {
      const home = path.join(mounted.dir, "home");
      fs.writeFileSync(path.join(mounted.dir, "filler"), new Uint8Array(FILLER));
      const created = await RolloutRecorder.create({ home });
      const file = created.path!;
      await created.close();
      const rng = new SeededRandom(65);
      const items = Array.from(
        { length: 80 },
        (_, n) => generateItem(rng, `i${n}:`, rng.int(300, 1500)),
      );
      const lines = [
        `${JSON.stringify({ id: "c", op: { type: "configure_session", resume_path: file } })}\n`,
        ...items.map((item, n) =>
          `${JSON.stringify({ id: `k${n}`, op: { type: "record_items", items: [item.item] } })}\n`
        ),
      ];
      const io = fakeIo(lines);
      const status = await runProto(
        { home, format: "jsonl", sync: true, maxLineBytes: 64 * 1024 * 1024, parseThread: false },
        io,
      );
      const answers = new Map(io.events().map((e) => [e.id, e.msg]));
      const acked = items.filter((_, n) => answers.get(`k${n}`)?.type === "items_recorded");
      const refused = items.filter((_, n) => answers.get(`k${n}`)?.type === "error");
      assert.equal(acked.length + refused.length, items.length, "every op answered");
      assert.ok(
        acked.length >= 10 && refused.length >= 1,
        `${acked.length} acked, ${refused.length} refused`,
      );
      for (const [id, msg] of answers) {
        if (msg.type === "error") {
          assert.equal(msg.code, "io_error", `${id}: ${JSON.stringify(msg)}`);
        }
      }
      // What was acknowledged is on disk, in order, and nothing else.
      assert.deepEqual(readDiskState(file).items, acked.map((item) => item.json));
      assert.equal(status, 0);
    } finally {
      mounted.release();
    }
  },
);

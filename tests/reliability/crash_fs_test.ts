import assert from "node:assert/strict";
import { test } from "node:test";
import { CrashError, CrashFS } from "./crash_fs.ts";
import { runCrashFsCampaign } from "./crashfs_campaign.ts";
import { runArchiveCampaign } from "./archive_campaign.ts";
import { setup } from "../helpers.ts";

const text = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);

/** Each image's view of `file`: its text, or null when it is absent. */
function views(fs: CrashFS, file: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const image of fs.images({ seed: 1, reorders: 4 })) {
    const data = image.fs.peek(file);
    out.set(image.label, data === null ? null : text.decode(data));
  }
  return out;
}

test("CrashFS.images() keeps synced data and tears, zero-fills or garbles the unsynced write", () => {
  const fs = new CrashFS();
  fs.seed("/d/f", bytes(""));
  const fd = fs.open("/d/f", "append");
  fs.write(fd, bytes("a\n"));
  fs.fdatasync(fd);
  fs.write(fd, bytes("bc\n"));
  const seen = views(fs, "/d/f");
  assert.equal(seen.get("prefix 0/1"), "a\n");
  assert.equal(seen.get("prefix 0 + write torn at 1/3"), "a\nb");
  assert.equal(seen.get("prefix 0 + write torn at 2/3"), "a\nbc");
  assert.equal(seen.get("prefix 0 + write grown with zeros"), "a\n\0\0\0");
  assert.equal(seen.get("prefix 1/1"), "a\nbc\n");
  const random = seen.get("prefix 0 + write grown with random")!;
  assert.equal(random.length >= 3 && random.startsWith("a\n"), true);
  assert.equal(random.slice(2).includes("\n"), false);
  assert.deepEqual([...seen.keys()], [
    "prefix 0/1",
    "prefix 0 + write torn at 1/3",
    "prefix 0 + write torn at 2/3",
    "prefix 0 + write grown with zeros",
    "prefix 0 + write grown with random",
    "prefix 1/1",
  ]);
});

test("CrashFS.images() drops a create that its folder sync did not cover", () => {
  const fs = new CrashFS();
  fs.mkdir("/d");
  const dir = fs.open("/", "directory");
  fs.fsync(dir);
  const fd = fs.open("/d/f", "create_exclusive");
  fs.write(fd, bytes("x\n"));
  fs.fsync(fd);
  const before = new Set(views(fs, "/d/f").values());
  assert.deepEqual(before, new Set([null, "x\n"]));
  const d = fs.open("/d", "directory");
  fs.fsync(d);
  assert.deepEqual([...views(fs, "/d/f").values()], ["x\n"]);
});

test("CrashFS.images() shows a rename made durable before the file's data", () => {
  const fs = new CrashFS();
  fs.seed("/d/f", bytes("old\n"));
  const fd = fs.open("/d/f.tmp-1", "create_exclusive");
  fs.write(fd, bytes("new\n"));
  fs.close(fd);
  fs.rename("/d/f.tmp-1", "/d/f");
  const seen = views(fs, "/d/f");
  assert.equal(seen.get("prefix 0/3"), "old\n");
  assert.equal(seen.get("folder changes kept, file data dropped"), "");
  assert.equal(seen.get("prefix 3/3"), "new\n");
  const d = fs.open("/d", "directory");
  fs.fsync(d);
  const after = [...views(fs, "/d/f").values()];
  assert.equal(after.includes("old\n") || after.includes(null), false);
  assert.equal(after.includes(""), true);
  assert.equal(after.includes("new\n"), true);
});

test("CrashFS loses power at its crashAt operation and fails every later one", () => {
  const fs = new CrashFS({ crashAt: 2 });
  fs.mkdir("/d");
  const fd = fs.open("/d/f", "append_new");
  assert.throws(() => fs.write(fd, bytes("x")), CrashError);
  assert.throws(() => fs.close(fd), (error: CrashError) => error.code === "ECRASH");
  assert.equal(fs.crashed, true);
  assert.equal(fs.operations, 4);
  assert.deepEqual(fs.peek("/d/f"), new Uint8Array());
});

test("CrashFS keeps POSIX errors: EEXIST, ENOENT, EBADF", () => {
  const fs = new CrashFS();
  fs.seed("/d/f", bytes("x"));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return (error as { code: string }).code;
    }
    return "none";
  };
  assert.equal(code(() => fs.open("/d/f", "create_exclusive")), "EEXIST");
  assert.equal(code(() => fs.open("/d/g", "read")), "ENOENT");
  assert.equal(code(() => fs.open("/e/g", "append")), "ENOENT");
  assert.equal(code(() => fs.open("/d/g", "append")), "ENOENT");
  assert.equal(code(() => fs.write(fs.open("/d/f", "read"), bytes("y"))), "EBADF");
  assert.equal(code(() => fs.unlink("/d/g")), "ENOENT");
});

test("runCrashFsCampaign() finds no violation for the real writer (CI profile)", async () => {
  const figures = await runCrashFsCampaign({ scale: 2, seed: 20261126 });
  assert.deepEqual(figures.violations, []);
  assert.ok(figures.images >= 2000, `only ${figures.images} images`);
  assert.ok(figures.recoveryImages >= 100, `only ${figures.recoveryImages} recovery images`);
  console.log(
    `crashfs: ${figures.workloads} workloads, ${figures.crashPoints} crash points, ${figures.images} images (${figures.recoveryImages} during recovery), ${figures.ackedItemsVerified} acknowledged items verified, 0 violations`,
  );
});

test("runArchiveCampaign() finds no violation in archive, restore, a write to an archived session and prune (CI profile)", async () => {
  await setup();
  const figures = await runArchiveCampaign({ scale: 1, seed: 20261205 });
  assert.deepEqual(figures.violations, []);
  assert.equal(figures.workloads, 6);
  assert.ok(figures.images >= 500, `only ${figures.images} images`);
  assert.ok(figures.midway >= 200, `only ${figures.midway} images caught the work mid-way`);
  assert.ok(figures.recoveries >= 300, `only ${figures.recoveries} reruns checked`);
  console.log(
    `archive crashfs: ${figures.workloads} workloads, ${figures.crashPoints} crash points, ${figures.images} images (${figures.midway} mid-way), ${figures.recoveries} reruns, 0 violations`,
  );
});

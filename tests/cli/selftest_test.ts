import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { ROOT, skipReason, tempDir } from "../helpers.ts";
import { SUBJECTS } from "../reliability/proto_process.ts";
import { mountTinyTmpfs } from "../reliability/tiny_tmpfs.ts";

const CHECKS = [
  "new files are 0600 in 0700 folders",
  "fdatasync and fsync of a file, fsync of a folder",
  "rename replaces a file atomically",
  "an acknowledged append survives SIGKILL of its writer",
  "the writer lock refuses a second process",
  "the kernel releases the lock of a killed writer",
  "the clock is sane (UTC timestamps, ordered)",
];

function selftest(subject: (typeof SUBJECTS)[number], args: string[]) {
  const result = spawnSync(subject.command, [...subject.prefix, "selftest", ...args], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

for (const subject of SUBJECTS) {
  test(`rollout selftest (${subject.name}) passes every check on a real disk and leaves nothing`, () => {
    const { dir, cleanup } = tempDir();
    try {
      const home = path.join(dir, "home");
      const result = selftest(subject, ["--home", home, "--json"]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.root, dir, "a missing home is tested on its nearest existing parent");
      assert.equal(report.ok, true);
      assert.deepEqual(report.checks.map((c: { name: string }) => c.name), CHECKS);
      for (const check of report.checks) {
        assert.equal(check.ok, true, `${check.name}: ${check.detail}`);
        assert.equal(typeof check.ms, "number");
      }
      assert.match(report.checks[1].detail, /^fdatasync median \d+\.\d\d ms/);
      assert.deepEqual(fs.readdirSync(dir), [], "the selftest left something behind");
    } finally {
      cleanup();
    }
  });
}

const root = process.getuid?.() === 0;

test("rollout selftest on a tmpfs names the file system and passes", {
  skip: skipReason("selftest_test.ts", root ? false : "mounting a tmpfs needs root"),
}, () => {
  const mounted = mountTinyTmpfs(4096);
  if ("refused" in mounted) throw new Error(mounted.refused);
  try {
    const result = selftest(SUBJECTS[0]!, ["--home", mounted.dir]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines[0], `rollout selftest in ${mounted.dir} (tmpfs)`);
    assert.deepEqual(lines.slice(1, -1).map((l) => l.slice(0, 6)), CHECKS.map(() => "pass  "));
    assert.equal(lines.at(-1), "7 checks: 7 passed, 0 failed");
    assert.deepEqual(fs.readdirSync(mounted.dir), []);
  } finally {
    mounted.release();
  }
});

test("rollout selftest where no folder can be created fails clearly with exit 1", {
  skip: skipReason("selftest_test.ts", root ? false : "mounting a read-only tmpfs needs root"),
}, () => {
  const { dir, cleanup } = tempDir();
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", dir]);
  assert.equal(mount.status, 0, String(mount.stderr));
  try {
    const text = selftest(SUBJECTS[0]!, ["--home", path.join(dir, "home")]);
    assert.equal(text.code, 1);
    assert.equal(text.stdout, "");
    assert.match(
      text.stderr,
      new RegExp(
        `^rollout: Cannot test "${dir}": no folder can be created there \\(EROFS: read-only file system, mkdtemp .*\\)\\n$`,
      ),
    );
    const json = selftest(SUBJECTS[0]!, ["--home", dir, "--json"]);
    assert.equal(json.code, 1);
    assert.deepEqual(
      [JSON.parse(json.stdout).ok, JSON.parse(json.stdout).checks],
      [false, []],
    );
  } finally {
    spawnSync("umount", [dir]);
    cleanup();
  }
});

test("examples/ci/smoke.sh, the script both CI recipes run, passes and writes its reports", () => {
  const { dir, cleanup } = tempDir();
  try {
    const result = spawnSync("bash", [path.join(ROOT, "examples", "ci", "smoke.sh")], {
      cwd: dir,
      encoding: "utf8",
      env: {
        ...process.env,
        ROLLOUT: path.join(ROOT, "dist", "rollout"),
        ROLLOUT_ANNOTATIONS: "github",
      },
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /7 checks: 7 passed, 0 failed/);
    assert.match(result.stdout, /8 events, every op acknowledged/);
    assert.match(result.stdout, /^1 file: 1 valid, 0 invalid$/m);
    const junit = fs.readFileSync(path.join(dir, "rollout-reports", "rollout-junit.xml"), "utf8");
    assert.match(junit, /<testsuite name="rollout validate" tests="1" failures="0"/);
    const events = fs.readFileSync(path.join(dir, "rollout-reports", "events.jsonl"), "utf8")
      .trim().split("\n").map((l) => JSON.parse(l).msg.type);
    assert.equal(events.length, 8);
    assert.ok(!events.includes("error"));
    // The recipes run this very script.
    for (const recipe of ["github-actions.yml", "gitlab-ci.yml"]) {
      const text = fs.readFileSync(path.join(ROOT, "examples", "ci", recipe), "utf8");
      assert.match(text, /bash examples\/ci\/smoke\.sh/, recipe);
      assert.match(text, /ROLLOUT: dist\/rollout|ROLLOUT=dist\/rollout/, recipe);
    }
  } finally {
    cleanup();
  }
});

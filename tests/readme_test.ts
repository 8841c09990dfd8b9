import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT } from "./helpers.ts";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

test("README stands alone: no document outside the repository, every path it names exists", () => {
  for (const outside of ["shared/", "SPEC §", "BENCH.md", "RELIABILITY.md"]) {
    assert.ok(!README.includes(outside), `README refers to ${outside}, which users do not have`);
  }
  const named = new Set(
    [...README.matchAll(
      /`((?:lib|tests|scripts|examples|docs)\/[\w./-]+\.(?:ts|sh|yml|json|md))`/g,
    )]
      .map((m) => m[1]!),
  );
  assert.ok(named.size > 10, `only ${named.size} paths found: the pattern is broken`);
  for (const file of named) assert.ok(fs.existsSync(path.join(ROOT, file)), `README names ${file}`);
});

test("README says how to put rollout on PATH, with a script that exists", () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
  assert.match(scripts["install-bin"], /install -m 0755 dist\/rollout/);
  assert.ok(README.includes("npm run install-bin"));
});

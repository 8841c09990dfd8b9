/**
 * What a command loads before it can run is time at every start: `search --from` is asked
 * per process, so its code must not bring the parts of `rollout` that read rollouts (the
 * schemas and zod, the formats, the store, the session index, the transcript). They are
 * loaded with `import()` where a command needs them (the home's index, `sync`'s push).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT } from "../helpers.ts";

/** The modules a file loads when it is loaded: static imports and re-exports, not types. */
function staticImportsOf(source: string): string[] {
  const out: string[] = [];
  const pattern =
    /^\s*(import|export)\b([^;]*?)\sfrom\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) {
    if (match[4] !== undefined) {
      out.push(match[4]);
      continue;
    }
    const clause = match[2]!.trim();
    // `import type`, `export type`: gone once compiled.
    if (/^type\b/.test(clause)) continue;
    out.push(match[3]!);
  }
  return out;
}

/** Every module `entry` (lib/-relative) loads with it, and the packages among them. */
function loadedWith(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith(".ts")) continue; // a package or a built-in module
    const source = fs.readFileSync(path.join(ROOT, "lib", file), "utf8");
    for (const spec of staticImportsOf(source)) {
      todo.push(spec.startsWith(".") ? path.normalize(path.join(path.dirname(file), spec)) : spec);
    }
  }
  return seen;
}

/** What reading rollouts takes, which a search of the fleet store does without. */
const HEAVY = /^(schemas|formats|store|session|transcript|index|proto)\/|^zod$/;

test("search and the fleet store load none of the code that reads rollouts", () => {
  for (const entry of ["cli/commands/search.ts", "fleet/mod.ts"]) {
    const heavy = [...loadedWith(entry)].filter((file) => HEAVY.test(file));
    assert.deepEqual(heavy, [], `${entry} loads ${heavy.join(", ")}`);
  }
});

test("the import walk follows re-exports and skips types", () => {
  assert.deepEqual(
    staticImportsOf(
      [
        'import type { A } from "./a.ts";',
        'import { b, type C } from "./b.ts";',
        'export { d } from "./d.ts";',
        'export type { E } from "./e.ts";',
        'import "./f.ts";',
        'const g = () => import("./g.ts");',
      ].join("\n"),
    ),
    ["./b.ts", "./d.ts", "./f.ts"],
  );
  // The search command reaches the fleet store only through import(), and the redaction rules
  // and the argument parser statically: the walk sees both kinds.
  const loaded = loadedWith("cli/commands/search.ts");
  assert.ok(loaded.has("redaction/rules.ts"));
  assert.ok(loaded.has("cli/commands/args.ts"));
  assert.ok(!loaded.has("fleet/mod.ts"));
});

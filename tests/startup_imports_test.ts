import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT } from "./helpers.ts";

/**
 * Every module `file` loads before it runs: its static imports, followed through relative
 * paths (type-only imports load nothing and are skipped). Bare specifiers are listed as is.
 */
function staticGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  if (!file.startsWith("/")) return seen;
  const source = fs.readFileSync(file, "utf8");
  const pattern = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']/gm;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[1]!;
    const next = specifier.startsWith(".")
      ? path.resolve(path.dirname(file), specifier)
      : specifier;
    staticGraph(next, seen);
  }
  return seen;
}

test("rollout's start-up loads neither zod nor a command: `--version` stays as fast as an empty binary", () => {
  const graph = [...staticGraph(path.join(ROOT, "main.ts"))];
  const relative = graph.map((m) => (m.startsWith("/") ? path.relative(ROOT, m) : m));
  // Not vacuous: the walk follows main.ts into lib/.
  assert.ok(relative.includes("lib/cli/cli.ts"), relative.join(", "));
  assert.ok(relative.includes("lib/runtime/lingering_read.ts"), relative.join(", "));
  // Only the ground floor, the runtime shims and the command table may load at start-up.
  const light = ["lib/base/", "lib/runtime/", "lib/cli/cli.ts", "lib/cli/mod.ts"];
  const table = ["lib/cli/commands/table.ts", "lib/cli/commands/usage_error.ts"];
  const heavy = relative.filter((m) =>
    !m.startsWith("node:") && m !== "main.ts" &&
    !light.some((prefix) => m.startsWith(prefix)) && !table.includes(m)
  );
  assert.deepEqual(heavy, []);
});

test("the reading commands load no crypto, stream, network or database driver code: each costs a start", () => {
  for (const command of ["list", "search", "show", "usage", "du", "validate", "export", "load"]) {
    const graph = [...staticGraph(path.join(ROOT, "lib", "cli", "commands", `${command}.ts`))];
    // Not vacuous: the walk goes past the command into what reads (the formats, the index's
    // SQLite) or, for search, which loads those with import(), into what it shares with the
    // other commands that read the fleet store.
    const deep = graph.some((m) =>
      m === "node:sqlite" || m.includes("/lib/formats/") || m.endsWith("/fleet_context.ts")
    );
    assert.ok(deep, `${command}: ${graph}`);
    const costly = graph.filter((m) =>
      ["node:crypto", "node:stream", "node:net", "node:tls", "node:zlib", "postgres"].includes(m)
    );
    assert.deepEqual(costly, [], command);
  }
});

test("search and the fleet store load none of the code that reads rollouts: --from starts without it", () => {
  // What reading rollouts takes (the schemas and zod, the formats, the store, the sessions, the
  // transcript, the session index): loaded with import() where a command needs it.
  const heavy = /^lib\/(schemas|formats|store|session|transcript|index|proto)\/|^zod$/;
  for (const entry of ["lib/cli/commands/search.ts", "lib/fleet/mod.ts"]) {
    const graph = [...staticGraph(path.join(ROOT, entry))].map((m) =>
      m.startsWith("/") ? path.relative(ROOT, m) : m
    );
    assert.ok(graph.includes("lib/base/errors.ts"), `${entry}: ${graph}`);
    const loaded = graph.filter((m) => heavy.test(m));
    assert.deepEqual(loaded, [], `${entry} loads ${loaded.join(", ")}`);
  }
  // Nor the redaction rules: search loads them once its queries are sent (5 ms of set-up that
  // then goes by while the store answers).
  const search = [...staticGraph(path.join(ROOT, "lib/cli/commands/search.ts"))];
  assert.ok(search.some((m) => m.endsWith("/fleet_context.ts")), search.join(", "));
  assert.deepEqual(search.filter((m) => m.includes("/lib/redaction/")), []);
});

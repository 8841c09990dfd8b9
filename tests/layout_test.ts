import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT } from "./helpers.ts";

/**
 * The folders of lib/, lowest first (README "Architecture"). A folder may import only folders
 * of a lower rank, and only through their `mod.ts`; folders of equal rank are peers and never
 * import each other. A new folder must be placed here before it can hold code.
 */
const RANKS: Record<string, number> = {
  base: 0,
  runtime: 1,
  schemas: 2,
  redaction: 2,
  formats: 3,
  store: 4,
  session: 5,
  transcript: 5,
  proto: 6,
  index: 6,
  fleet: 7,
  cli: 8,
};

/** Every relative module a file refers to: static and dynamic imports, re-exports, worker URLs. */
function referencesOf(source: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\sfrom\s+["'](\.[^"']+)["']/gm,
    /^\s*import\s+["'](\.[^"']+)["']/gm,
    /\bimport\(\s*["'](\.[^"']+)["']\s*\)/g,
    /\bnew URL\(\s*["'](\.[^"']+)["']\s*,\s*import\.meta\.url/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
}

/** `lib/`-relative path -> the `lib/`-relative paths it refers to. */
type Graph = Map<string, string[]>;

function libGraph(): Graph {
  const graph: Graph = new Map();
  const libDir = path.join(ROOT, "lib");
  for (const entry of fs.readdirSync(libDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const file = path.relative(libDir, path.join(entry.parentPath, entry.name));
    const source = fs.readFileSync(path.join(libDir, file), "utf8");
    graph.set(
      file,
      referencesOf(source).map((spec) => path.normalize(path.join(path.dirname(file), spec))),
    );
  }
  return graph;
}

/** The folder a `lib/`-relative path belongs to; "" for lib/mod.ts, the library entry. */
function folderOf(file: string): string {
  return file.includes("/") ? file.split("/")[0]! : "";
}

/** Every broken layering rule, one sentence each. */
function layeringViolations(graph: Graph): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (from !== "" && RANKS[from] === undefined) {
      problems.push(`${file}: folder "${from}" has no rank in this test`);
      continue;
    }
    for (const target of targets) {
      const to = folderOf(target);
      if (target.startsWith("..")) problems.push(`${file} imports "${target}" outside lib/`);
      if (to === from || target.startsWith("..")) continue;
      if (to === "") {
        problems.push(`${file} imports the library entry "${target}"`);
        continue;
      }
      if (target !== `${to}/mod.ts`) {
        problems.push(`${file} imports "${target}", an internal of ${to}/ (use ${to}/mod.ts)`);
      }
      if (from !== "" && !(RANKS[to]! < RANKS[from]!)) {
        problems.push(`${file} (${from}/) imports ${to}/, which is not below it`);
      }
    }
  }
  return problems;
}

/** One file-level import cycle, as a path, or null. */
function findCycle(graph: Graph): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === "done") return null;
    if (state.get(file) === "open") return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    stack.pop();
    state.set(file, "done");
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle !== null) return cycle;
  }
  return null;
}

test("lib/: every folder has a rank and a mod.ts", () => {
  const folders = fs.readdirSync(path.join(ROOT, "lib"), { withFileTypes: true })
    .filter((e) => e.isDirectory()).map((e) => e.name).sort();
  assert.deepEqual(folders, Object.keys(RANKS).sort());
  for (const folder of folders) {
    assert.ok(fs.existsSync(path.join(ROOT, "lib", folder, "mod.ts")), `${folder}/mod.ts`);
  }
});

test("lib/: folders import only lower folders, through their mod.ts", () => {
  const graph = libGraph();
  // Not vacuous: the walk sees the folders and their cross-folder imports.
  assert.ok(graph.get("cli/commands/proto.ts")?.includes("proto/mod.ts"));
  assert.deepEqual(layeringViolations(graph), []);
});

test("lib/: no import cycle between files (type-only imports included)", () => {
  assert.equal(findCycle(libGraph())?.join(" -> ") ?? null, null);
});

test("layeringViolations() names upward imports, internals, peers and unranked folders", () => {
  const graph: Graph = new Map([
    ["store/recorder.ts", ["store/sink.ts", "formats/mod.ts", "proto/mod.ts"]],
    ["formats/encode.ts", ["schemas/items.ts"]],
    ["session/list.ts", ["transcript/mod.ts"]],
    ["extra/x.ts", ["base/mod.ts"]],
    ["mod.ts", ["store/mod.ts", "store/recorder.ts"]],
  ]);
  assert.deepEqual(layeringViolations(graph), [
    "store/recorder.ts (store/) imports proto/, which is not below it",
    'formats/encode.ts imports "schemas/items.ts", an internal of schemas/ (use schemas/mod.ts)',
    "session/list.ts (session/) imports transcript/, which is not below it",
    'extra/x.ts: folder "extra" has no rank in this test',
    'mod.ts imports "store/recorder.ts", an internal of store/ (use store/mod.ts)',
  ]);
});

test("findCycle() finds a cycle through a type-only import", () => {
  const source = 'import type { A } from "./b.ts";\nexport const x = import("./c.ts");\n';
  assert.deepEqual(referencesOf(source), ["./b.ts", "./c.ts"]);
  const graph: Graph = new Map([
    ["formats/a.ts", ["formats/b.ts"]],
    ["formats/b.ts", ["formats/c.ts"]],
    ["formats/c.ts", ["formats/a.ts"]],
  ]);
  assert.deepEqual(findCycle(graph), [
    "formats/a.ts",
    "formats/b.ts",
    "formats/c.ts",
    "formats/a.ts",
  ]);
  graph.set("formats/c.ts", []);
  assert.equal(findCycle(graph), null);
});

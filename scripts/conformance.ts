/**
 * Runs rollout over a folder of real rollouts and prints one table row per file: its format,
 * its records by type, its items (all, and the effective history), and every problem met by
 * `validate`, `show`, `load` and a `convert --to jsonl` round trip (the copy must load to the
 * same history, keep every record, and pass Codex's own rules). Uses the compiled binary when
 * it exists (`npm run build`), else the source under this runtime.
 *
 *   deno run -A scripts/conformance.ts ../shared/samples/codex [--json]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { codexConformance } from "../tests/formats/codex_model.ts";

const ROOT = path.resolve(import.meta.dirname ?? ".", "..");
const BINARY = path.join(ROOT, "dist", "rollout");

interface Row {
  file: string;
  format: string;
  records: string;
  items: number | null;
  effective: number | null;
  problems: string[];
}

function rollout(args: string[]): { code: number; stdout: string; stderr: string } {
  const [command, prefix] = fs.existsSync(BINARY) ? [BINARY, []] : [
    process.execPath,
    "Deno" in globalThis ? ["run", "-A", path.join(ROOT, "main.ts")] : [path.join(ROOT, "main.ts")],
  ];
  const result = spawnSync(command, [...prefix, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
  return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

function rolloutFiles(dir: string): string[] {
  return fs.readdirSync(dir)
    .filter((name) => /\.(jsonl|json|jsonl\.zst)$/.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

function checkFile(file: string, scratch: string): Row {
  const row: Row = {
    file: path.basename(file),
    format: "-",
    records: "-",
    items: null,
    effective: null,
    problems: [],
  };
  const validate = rollout(["validate", "--json", file]);
  let verdict: {
    ok: boolean;
    format: string | null;
    errors: { message: string }[];
    warnings: string[];
  };
  try {
    verdict = JSON.parse(validate.stdout)[0];
  } catch {
    row.problems.push(`validate printed no JSON: ${firstLine(validate.stderr)}`);
    return row;
  }
  row.format = verdict.format ?? "not a rollout";
  for (const error of verdict.errors) row.problems.push(`validate: ${error.message}`);
  for (const warning of verdict.warnings) row.problems.push(`validate warning: ${warning}`);
  if (verdict.format === null) return row;
  const all = rollout(["load", "--all", file]);
  const loaded = rollout(["load", file]);
  if (all.code !== 0 || loaded.code !== 0) {
    row.problems.push(`load: ${firstLine(loaded.stderr || all.stderr)}`);
    return row;
  }
  const everything = JSON.parse(all.stdout) as {
    items: unknown[];
    records?: Record<string, number>;
  };
  const effective = JSON.parse(loaded.stdout) as { items: unknown[] };
  row.items = everything.items.length;
  row.effective = effective.items.length;
  row.records = Object.entries(everything.records ?? {}).map(([t, n]) => `${t} ${n}`).join(", ");
  const shown = rollout(["show", file]);
  if (shown.code !== 0) row.problems.push(`show: ${firstLine(shown.stderr)}`);
  const copy = path.join(scratch, `${row.file}.converted.jsonl`);
  const converted = rollout(["convert", file, "--to", "jsonl", "-o", copy]);
  if (converted.code !== 0) {
    row.problems.push(`convert: ${firstLine(converted.stderr)}`);
    return row;
  }
  const back = rollout(["load", copy]);
  const again = JSON.parse(back.stdout) as { items: unknown[] };
  if (JSON.stringify(again.items) !== JSON.stringify(effective.items)) {
    row.problems.push("convert: the copy loads to another history");
  }
  const copied = JSON.parse(rollout(["load", "--all", copy]).stdout) as {
    records?: Record<string, number>;
  };
  for (const [type, count] of Object.entries(everything.records ?? {})) {
    if (type === "meta" || type === "session_meta") continue;
    const kept = copied.records?.[type] ?? 0;
    if (kept < count) row.problems.push(`convert: ${count - kept} ${type} record(s) lost`);
  }
  for (const problem of codexConformance(copy)) row.problems.push(`copy for Codex: ${problem}`);
  return row;
}

function table(rows: readonly Row[]): string {
  const head = ["file", "format", "records by type", "items", "effective", "problems"];
  const body = rows.map((r) => [
    r.file,
    r.format,
    r.records,
    r.items === null ? "-" : String(r.items),
    r.effective === null ? "-" : String(r.effective),
    r.problems.length === 0 ? "none" : r.problems.join("; "),
  ]);
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...body.map((cells) => `| ${cells.map(escape).join(" | ")} |`),
  ].join("\n");
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith("--"));
  if (dir === undefined) {
    process.stderr.write("Usage: scripts/conformance.ts DIR [--json]\n");
    process.exit(2);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-conformance-"));
  try {
    const rows = rolloutFiles(dir).map((file) => checkFile(file, scratch));
    process.stdout.write(
      args.includes("--json") ? `${JSON.stringify(rows, null, 2)}\n` : `${table(rows)}\n`,
    );
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

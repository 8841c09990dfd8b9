/**
 * Runs the survivors of a Stryker report again against today's tests, without a new Stryker
 * run: each surviving mutant's replacement is put alone where Stryker put it, the tests given
 * are run under Bun (stopping at the first failure), and the next mutant replaces it. Prints
 * how many are now killed and the rest.
 *
 *   bun scripts/mutate_survivors.ts reports/mutation/NAME.json lib/store/x.ts tests/store/x_test.ts ...
 *
 * It works on a copy of the repository in a temporary folder (its files as `git ls-files` lists
 * them, tracked or new, with `node_modules` and `dist` linked): the checkout is never edited,
 * and a mutant that makes a test delete its working folder deletes only the copy. Where the
 * file changed since the report, each mutant is put where its lines are now (the same lines of
 * text, the nearest match to where they were); a mutant whose lines are gone is skipped and
 * counted apart.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

interface Place {
  line: number;
  column: number;
}

interface Mutant {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: Place; end: Place };
}

const [report, file, ...tests] = process.argv.slice(2);
if (report === undefined || file === undefined || tests.length === 0) {
  process.stderr.write("usage: mutate_survivors.ts REPORT.json FILE TEST...\n");
  process.exit(2);
}
const root = path.join(path.dirname(new URL(import.meta.url).pathname), "..");
const bun = path.join(root, "node_modules", ".bin", "bun");
const files = (JSON.parse(fs.readFileSync(report, "utf8")) as {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}).files;
const entry = files[file];
if (entry === undefined) {
  process.stderr.write(`mutate_survivors: ${report} has no ${file}\n`);
  process.exit(2);
}
const source = fs.readFileSync(file, "utf8");
const lineStarts = [0];
for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
const lines = source.split("\n");
const reportLines = entry.source.split("\n");

/** Where a mutant's text is in today's file: its lines, found nearest to where they were. */
function placeOf(mutant: Mutant): { from: number; to: number } | null {
  const { start, end } = mutant.location;
  const span = reportLines.slice(start.line - 1, end.line);
  let found = -1;
  for (let at = 0; at + span.length <= lines.length; at++) {
    if (!span.every((line, k) => lines[at + k] === line)) continue;
    if (found < 0 || Math.abs(at - (start.line - 1)) < Math.abs(found - (start.line - 1))) {
      found = at;
    }
  }
  if (found < 0) return null;
  return {
    from: lineStarts[found]! + start.column - 1,
    to: lineStarts[found + end.line - start.line]! + end.column - 1,
  };
}

/** A copy of the repository's files to mutate and test in; removed when the run ends. */
function makeSandbox(): string {
  const listed = spawnSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (listed.status !== 0) {
    process.stderr.write(`mutate_survivors: git ls-files failed: ${listed.stderr}\n`);
    process.exit(2);
  }
  const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-mutate-"));
  for (const name of listed.stdout.split("\0")) {
    if (name === "" || !fs.existsSync(path.join(root, name))) continue;
    fs.mkdirSync(path.dirname(path.join(sandbox, name)), { recursive: true });
    fs.copyFileSync(path.join(root, name), path.join(sandbox, name));
  }
  for (const linked of ["node_modules", "dist"]) {
    if (fs.existsSync(path.join(root, linked))) {
      fs.symlinkSync(path.join(root, linked), path.join(sandbox, linked));
    }
  }
  return sandbox;
}

const survivors = entry.mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage");
const left: string[] = [];
let killed = 0;
let gone = 0;
const sandbox = makeSandbox();
const target = path.join(sandbox, path.relative(root, path.resolve(file)));
const removeSandbox = () => fs.rmSync(sandbox, { recursive: true, force: true });
process.on("SIGINT", () => {
  removeSandbox();
  process.exit(130);
});
try {
  for (const mutant of survivors) {
    const place = placeOf(mutant);
    if (place === null) {
      gone++;
      continue;
    }
    const { from, to } = place;
    fs.writeFileSync(target, source.slice(0, from) + (mutant.replacement ?? "") + source.slice(to));
    const run = spawnSync(bun, ["test", "--bail", "--timeout", "60000", ...tests], {
      cwd: sandbox,
      stdio: "ignore",
      timeout: 300_000,
    });
    if (run.status !== 0) killed++;
    else {
      const shown = source.slice(from, to).replace(/\s+/g, " ").slice(0, 60);
      left.push(
        `  line ${mutant.location.start.line}, ${mutant.mutatorName}: ${JSON.stringify(shown)} -> ${
          JSON.stringify((mutant.replacement ?? "").slice(0, 50))
        }`,
      );
    }
  }
} finally {
  removeSandbox();
}
process.stdout.write(
  `${file}: of ${survivors.length} survivors, ${killed} now killed, ${left.length} survive${
    gone > 0 ? `, ${gone} skipped (their lines changed since the report)` : ""
  }\n${left.join("\n")}\n`,
);

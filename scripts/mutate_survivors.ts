/**
 * Runs the survivors of a Stryker report again against today's tests, without a new Stryker
 * run: each surviving mutant's replacement is put alone where Stryker put it, the tests given
 * are run under Bun, and the file is restored. Prints how many are now killed and the rest.
 *
 *   bun scripts/mutate_survivors.ts reports/mutation/NAME.json lib/store/x.ts tests/store/x_test.ts ...
 *
 * It edits the file in place while it runs: run nothing else on the repository meanwhile. A
 * report older than the file (its source differs) is refused, as its places no longer hold.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
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
if (source !== entry.source) {
  process.stderr.write(`mutate_survivors: ${file} changed since ${report}; run Stryker again\n`);
  process.exit(2);
}
const lineStarts = [0];
for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
const offsetOf = (place: Place) => lineStarts[place.line - 1]! + place.column - 1;

const survivors = entry.mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage");
const left: string[] = [];
let killed = 0;
const restore = () => fs.writeFileSync(file, source);
process.on("SIGINT", () => {
  restore();
  process.exit(130);
});
try {
  for (const mutant of survivors) {
    const [from, to] = [offsetOf(mutant.location.start), offsetOf(mutant.location.end)];
    fs.writeFileSync(file, source.slice(0, from) + (mutant.replacement ?? "") + source.slice(to));
    const run = spawnSync(bun, ["test", "--timeout", "60000", ...tests], {
      cwd: root,
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
  restore();
}
process.stdout.write(
  `${file}: of ${survivors.length} survivors, ${killed} now killed, ${left.length} survive\n${
    left.join("\n")
  }\n`,
);

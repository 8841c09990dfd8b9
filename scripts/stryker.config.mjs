/**
 * StrykerJS over one folder of lib/ at a time (`npm run mutate -- store`): every mutant of the
 * folder's code is run against that folder's tests under Bun (Stryker's command runner), and the
 * score and each surviving mutant are printed. A script, not part of CI.
 */
const folder = process.env.MUTATE_FOLDER ?? "store";
/** The tests that guard each folder (the store's crash tiers live in tests/reliability/). */
const TESTS = {
  store: "tests/store tests/reliability/crash_fs_test.ts tests/reliability/mutants_test.ts",
  formats: "tests/formats",
  proto: "tests/proto",
};

/**
 * `MUTATE_TESTS` runs other tests instead (a few files that guard the files mutated: faster
 * per mutant, and a mutant only the rest of the suite would kill counts as a survivor);
 * `MUTATE_REPORT` names the JSON report and the sandbox (default: the folder's name), so two
 * runs can go side by side.
 */
const tests = process.env.MUTATE_TESTS || TESTS[folder] || `tests/${folder}`;
const report = process.env.MUTATE_REPORT || folder;

export default {
  testRunner: "command",
  commandRunner: {
    command: `node_modules/.bin/bun test --timeout 600000 ${tests}`,
  },
  mutate: [`lib/${folder}/**/*.ts`],
  coverageAnalysis: "off",
  concurrency: 2,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: `reports/mutation/${report}.json` },
  // A mutant that loops forever is cut after 1.5 × the clean run plus 10 s (a whole folder's
  // tests take seconds); at 120 s two such mutants held both workers for minutes.
  timeoutMS: 10000,
  tempDirName: `.stryker-tmp-${report}`,
  // Another run's sandbox, the binary and benchmark output are no part of the project.
  ignorePatterns: [".stryker-tmp*", "dist", "bench", "reports"],
  cleanTempDir: "always",
};

import { runFaultCase } from "./tests/reliability/strace_faults.ts";
import { SUBJECTS } from "./tests/reliability/proto_process.ts";
import { setup, tempDir } from "./tests/helpers.ts";
await setup();
const subject = SUBJECTS.find((s) => s.name === "binary")!;
let bad = 0;
for (let i = 0; i < Number(process.argv[2] ?? 30); i++) {
  const { dir, cleanup } = tempDir("zz-strace-");
  const o = await runFaultCase(subject, { fault: "ENOSPC", syscall: "write", when: 6 }, {
    dir,
    seed: 614,
  });
  if (o.problems.length) {
    bad++;
    console.log(i, o.problems);
  }
  cleanup();
}
console.log("bad", bad);

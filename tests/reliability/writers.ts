/**
 * The writing entry points the crash campaigns run: the real lib/'s by default, or those of a
 * copy of lib/ with a deliberate bug in it (source_mutants.ts). Test-only.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { archiveRollout, restoreRollout } from "../../lib/store/archive.ts";
import { RolloutRecorder } from "../../lib/store/recorder.ts";
import { pruneSession } from "../../lib/session/prune_session.ts";

/** What a campaign writes with. */
export interface Writers {
  RolloutRecorder: typeof RolloutRecorder;
  archiveRollout: typeof archiveRollout;
  restoreRollout: typeof restoreRollout;
  pruneSession: typeof pruneSession;
}

/** The shipped writers. */
export const REAL_WRITERS: Writers = {
  RolloutRecorder,
  archiveRollout,
  restoreRollout,
  pruneSession,
};

/**
 * The writers of the copy of the repository's lib/ under `root` (`<root>/lib/...`), imported
 * from there; its runtime is loaded first, as the writer lock needs it under Bun.
 */
export async function writersIn(root: string): Promise<Writers> {
  const load = (file: string): Promise<unknown> =>
    import(pathToFileURL(path.join(root, file)).href);
  const runtime = await load(
    "lib/runtime/runtime.ts",
  ) as typeof import("../../lib/runtime/runtime.ts");
  await runtime.initRuntime();
  const store = await load("lib/store/recorder.ts") as typeof import("../../lib/store/recorder.ts");
  const archive = await load("lib/store/archive.ts") as typeof import("../../lib/store/archive.ts");
  const prune = await load(
    "lib/session/prune_session.ts",
  ) as typeof import("../../lib/session/prune_session.ts");
  return {
    RolloutRecorder: store.RolloutRecorder,
    archiveRollout: archive.archiveRollout,
    restoreRollout: archive.restoreRollout,
    pruneSession: prune.pruneSession,
  };
}

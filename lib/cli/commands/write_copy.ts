/**
 * Writes a whole SavedSession to a new file (convert, export -o, fork) through the recorder,
 * so the copy is synced, 0600, locked while written and never replaces an existing file.
 */
import type { Io } from "../../runtime/mod.ts";
import { RolloutRecorder } from "../../store/mod.ts";
import type { SavedSession } from "../../schemas/mod.ts";
import { refuseExisting } from "./context.ts";

/** Writes `saved` to `target` (or a new dated path in `home`); returns the file and its id. */
export async function writeCopy(
  saved: SavedSession,
  options: { home: string; format: "jsonl" | "json"; target?: string; io: Io },
): Promise<{ path: string; id: string }> {
  if (options.target !== undefined) refuseExisting(options.target);
  const recorder = await RolloutRecorder.create({
    home: options.home,
    format: options.format,
    meta: saved.session,
    items: saved.items,
    state: saved.state,
    pid: options.io.pid,
    ...(options.target === undefined ? {} : { path: options.target }),
  });
  await recorder.close();
  return { path: recorder.path!, id: recorder.id };
}

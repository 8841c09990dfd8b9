/** Tool outputs as timeline entries, and what `show` prints for one: for the fold's tests. */
import type { TimelineEntry } from "../../lib/formats/mod.ts";
import { TranscriptWriter } from "../../lib/transcript/mod.ts";

/** A `function_call_output` entry holding `output`. */
export function outputEntry(output: string): TimelineEntry {
  return { kind: "item", item: { type: "function_call_output", call_id: "call_1", output } };
}

/** What `show` prints for the entry, redacted as given. */
export function shown(entry: TimelineEntry): string {
  return new TranscriptWriter({ colour: false, path: "x", format: "codex_envelope" }).entry(entry);
}

/**
 * `rollout proto` (SPEC §4): Submissions on stdin, Events on stdout. The entry the command
 * line calls; it never exits the process and writes nothing but events to stdout.
 */
import type { Io } from "../io.ts";

/** Options of {@linkcode runProto}, as parsed from the command line. */
export interface ProtoOptions {
  home: string;
  format: "jsonl" | "json";
  sync: boolean;
  maxLineBytes: number;
}

/** Runs the op stream until `shutdown`, end of input, a signal or EPIPE; returns the exit status. */
export async function runProto(options: ProtoOptions, io: Io): Promise<number> {
  void options;
  for await (const _chunk of io.stdin) {
    // Placeholder: the op stream lands in the next commits.
  }
  return 0;
}

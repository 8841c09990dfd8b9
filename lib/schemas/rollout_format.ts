/**
 * The five readable rollout formats (SPEC §2.3), as named in reports, and their two families.
 * How a file announces its format is `formats/detect_format.ts`.
 */
import { z } from "zod";

/** A rollout format, as `validate --json` and the load report name it. */
export const RolloutFormat = z.enum([
  "journal",
  "codex_envelope",
  "document",
  "codex_ts_document",
  "codex_jsonl_2025",
]);
export type RolloutFormat = z.infer<typeof RolloutFormat>;

/** The two families: appended lines, or one document rewritten whole. */
export function isDocument(format: RolloutFormat): boolean {
  switch (format) {
    case "document":
    case "codex_ts_document":
      return true;
    case "journal":
    case "codex_envelope":
    case "codex_jsonl_2025":
      return false;
  }
}

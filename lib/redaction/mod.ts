/**
 * Secrets out of transcripts: the rules (token formats, credentials in URLs, assignments,
 * random words beside a secret's name) and their application to texts, JSON texts and
 * decoded values. Each secret becomes `[REDACTED:<rule>]` and is counted by rule. Imports
 * only base/.
 */
export { addCounts, describeCounts, type RedactionCounts, totalRedacted } from "./counts.ts";
export { redactExcerpt } from "./redact_excerpt.ts";
export { redactJsonText } from "./redact_json_text.ts";
export { mayHoldSecret } from "./prefilter.ts";
export { redactsLineByLine, redactText } from "./redact_text.ts";
export { redactingScrub, redactItem, Redactor, redactValue } from "./redact_value.ts";
export { CONTEXT_RULES, FORMAT_RULES, type Rule } from "./rules.ts";
